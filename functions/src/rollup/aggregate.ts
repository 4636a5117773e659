import { classifyCrash, clientIdentity, type ClassifiedCrash, type ReportRecord } from '../grouping/classify';
import { shortenFilePath, type FingerprintResult } from '../grouping/fingerprint';
import type { Frame } from '../grouping/stacktrace';
import {
  CRASH_DIMENSIONS,
  ISSUE_DAILY_DAYS,
  type CrashDimension,
  type CrashDoc,
  type CrashStatsDoc,
  type IssueDoc,
  type MetricStats,
  type StatsRow,
  type UsageDoc,
  type UsageStatsDoc,
} from '../grouping/schemas';
import {
  ISSUE_PRECISION,
  ROW_PRECISION,
  addHash,
  createSketch,
  hashClient,
  mergeDistinct,
  type Sketch,
} from '../grouping/sketch';
import { compareVersions, isAtOrAbove, isNewerThan } from '../grouping/version';
import type { RetraceOutcome } from '../grouping/retrace';
import {
  addCrashFacets,
  buildSearchTokens,
  createFacetSets,
  storedTokens,
  type FacetSets,
} from '../grouping/search-tokens';
import { environmentsPath, issuePath, statsPath } from '../shared/paths';
import { environmentOf, scopesOf } from './environments';
import {
  countCrashEnvironment,
  mergeIssueEnvironments,
  mergeReleaseEnvironments,
  type EnvironmentDelta,
  type ReleaseEnvironmentsDelta,
} from './issue-environments';

/** Most versions an issue lists; the oldest (in version order) are dropped first. */
export const MAX_ISSUE_VERSIONS = 100;
/** Most releases an issue counts installs for (4 KiB of sketch each at most); the oldest in version order are dropped first. */
export const MAX_ISSUE_RELEASES = 20;
/** How many recent crash ids an issue keeps, newest first. */
export const MAX_RECENT_CRASHES = 10;
/** Most values one day's stats document keeps per dimension; later values count under `other`. */
export const MAX_STATS_ROWS = 500;
/** Longest value kept in stats rows (types may be 512 characters). */
export const MAX_STATS_VALUE_LENGTH = 200;
/** Most metric names one day's usage document keeps. */
export const MAX_METRICS = 200;
/** Most distinct string or boolean values kept per metric per day. */
export const MAX_METRIC_VALUES = 100;

/** A count and the clients behind it, before it is merged into a document. */
export interface CountedDelta {
  count: number;
  sketch: Sketch;
}

/** What one batch adds to one issue. */
export interface IssueDelta {
  productKey: string;
  fingerprint: string;
  source: IssueDoc['source'];
  title: string;
  type: string;
  culprit: string | null;
  topFrame: Frame | null;
  firstSeen: Date;
  lastSeen: Date;
  lastVersion: string;
  count: number;
  sketch: Sketch;
  /** Each crash's version and time, for regressions. */
  occurrences: Array<{ version: string; receivedAt: Date }>;
  /** Crash document ids, newest first, at most MAX_RECENT_CRASHES. */
  recentCrashIds: string[];
  /** When each of `recentCrashIds` was received. */
  recentCrashTimes: Date[];
  /** Whether the latest crash's trace was retraced, or its mapping was missing; null when it needed none. */
  retrace: RetraceOutcome | null;
  /** The version of the batch's earliest crash of this issue. */
  firstVersion: string;
  /** Crashes and installs per release (app version). */
  releases: Map<string, CountedDelta>;
  /** Crashes per UTC day (`YYYY-MM-DD`). */
  daily: Map<string, number>;
  /** Crashes per environment, with each environment's first crash. */
  environments: Map<string, EnvironmentDelta>;
  /** Crashes and installs per release (app version), per environment. */
  releaseEnvironments: Map<string, ReleaseEnvironmentsDelta>;
  /** Environments, labels, app names and tags of the batch's crashes, for the search tokens. */
  facets: FacetSets;
}

/** What one batch adds to one day of one crash dimension. */
export interface CrashStatsDelta {
  productKey: string;
  day: string;
  by: CrashDimension;
  /** Set for one environment's copy; absent for every environment together. */
  environment?: string;
  total: CountedDelta;
  rows: Map<string, CountedDelta>;
}

/** What one batch adds to one day of usage. */
export interface UsageStatsDelta {
  productKey: string;
  day: string;
  /** Set for one environment's copy; absent for every environment together. */
  environment?: string;
  reports: number;
  installs: Sketch;
  metrics: Map<string, { count: number; number: MetricStats['number']; values: Map<string, number> }>;
}

/** A batch of crashes reduced to per-document deltas, keyed by document path. */
export interface CrashBatchDelta {
  issues: Map<string, IssueDelta>;
  stats: Map<string, CrashStatsDelta>;
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The `file:line` of a frame (file shortened as in grouping; the class when there is no file). */
export function describeLine(frame: Frame): string | undefined {
  const where = shortenFilePath(frame.file) ?? frame.module;
  if (where === undefined) return undefined;
  return frame.line === undefined ? where : `${where}:${frame.line}`;
}

function clip(value: string): string {
  return value.length > MAX_STATS_VALUE_LENGTH ? `${value.slice(0, MAX_STATS_VALUE_LENGTH - 1)}…` : value;
}

function countInto(map: Map<string, CountedDelta>, value: string, hash: number, precision: number): void {
  let entry = map.get(value);
  if (entry === undefined) map.set(value, (entry = { count: 0, sketch: createSketch(precision) }));
  entry.count++;
  addHash(entry.sketch, hash);
}

/**
 * The documents one crash changes: its issue, the day's stats of every dimension, in all and in
 * its environment, and the product's list of environments.
 */
export function crashDocumentPaths(crash: ClassifiedCrash): string[] {
  const { productKey, receivedAt } = crash.record.doc;
  const day = utcDay(receivedAt);
  const environment = environmentOf(crash.record.doc);
  return [
    issuePath(productKey, crash.result.fingerprint),
    ...CRASH_DIMENSIONS.map((by) => statsPath(productKey, day, by)),
    ...CRASH_DIMENSIONS.map((by) => statsPath(productKey, day, by, environment)),
    environmentsPath(productKey),
  ];
}

/** The documents one usage report changes: its day's usage stats, in all and in its environment, and the list of environments. */
export function usageDocumentPaths(record: ReportRecord<UsageDoc>): string[] {
  const { productKey, receivedAt } = record.doc;
  const day = utcDay(receivedAt);
  return [
    statsPath(productKey, day, 'usage'),
    statsPath(productKey, day, 'usage', environmentOf(record.doc)),
    environmentsPath(productKey),
  ];
}

/**
 * Groups a batch of crashes (in receivedAt order) into issue and stats deltas: one per issue,
 * one per (day, dimension). Grouping and aggregation only; nothing is read or written.
 */
export function reduceCrashes(crashes: ReadonlyArray<ReportRecord<CrashDoc>>): CrashBatchDelta {
  return reduceClassified(crashes.map((crash) => classifyCrash(crash)));
}

/** reduceCrashes for crashes already classified. */
export function reduceClassified(crashes: readonly ClassifiedCrash[]): CrashBatchDelta {
  const issues = new Map<string, IssueDelta>();
  const stats = new Map<string, CrashStatsDelta>();
  for (const {
    record: { id, doc },
    result,
    hash,
    retrace,
    type: retracedType,
  } of crashes) {
    const version = doc.app.version;
    // The readable class once a mapping retraced it (b.b is com.acme.notes.data.MissingNoteException).
    const type = retracedType ?? doc.exception.type;
    const at = doc.receivedAt;

    const issueKey = issuePath(doc.productKey, result.fingerprint);
    let issue = issues.get(issueKey);
    if (issue === undefined) {
      issue = {
        productKey: doc.productKey,
        fingerprint: result.fingerprint,
        source: result.source,
        title: result.title,
        type,
        culprit: result.culprit ?? null,
        topFrame: result.topInAppFrame ?? null,
        firstSeen: at,
        lastSeen: at,
        lastVersion: version,
        count: 0,
        sketch: createSketch(ISSUE_PRECISION),
        occurrences: [],
        recentCrashIds: [],
        recentCrashTimes: [],
        retrace: null,
        firstVersion: version,
        releases: new Map(),
        daily: new Map(),
        environments: new Map(),
        releaseEnvironments: new Map(),
        facets: createFacetSets(),
      };
      issues.set(issueKey, issue);
    }
    issue.count++;
    addHash(issue.sketch, hash);
    countInto(issue.releases, version, hash, ISSUE_PRECISION);
    countCrashEnvironment(issue.environments, issue.releaseEnvironments, {
      environment: environmentOf(doc),
      version,
      receivedAt: at,
      hash,
    });
    if (at < issue.firstSeen) {
      issue.firstSeen = at;
      issue.firstVersion = version;
      takeIdentity(issue, result);
    }
    if (at >= issue.lastSeen) {
      issue.lastSeen = at;
      issue.lastVersion = version;
    }
    issue.occurrences.push({ version, receivedAt: at });
    if (retrace !== undefined && at >= issue.lastSeen) issue.retrace = retrace;
    issue.recentCrashIds.unshift(id);
    issue.recentCrashTimes.unshift(at);
    if (issue.recentCrashIds.length > MAX_RECENT_CRASHES) {
      issue.recentCrashIds.pop();
      issue.recentCrashTimes.pop();
    }
    addCrashFacets(issue.facets, doc);

    const day = utcDay(at);
    issue.daily.set(day, (issue.daily.get(day) ?? 0) + 1);

    const line = result.topInAppFrame === undefined ? undefined : describeLine(result.topInAppFrame);
    const values: Record<CrashDimension, string | undefined> = {
      type,
      label: doc.label,
      line,
      version,
      issue: result.fingerprint,
    };
    for (const environment of scopesOf(doc))
      for (const by of CRASH_DIMENSIONS) {
        const key = statsPath(doc.productKey, day, by, environment);
        let delta = stats.get(key);
        if (delta === undefined) {
          delta = {
            productKey: doc.productKey,
            day,
            by,
            ...(environment === undefined ? {} : { environment }),
            total: { count: 0, sketch: createSketch(ISSUE_PRECISION) },
            rows: new Map(),
          };
          stats.set(key, delta);
        }
        delta.total.count++;
        addHash(delta.total.sketch, hash);
        const value = values[by];
        if (value !== undefined) countInto(delta.rows, by === 'issue' ? value : clip(value), hash, ROW_PRECISION);
      }
  }
  return { issues, stats };
}

function mergeReleases(
  current: IssueDoc['releases'],
  delta: IssueDelta,
  environments: ReadonlySet<string>,
): NonNullable<IssueDoc['releases']> {
  const rows = new Map((current ?? []).map((r) => [r.version, r]));
  for (const [version, counted] of delta.releases) {
    const existing = rows.get(version);
    const merged = toCounted(
      counted,
      existing === undefined ? null : { count: existing.count, sketch: existing.sketch },
    );
    const perEnvironment = mergeReleaseEnvironments(existing, delta.releaseEnvironments.get(version), environments);
    rows.set(version, {
      version,
      count: merged.count,
      installs: merged.clients,
      sketch: merged.sketch,
      environments: perEnvironment,
    });
  }
  // Rows the batch did not touch: stored before environments were counted apart, or holding one no longer kept.
  for (const [version, row] of rows)
    if (!delta.releases.has(version))
      rows.set(version, { ...row, environments: mergeReleaseEnvironments(row, undefined, environments) });
  return [...rows.values()].sort((a, b) => compareVersions(b.version, a.version)).slice(0, MAX_ISSUE_RELEASES);
}

const DAY_MS = 86_400_000;

/** The first of the ISSUE_DAILY_DAYS UTC days ending with the day of `now`. */
export function firstDailyDay(now: Date): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return utcDay(new Date(today - (ISSUE_DAILY_DAYS - 1) * DAY_MS));
}

/**
 * An issue's per-day counts after a batch: the batch's days added, oldest first, and days
 * before the ISSUE_DAILY_DAYS days ending with the day of `now` dropped.
 */
export function mergeIssueDaily(
  current: IssueDoc['daily'],
  delta: ReadonlyMap<string, number>,
  now: Date,
): NonNullable<IssueDoc['daily']> {
  const from = firstDailyDay(now);
  const counts = new Map((current ?? []).map((p) => [p.day, p.count]));
  for (const [day, count] of delta) counts.set(day, (counts.get(day) ?? 0) + count);
  return [...counts]
    .filter(([day, count]) => day >= from && count > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([day, count]) => ({ day, count }));
}

function sortVersions(versions: Iterable<string>): string[] {
  const sorted = [...new Set(versions)].sort(compareVersions);
  return sorted.slice(Math.max(0, sorted.length - MAX_ISSUE_VERSIONS));
}

/**
 * Whether a crash in `version`, received after the issue was resolved, reopens it: resolved in
 * the next release, only a version newer than the newest seen then (see isNewerThan); resolved
 * in a version, that version or a later one (see isAtOrAbove); resolved now, any version.
 */
export function regressesIssue(
  issue: Pick<IssueDoc, 'resolvedInVersion' | 'resolvedAfterVersion'>,
  version: string,
): boolean {
  if (issue.resolvedAfterVersion != null) return isNewerThan(version, issue.resolvedAfterVersion);
  if (issue.resolvedInVersion !== null) return isAtOrAbove(version, issue.resolvedInVersion);
  return true;
}

/**
 * The issue's recent crashes after a batch, newest first by receipt time: a run working
 * another index shard may apply later crashes first. Stored ids without times (issues stored
 * before times were kept) count as received at the issue's last seen.
 */
function mergeRecentCrashes(
  current: IssueDoc,
  delta: IssueDelta,
): Pick<IssueDoc, 'recentCrashIds' | 'recentCrashTimes'> {
  const times = current.recentCrashTimes?.length === current.recentCrashIds.length ? current.recentCrashTimes : null;
  const stored = current.recentCrashIds.map((id, i) => ({ id, at: times?.[i] ?? current.lastSeen }));
  const added = delta.recentCrashIds.map((id, i) => ({ id, at: delta.recentCrashTimes[i] ?? delta.lastSeen }));
  const ids = new Set(added.map((c) => c.id));
  // A stable sort: on equal times the batch's crashes stay ahead, as before times were kept.
  const merged = [...added, ...stored.filter((c) => !ids.has(c.id))]
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, MAX_RECENT_CRASHES);
  return { recentCrashIds: merged.map((c) => c.id), recentCrashTimes: merged.map((c) => c.at) };
}

/** Title, culprit and top frame of an issue are its earliest crash's. */
function takeIdentity(issue: IssueDelta, result: FingerprintResult): void {
  issue.title = result.title;
  issue.culprit = result.culprit ?? null;
  issue.topFrame = result.topInAppFrame ?? null;
}

/**
 * The issue after a batch: counts, clients, versions and recent crashes merged, a resolved
 * issue reopened as `regressed` by a crash received after it was resolved that regressesIssue,
 * and its search tokens rebuilt (an issue stored before them gains them here).
 */
export function mergeIssue(current: IssueDoc | null, delta: IssueDelta, now: Date): IssueDoc {
  const merged = mergeIssueCounts(current, delta, now);
  return { ...merged, searchTokens: buildSearchTokens(merged, storedTokens(current), delta.facets) };
}

function mergeIssueCounts(current: IssueDoc | null, delta: IssueDelta, now: Date): IssueDoc {
  const { clients, sketch: encoded } = mergeDistinct(current && { sketch: current.clientSketch }, delta.sketch);
  const environments = mergeIssueEnvironments(current, delta.environments);
  const kept = new Set(Object.keys(environments));
  const versions = sortVersions([...(current?.versions ?? []), ...delta.occurrences.map((o) => o.version)]);
  if (current === null) {
    return {
      productKey: delta.productKey,
      fingerprint: delta.fingerprint,
      source: delta.source,
      title: delta.title,
      type: delta.type,
      culprit: delta.culprit,
      topFrame: delta.topFrame,
      firstSeen: delta.firstSeen,
      lastSeen: delta.lastSeen,
      count: delta.count,
      clients,
      clientSketch: encoded,
      versions,
      lastVersion: delta.lastVersion,
      status: 'unresolved',
      resolvedInVersion: null,
      statusChangedAt: null,
      regressedInVersion: null,
      recentCrashIds: delta.recentCrashIds.slice(0, MAX_RECENT_CRASHES),
      recentCrashTimes: delta.recentCrashTimes.slice(0, MAX_RECENT_CRASHES),
      updatedAt: now,
      ...(delta.retrace === null ? {} : { retrace: delta.retrace }),
      firstVersion: delta.firstVersion,
      releases: mergeReleases(undefined, delta, kept),
      environments,
      daily: mergeIssueDaily(undefined, delta.daily, now),
    };
  }
  const next: IssueDoc = {
    ...current,
    firstSeen: delta.firstSeen < current.firstSeen ? delta.firstSeen : current.firstSeen,
    lastSeen: delta.lastSeen > current.lastSeen ? delta.lastSeen : current.lastSeen,
    lastVersion: delta.lastSeen >= current.lastSeen ? delta.lastVersion : current.lastVersion,
    count: current.count + delta.count,
    clients,
    clientSketch: encoded,
    versions,
    ...mergeRecentCrashes(current, delta),
    updatedAt: now,
    releases: mergeReleases(current.releases, delta, kept),
    environments,
    daily: mergeIssueDaily(current.daily, delta.daily, now),
  };
  // An issue stored before per-day counts were kept starts them with this batch's earliest day.
  if (current.daily === undefined) next.dailySince = [...delta.daily.keys()].sort()[0] ?? utcDay(now);
  // An issue stored before first versions were kept gains one only from a crash earlier than its first.
  if (delta.firstSeen < current.firstSeen) next.firstVersion = delta.firstVersion;
  // Title, culprit and top frame are the earliest crash's, whichever shard's run commits first.
  if (delta.firstSeen < current.firstSeen) {
    next.title = delta.title;
    next.culprit = delta.culprit;
    next.topFrame = delta.topFrame;
  }
  if (delta.retrace !== null && delta.lastSeen >= current.lastSeen) next.retrace = delta.retrace;
  if (current.status === 'resolved') {
    const since = current.statusChangedAt;
    const recurrence = delta.occurrences
      .filter((o) => since === null || o.receivedAt > since)
      .filter((o) => regressesIssue(current, o.version))
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())[0];
    if (recurrence !== undefined) {
      next.status = 'regressed';
      next.statusChangedAt = recurrence.receivedAt;
      next.regressedInVersion = recurrence.version;
    }
  }
  return next;
}

function toCounted(delta: CountedDelta, current?: { count: number; sketch: Uint8Array } | null) {
  return { count: (current?.count ?? 0) + delta.count, ...mergeDistinct(current, delta.sketch) };
}

/** One day of one dimension after a batch; values past MAX_STATS_ROWS go to `other`. */
export function mergeCrashStats(current: CrashStatsDoc | null, delta: CrashStatsDelta, now: Date): CrashStatsDoc {
  const rows = new Map<string, StatsRow>((current?.rows ?? []).map((row) => [row.value, row]));
  let other = current?.other ?? null;
  for (const [value, counted] of delta.rows) {
    const existing = rows.get(value);
    if (existing !== undefined || rows.size < MAX_STATS_ROWS) {
      rows.set(value, { value, ...toCounted(counted, existing) });
    } else {
      other = toCounted(counted, other);
    }
  }
  return {
    productKey: delta.productKey,
    day: delta.day,
    by: delta.by,
    ...(delta.environment === undefined ? {} : { environment: delta.environment }),
    total: toCounted(delta.total, current?.total),
    rows: [...rows.values()].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)),
    other,
    updatedAt: now,
  };
}

/** A batch of usage reports reduced to one delta per product and day, in all and per environment. */
export function reduceUsage(reports: ReadonlyArray<ReportRecord<UsageDoc>>): Map<string, UsageStatsDelta> {
  const out = new Map<string, UsageStatsDelta>();
  for (const { doc } of reports) for (const environment of scopesOf(doc)) addUsage(out, doc, environment);
  return out;
}

function addUsage(out: Map<string, UsageStatsDelta>, doc: UsageDoc, environment: string | undefined): void {
  const day = utcDay(doc.receivedAt);
  const key = statsPath(doc.productKey, day, 'usage', environment);
  let delta = out.get(key);
  if (delta === undefined) {
    delta = {
      productKey: doc.productKey,
      day,
      ...(environment === undefined ? {} : { environment }),
      reports: 0,
      installs: createSketch(ISSUE_PRECISION),
      metrics: new Map(),
    };
    out.set(key, delta);
  }
  delta.reports++;
  addHash(delta.installs, hashClient(clientIdentity(doc)));
  for (const [name, value] of Object.entries(doc.metrics)) {
    let metric = delta.metrics.get(name);
    if (metric === undefined) delta.metrics.set(name, (metric = { count: 0, number: null, values: new Map() }));
    metric.count++;
    if (typeof value === 'number') {
      const n = metric.number;
      metric.number =
        n === null
          ? { count: 1, sum: value, min: value, max: value }
          : { count: n.count + 1, sum: n.sum + value, min: Math.min(n.min, value), max: Math.max(n.max, value) };
    } else {
      const text = String(value);
      metric.values.set(text, (metric.values.get(text) ?? 0) + 1);
    }
  }
}

function mergeNumbers(a: MetricStats['number'], b: MetricStats['number']): MetricStats['number'] {
  if (a === null) return b;
  if (b === null) return a;
  return { count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

/** One day of usage after a batch; names past MAX_METRICS and values past MAX_METRIC_VALUES are counted, not listed. */
export function mergeUsageStats(current: UsageStatsDoc | null, delta: UsageStatsDelta, now: Date): UsageStatsDoc {
  const metrics = new Map<string, MetricStats>((current?.metrics ?? []).map((m) => [m.name, m]));
  let otherMetrics = current?.otherMetrics ?? 0;
  for (const [name, add] of delta.metrics) {
    const existing = metrics.get(name);
    if (existing === undefined && metrics.size >= MAX_METRICS) {
      otherMetrics += add.count;
      continue;
    }
    const values = new Map((existing?.values ?? []).map((v) => [v.value, v.count]));
    let otherValues = existing?.otherValues ?? 0;
    for (const [value, count] of add.values) {
      if (values.has(value) || values.size < MAX_METRIC_VALUES) values.set(value, (values.get(value) ?? 0) + count);
      else otherValues += count;
    }
    metrics.set(name, {
      name,
      count: (existing?.count ?? 0) + add.count,
      number: mergeNumbers(existing?.number ?? null, add.number),
      values: [...values]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1)),
      otherValues,
    });
  }
  return {
    productKey: delta.productKey,
    day: delta.day,
    by: 'usage',
    ...(delta.environment === undefined ? {} : { environment: delta.environment }),
    reports: (current?.reports ?? 0) + delta.reports,
    installs: mergeDistinct(current?.installs, delta.installs),
    metrics: [...metrics.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    otherMetrics,
    updatedAt: now,
  };
}
