/**
 * Per-environment counts of an issue, pure: what a batch adds (per environment, and per release
 * and environment) and how it merges into the issue document. Counts add and first crashes take
 * the earlier, so batches merge in any order (index shards commit in any order). At most
 * MAX_ISSUE_ENVIRONMENTS environments are kept, the earliest first seen; a later one counts in
 * the issue's totals only.
 */
import { environmentsOfIssue } from '../grouping/issue-environments';
import { DEFAULT_ENVIRONMENT, MAX_ISSUE_ENVIRONMENTS, type IssueDoc, type IssueEnvironment } from '../grouping/schemas';
import {
  ROW_PRECISION,
  addHash,
  createSketch,
  decodeSketch,
  lowerPrecision,
  mergeDistinct,
  type Sketch,
} from '../grouping/sketch';

/** What a batch adds to one environment of one issue. */
export type EnvironmentDelta = IssueEnvironment;

/** What a batch adds to one release of one issue, per environment: crashes and installs (ROW_PRECISION). */
export type ReleaseEnvironmentsDelta = Map<string, { count: number; sketch: Sketch }>;

/** Field names Firestore reserves (`__name__`…): an environment so named is counted in the totals only. */
const RESERVED_FIELD = /^__.*__$/;

/** Counts one crash of an issue in its environment and release (not one whose name Firestore reserves as a field). */
export function countCrashEnvironment(
  environments: Map<string, EnvironmentDelta>,
  releases: Map<string, ReleaseEnvironmentsDelta>,
  crash: { environment: string; version: string; receivedAt: Date; hash: number },
): void {
  const { environment, version, receivedAt } = crash;
  if (RESERVED_FIELD.test(environment)) return;
  const seen = environments.get(environment);
  if (seen === undefined) environments.set(environment, { count: 1, firstSeen: receivedAt, firstVersion: version });
  else {
    seen.count++;
    if (receivedAt < seen.firstSeen) {
      seen.firstSeen = receivedAt;
      seen.firstVersion = version;
    }
  }
  let release = releases.get(version);
  if (release === undefined) releases.set(version, (release = new Map()));
  let counted = release.get(environment);
  if (counted === undefined) release.set(environment, (counted = { count: 0, sketch: createSketch(ROW_PRECISION) }));
  counted.count++;
  addHash(counted.sketch, crash.hash);
}

const byFirstSeen = ([a, x]: [string, IssueEnvironment], [b, y]: [string, IssueEnvironment]) =>
  x.firstSeen.getTime() - y.firstSeen.getTime() || (a < b ? -1 : a > b ? 1 : 0);

/**
 * The issue's environments after a batch: counts added, each first crash the earlier one, the
 * MAX_ISSUE_ENVIRONMENTS earliest first seen kept. An issue stored before starts from its whole
 * self as production (environmentsOfIssue).
 */
export function mergeIssueEnvironments(
  current: IssueDoc | null,
  delta: ReadonlyMap<string, EnvironmentDelta>,
): Record<string, IssueEnvironment> {
  const merged = new Map(Object.entries(current === null ? {} : environmentsOfIssue(current)));
  for (const [name, add] of delta) {
    const stored = merged.get(name);
    merged.set(
      name,
      stored === undefined
        ? { ...add }
        : {
            count: stored.count + add.count,
            ...(add.firstSeen < stored.firstSeen
              ? { firstSeen: add.firstSeen, firstVersion: add.firstVersion }
              : { firstSeen: stored.firstSeen, firstVersion: stored.firstVersion }),
          },
    );
  }
  return Object.fromEntries([...merged].sort(byFirstSeen).slice(0, MAX_ISSUE_ENVIRONMENTS));
}

type ReleaseRow = NonNullable<IssueDoc['releases']>[number];

/**
 * One release row's environments after a batch, only those the issue keeps (`kept`). A row
 * stored before environments were counted apart starts as all production: its count and its
 * installs' sketch, lowered to ROW_PRECISION.
 */
export function mergeReleaseEnvironments(
  stored: ReleaseRow | undefined,
  delta: ReleaseEnvironmentsDelta | undefined,
  kept: ReadonlySet<string>,
): NonNullable<ReleaseRow['environments']> {
  const rows = new Map(Object.entries(stored?.environments ?? {}));
  if (stored !== undefined && stored.environments === undefined && stored.count > 0) {
    const { clients, sketch } = mergeDistinct(null, lowerPrecision(decodeSketch(stored.sketch), ROW_PRECISION));
    rows.set(DEFAULT_ENVIRONMENT, { count: stored.count, installs: clients, sketch });
  }
  const out: NonNullable<ReleaseRow['environments']> = {};
  for (const name of [...new Set([...rows.keys(), ...(delta?.keys() ?? [])])].sort()) {
    if (!kept.has(name)) continue;
    const current = rows.get(name);
    const add = delta?.get(name);
    if (add === undefined) {
      if (current !== undefined) out[name] = current;
      continue;
    }
    const { clients, sketch } = mergeDistinct(current, add.sketch);
    out[name] = { count: (current?.count ?? 0) + add.count, installs: clients, sketch };
  }
  return out;
}

/** An issue's environments and release rows as one late batch would carry them (merging one issue into another). */
export function environmentsAsDelta(issue: IssueDoc): {
  environments: Map<string, EnvironmentDelta>;
  releaseEnvironments: Map<string, ReleaseEnvironmentsDelta>;
} {
  const environments = new Map(Object.entries(environmentsOfIssue(issue)).map(([name, e]) => [name, { ...e }]));
  const kept = new Set(environments.keys());
  const releaseEnvironments = new Map<string, ReleaseEnvironmentsDelta>(
    (issue.releases ?? []).map((row) => [
      row.version,
      new Map(
        Object.entries(mergeReleaseEnvironments(row, undefined, kept)).map(([name, e]) => [
          name,
          { count: e.count, sketch: decodeSketch(e.sketch) },
        ]),
      ),
    ]),
  );
  return { environments, releaseEnvironments };
}
