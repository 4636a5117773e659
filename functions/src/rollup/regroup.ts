/**
 * Regrouping after a mapping upload. Crashes of an obfuscated build that arrived before its
 * ProGuard/R8 mapping were grouped as they were, under an obfuscated issue marked
 * `missing_mapping`. An upload leaves a regroup request (`products/{key}/regroupRequests/{mapId}`);
 * the next rollup run retraces one of each such issue's stored crashes, and moves the issue into
 * the readable one that trace now belongs to: counts, clients, releases, per-day counts and the
 * day's `issue` stats row, in one transaction. The old issue is deleted and leaves a forwarding
 * address (`mergedIssues/{id}`) for the api. Pure over a RegroupStore, like runRollup.
 */
import { classifyCrash, fingerprintInputOf } from '../grouping/classify';
import { mappingKeyOf, retraceInput, type RetraceOutcome } from '../grouping/retrace';
import type { MappingCache } from '../grouping/retrace/cache';
import type { RegroupRequestDoc } from '../grouping/retrace/schemas';
import {
  CrashDocSchema,
  CrashStatsDocSchema,
  IssueDocSchema,
  regressionActivityOf,
  type ActivityDoc,
  type CrashStatsDoc,
  type IssueDoc,
  type MergedIssueDoc,
  type StatsRow,
} from '../grouping/schemas';
import { decodeSketch, mergeDistinct } from '../grouping/sketch';
import type { Clock } from '../shared/clock';
import { activityPath, COLLECTIONS, issuePath, productPath, statsPath } from '../shared/paths';
import { facetsOfTokens, storedTokens } from '../grouping/search-tokens';
import { environmentsAsDelta } from './issue-environments';
import { firstDailyDay, mergeIssue, regressesIssue, utcDay, type CountedDelta, type IssueDelta } from './aggregate';

/**
 * How long a request is kept after its upload: longer than any rollup run (the function's 60 s
 * timeout), so an issue that a run begun before the upload wrote to (believing the mapping
 * missing) is merged by a later run too.
 */
export const REGROUP_SETTLE_MS = 120_000;
/** Most issues one run merges; the rest wait for the next run. */
export const MAX_MERGES_PER_RUN = 20;
/** Most candidate issues one request looks at per run. */
const MAX_CANDIDATES = 50;
/** Most `issue` stats documents (days × environments) one merge reads and moves a row in, the most recent days first. */
export const MAX_STATS_DOCS_PER_MERGE = 200;

/**
 * The documents one merge reads and writes (null deletes), computed inside its transaction.
 * `current` holds the documents asked for and every activity entry of the issues asked for.
 */
export type MergePlan = (current: ReadonlyMap<string, unknown>) => Map<string, object | null> | null;

/** What regrouping needs from Firestore; the adapter is regroup-store.ts. */
export interface RegroupStore {
  /** Every pending regroup request, of every product. */
  listRequests(): Promise<RegroupRequestDoc[]>;
  /** Deletes the request unless a newer upload renewed it (another `requestedAt`). */
  deleteRequest(request: RegroupRequestDoc): Promise<void>;
  /** Up to `limit` issues of a product whose latest crash needed mapping `mapId`. */
  listIssuesNeeding(productKey: string, mapId: string, limit: number): Promise<Array<{ id: string; issue: IssueDoc }>>;
  /** The environments the product has copies of its stats for (`stats/environments`). */
  listEnvironments(productKey: string): Promise<string[]>;
  /** Stored crashes that still exist (TTL may have deleted some), in the order asked. */
  getCrashes(productKey: string, ids: readonly string[]): Promise<Array<{ path: string; id: string; data: unknown }>>;
  /**
   * In one transaction: reads `paths` (absent ones are left out) and every activity entry of
   * the issues at `activityOf` (under their own paths), writes what `plan` answers; false when
   * it answered null.
   */
  applyMerge(paths: readonly string[], activityOf: readonly string[], plan: MergePlan): Promise<boolean>;
}

/** What regrouping did in one run; part of the rollup's answer. */
export interface RegroupSummary {
  /** Pending requests seen. */
  requests: number;
  /** Obfuscated issues merged into (or renamed to) their readable issue. */
  merged: number;
  /** Obfuscated issues left as they are: none of their last crashes is stored any more, or it is not retraced. */
  unreadable: number;
  /** Requests done and deleted. */
  completed: number;
}

/** The readable grouping of an obfuscated issue, from one of its crashes retraced. */
type Readable = Pick<IssueDelta, 'fingerprint' | 'source' | 'title' | 'type' | 'culprit' | 'topFrame'> & {
  outcome: RetraceOutcome;
};

type StatusFields = Pick<
  IssueDoc,
  'status' | 'resolvedInVersion' | 'resolvedAfterVersion' | 'statusChangedAt' | 'regressedInVersion'
>;

function statusOf(issue: IssueDoc): StatusFields {
  return {
    status: issue.status,
    resolvedInVersion: issue.resolvedInVersion,
    resolvedAfterVersion: issue.resolvedAfterVersion ?? null,
    statusChangedAt: issue.statusChangedAt,
    regressedInVersion: issue.regressedInVersion,
  };
}

const isOpen = (status: IssueDoc['status']) => status === 'unresolved' || status === 'regressed';

/**
 * The survivor's status when `source` is merged into `target`; `merged` is the target's status
 * after the source's crashes were added as a late batch (mergeIssue: a resolved target whose
 * resolution the source's later crashes break is already `regressed`).
 * - No target: the source's status, as it was.
 * - Either open (unresolved, regressed): open; `regressed` (with its version and time) beats
 *   `unresolved`, so the survivor says why it is open.
 * - Both closed (resolved, ignored): the owner's later decision; when that is the source's
 *   resolution, a target's crash received after it, from a version it counts, regresses it.
 */
export function mergeStatus(source: IssueDoc, target: IssueDoc | null, merged: StatusFields): StatusFields {
  if (target === null) return statusOf(source);
  if (isOpen(merged.status))
    return merged.status === 'unresolved' && source.status === 'regressed' ? statusOf(source) : merged;
  if (isOpen(source.status)) return statusOf(source);
  const sourceDecided = source.statusChangedAt?.getTime() ?? 0;
  if (sourceDecided <= (target.statusChangedAt?.getTime() ?? 0)) return merged;
  const decided = statusOf(source);
  const since = decided.statusChangedAt;
  if (
    decided.status === 'resolved' &&
    (since === null || target.lastSeen > since) &&
    regressesIssue(decided, target.lastVersion)
  )
    return {
      ...decided,
      status: 'regressed',
      statusChangedAt: target.lastSeen,
      regressedInVersion: target.lastVersion,
    };
  return decided;
}

/** When each of the issue's recent crashes was received; its last seen for those stored without times. */
function recentTimesOf(issue: IssueDoc): Date[] {
  const times = issue.recentCrashTimes;
  return times?.length === issue.recentCrashIds.length ? times : issue.recentCrashIds.map(() => issue.lastSeen);
}

/**
 * The obfuscated issue as one late batch of the readable one: its counts, clients, releases
 * and per-day counts. Its versions' crash times are not kept; each counts at the issue's first
 * crash except the last version, at its last crash, so a resolution is only broken by a crash
 * known to have come after it.
 */
export function issueAsDelta(source: IssueDoc, readable: Readable): IssueDelta {
  const releases = new Map<string, CountedDelta>(
    (source.releases ?? []).map((r) => [r.version, { count: r.count, sketch: decodeSketch(r.sketch) }]),
  );
  return {
    productKey: source.productKey,
    fingerprint: readable.fingerprint,
    source: readable.source,
    title: readable.title,
    type: readable.type,
    culprit: readable.culprit,
    topFrame: readable.topFrame,
    firstSeen: source.firstSeen,
    lastSeen: source.lastSeen,
    lastVersion: source.lastVersion,
    count: source.count,
    sketch: decodeSketch(source.clientSketch),
    occurrences: [
      ...source.versions
        .filter((v) => v !== source.lastVersion)
        .map((version) => ({ version, receivedAt: source.firstSeen })),
      { version: source.lastVersion, receivedAt: source.lastSeen },
    ],
    recentCrashIds: source.recentCrashIds,
    recentCrashTimes: recentTimesOf(source),
    retrace: readable.outcome,
    firstVersion: source.firstVersion ?? source.lastVersion,
    releases,
    daily: new Map((source.daily ?? []).map((d) => [d.day, d.count])),
    ...environmentsAsDelta(source),
    facets: facetsOfTokens(storedTokens(source)),
  };
}

/**
 * The survivor: the target (or, when the readable issue does not exist yet, a new one under
 * its fingerprint) with the source's crashes added by mergeIssue, the status of mergeStatus,
 * and the most recent crashes of both, newest first by receipt time (mergeIssue orders them).
 * Nothing is queued for alerts: the source already alerted as new, and its crashes are not new.
 */
export function mergeIssues(source: IssueDoc, target: IssueDoc | null, readable: Readable, now: Date): IssueDoc {
  const merged = mergeIssue(target, issueAsDelta(source, readable), now);
  return { ...merged, ...mergeStatus(source, target, merged) };
}

function compareRows(a: StatsRow, b: StatsRow): number {
  return b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}

/** A day's `issue` stats with the row of issue `from` added into the row of issue `to`; null when `from` has none. */
export function moveIssueRow(doc: CrashStatsDoc, from: string, to: string, now: Date): CrashStatsDoc | null {
  const moved = doc.rows.find((r) => r.value === from);
  if (moved === undefined) return null;
  const into = doc.rows.find((r) => r.value === to);
  const row: StatsRow =
    into === undefined
      ? { ...moved, value: to }
      : { value: to, count: into.count + moved.count, ...mergeDistinct(into, decodeSketch(moved.sketch)) };
  const rows = [...doc.rows.filter((r) => r.value !== from && r.value !== to), row].sort(compareRows);
  return { ...doc, rows, updatedAt: now };
}

/**
 * The `issue` stats documents an issue's crashes may be counted in: each of `days`, for every
 * environment together and for each environment's copy, the most recent days first, at most
 * MAX_STATS_DOCS_PER_MERGE.
 */
export function issueStatsPaths(
  productKey: string,
  days: readonly string[],
  environments: readonly string[],
): string[] {
  const scopes = [undefined, ...environments];
  return [...days]
    .reverse()
    .flatMap((day) => scopes.map((environment) => statsPath(productKey, day, 'issue', environment)))
    .slice(0, MAX_STATS_DOCS_PER_MERGE);
}

/** The UTC days whose `issue` stats an issue's crashes may be in: from its first to its last crash, within the per-day window. */
export function daysOf(issue: IssueDoc, now: Date): string[] {
  const days: string[] = [];
  const first = utcDay(issue.firstSeen);
  const from = first > firstDailyDay(now) ? first : firstDailyDay(now);
  const last = utcDay(issue.lastSeen);
  for (let at = new Date(`${from}T00:00:00Z`); utcDay(at) <= last; at = new Date(at.getTime() + 86_400_000))
    days.push(utcDay(at));
  return days;
}

function parseOrThrow<T>(
  schema: typeof IssueDocSchema | typeof CrashStatsDocSchema,
  path: string,
  data: unknown,
): T | null {
  if (data === undefined) return null;
  const result = schema.safeParse(data);
  // Never overwrite counts we cannot read; the request stays for an operator to look.
  if (!result.success) throw new Error(`malformed aggregate ${path}`);
  return result.data as T;
}

/** Path of a merged issue's forwarding address. */
export function mergedIssuePath(productKey: string, fingerprint: string): string {
  return `${productPath(productKey)}/${COLLECTIONS.mergedIssues}/${fingerprint}`;
}

/**
 * The plan of one merge: null (nothing written) when the source is gone or no longer waits for
 * this mapping (another run merged it). When the mapping leaves the grouping as it was, the
 * issue only records that it is retraced.
 */
export function planMerge(
  request: RegroupRequestDoc,
  sourceId: string,
  readable: Readable,
  statsPaths: readonly string[],
  now: Date,
): MergePlan {
  const { productKey, mapId } = request;
  const sourcePath = issuePath(productKey, sourceId);
  const targetPath = issuePath(productKey, readable.fingerprint);
  return (current) => {
    const raw = current.get(sourcePath);
    const source = parseOrThrow<IssueDoc>(IssueDocSchema, sourcePath, raw);
    if (source === null || source.retrace?.status !== 'missing_mapping' || source.retrace.mapId !== mapId) return null;
    if (sourcePath === targetPath) return new Map([[sourcePath, { ...(raw as object), retrace: readable.outcome }]]);
    const rawTarget = current.get(targetPath);
    const target = parseOrThrow<IssueDoc>(IssueDocSchema, targetPath, rawTarget);
    // The hourly rate alerts keep rides outside the schema (alerts/outbox.ts); the survivor keeps its own.
    const rate = ((rawTarget ?? raw) as { alertRate?: unknown }).alertRate;
    const writes = new Map<string, object | null>();
    // The target keeps its own assignee; one without takes the source's.
    const assigneeUid = target?.assigneeUid ?? source.assigneeUid ?? null;
    const survivor = mergeIssues(source, target, readable, now);
    writes.set(targetPath, {
      ...survivor,
      ...(assigneeUid === null ? {} : { assigneeUid }),
      ...(rate === undefined ? {} : { alertRate: rate }),
    });
    writes.set(sourcePath, null);
    moveActivity(writes, current, { productKey, sourceId, targetId: readable.fingerprint });
    // A regressed survivor has its regression's entry: the one moved or already there (the same
    // document), or a new one when the merge itself reopened the target.
    const regression = regressionActivityOf(survivor);
    if (regression !== null)
      writes.set(activityPath(productKey, readable.fingerprint, regression.id), regression.entry);
    const merged: ActivityDoc = { kind: 'merge', at: now, by: null, mergedFrom: sourceId, mapId, count: source.count };
    writes.set(activityPath(productKey, readable.fingerprint, mergeActivityId(sourceId)), merged);
    const forward: MergedIssueDoc = {
      productKey,
      mergedInto: readable.fingerprint,
      mergedAt: now,
      mapId,
      count: source.count,
    };
    writes.set(mergedIssuePath(productKey, sourceId), forward);
    for (const path of statsPaths) {
      const stats = parseOrThrow<CrashStatsDoc>(CrashStatsDocSchema, path, current.get(path));
      const moved = stats === null ? null : moveIssueRow(stats, sourceId, readable.fingerprint, now);
      if (moved !== null) writes.set(path, moved);
    }
    return writes;
  };
}

/** The id of the activity entry saying issue `sourceId` was merged in: one per merged issue. */
export function mergeActivityId(sourceId: string): string {
  return `merged-${sourceId}`;
}

/**
 * Moves every activity entry of the source (as read in the transaction) to the target under
 * the same id, so the survivor's activity tells the whole story, newest first, and none is left
 * behind the deleted issue. Entries are moved as stored: this is no place to drop one.
 */
function moveActivity(
  writes: Map<string, object | null>,
  current: ReadonlyMap<string, unknown>,
  ids: { productKey: string; sourceId: string; targetId: string },
): void {
  const prefix = `${issuePath(ids.productKey, ids.sourceId)}/${COLLECTIONS.activity}/`;
  for (const [path, entry] of current) {
    if (!path.startsWith(prefix) || typeof entry !== 'object' || entry === null) continue;
    writes.set(activityPath(ids.productKey, ids.targetId, path.slice(prefix.length)), entry);
    writes.set(path, null);
  }
}

/** The readable grouping of the newest stored crash of `issue` that `mapId` retraces; null when none can be. */
async function readableOf(
  store: RegroupStore,
  mappings: MappingCache,
  request: RegroupRequestDoc,
  issue: IssueDoc,
): Promise<Readable | null> {
  for (const crash of await store.getCrashes(request.productKey, issue.recentCrashIds)) {
    const parsed = CrashDocSchema.safeParse(crash.data);
    if (!parsed.success || mappingKeyOf(parsed.data)?.mapId !== request.mapId) continue;
    const doc = parsed.data;
    const { input, outcome } = retraceInput(doc, fingerprintInputOf(doc), mappings.lookup);
    if (outcome?.status !== 'retraced') continue;
    const { result } = classifyCrash({ path: crash.path, id: crash.id, doc }, undefined, mappings.lookup);
    return {
      fingerprint: result.fingerprint,
      source: result.source,
      title: result.title,
      type: input.type,
      culprit: result.culprit ?? null,
      topFrame: result.topInAppFrame ?? null,
      outcome,
    };
  }
  return null;
}

/**
 * One run's regrouping, before the run's batches: every pending request first drops a cached
 * "mapping missing" (so this run's crashes of that build are retraced), then its obfuscated
 * issues are merged one transaction each, at most MAX_MERGES_PER_RUN per run and not past
 * `deadline`. A request is deleted once REGROUP_SETTLE_MS have passed since its upload and
 * nothing of it is left.
 */
export async function runRegroup(deps: {
  store: RegroupStore;
  mappings: MappingCache;
  clock: Clock;
  deadline: Date;
  maxMerges?: number;
}): Promise<RegroupSummary> {
  const { store, mappings, clock } = deps;
  const maxMerges = deps.maxMerges ?? MAX_MERGES_PER_RUN;
  const requests = await store.listRequests();
  const summary: RegroupSummary = { requests: requests.length, merged: 0, unreadable: 0, completed: 0 };
  for (const r of requests) mappings.forgetMissing(r.productKey, r.mapId);
  for (const request of requests) {
    const candidates = (await store.listIssuesNeeding(request.productKey, request.mapId, MAX_CANDIDATES)).filter(
      (c) => c.issue.retrace?.status === 'missing_mapping',
    );
    if (candidates.length > 0) await mappings.prepare([request]);
    const environments = candidates.length > 0 ? await store.listEnvironments(request.productKey) : [];
    let left = false;
    let merged = 0;
    for (const { id, issue } of candidates) {
      if (summary.merged + merged >= maxMerges || clock() >= deps.deadline) {
        left = true;
        break;
      }
      const readable = await readableOf(store, mappings, request, issue);
      if (readable === null) {
        summary.unreadable++;
        continue;
      }
      const now = clock();
      const stats = issueStatsPaths(request.productKey, daysOf(issue, now), environments);
      const source = issuePath(request.productKey, id);
      const paths = [source, issuePath(request.productKey, readable.fingerprint), ...stats];
      if (await store.applyMerge([...new Set(paths)], [source], planMerge(request, id, readable, stats, now))) merged++;
    }
    summary.merged += merged;
    // A full page with merges in it may have more behind it; unreadable ones stay where they are.
    if (candidates.length === MAX_CANDIDATES && merged > 0) left = true;
    if (!left && clock().getTime() - request.requestedAt.getTime() >= REGROUP_SETTLE_MS) {
      await store.deleteRequest(request);
      summary.completed++;
    }
  }
  return summary;
}
