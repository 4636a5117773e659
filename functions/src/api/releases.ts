import { DumpcatcherError } from '../shared/errors';
import {
  ReleasesDayDocSchema,
  ReleasesIndexDocSchema,
  type IssueDoc,
  type ReleasesDayDoc,
  type ReleasesIndexDoc,
  type SessionCounts,
} from '../grouping/schemas';
import {
  ISSUE_PRECISION,
  createSketch,
  decodeSketch,
  estimateDistinct,
  mergeSketch,
  type Sketch,
} from '../grouping/sketch';
import { compareVersions } from '../grouping/version';
import { environmentsOfIssue, releaseFiguresIn } from '../grouping/issue-environments';
import { loadProductFor, type Caller } from './access';
import type { InsightsStore } from './deps';
import { parseQuery, toIssueSummary, type IssueSummaryView } from './issues';
import { ReleasesQuerySchema } from './schemas';
import { parseCrashStats, statsDocId } from './series';
import { listDays } from './stats';

/** Most issues first seen in a range that the releases routes read (one read each). */
export const MAX_NEW_ISSUES_READ = 1000;
/** Most issues seen since the range's start that a release page reads to rank its top issues. */
export const MAX_ACTIVE_ISSUES_READ = 500;
/** Top issues a release page lists. */
export const TOP_ISSUES = 10;

const DAY_MS = 86_400_000;

/** One release's figures over a range (the names are fixed: the dashboard and an acceptance test read them). */
export interface ReleaseView {
  version: string;
  /** Start hour of the release's earliest session ever seen; null when it has none (crashes only). */
  firstSeen: string | null;
  /** Start hour of its latest session ever seen; null when it has none. */
  lastSeen: string | null;
  installs: number;
  crashedInstalls: number;
  sessions: number;
  crashedSessions: number;
  erroredSessions: number;
  abnormalSessions: number;
  /** 1 − crashed ÷ sessions; null without sessions. */
  crashFreeSessions: number | null;
  /** 1 − crashedInstalls ÷ installs; null without sessions. */
  crashFreeInstalls: number | null;
  /** This release's installs ÷ all installs with a session in the range; null without sessions. */
  adoption: number | null;
  crashes: number;
  /** Issues first seen in the range whose first crash was in this release. */
  newIssues: number;
}

/** Answer of `GET /v1/products/{key}/releases`. */
export interface ReleasesView {
  from: string;
  to: string;
  /** Newest release first (version order). */
  releases: ReleaseView[];
  /** Every release together over the range (the dashboard's overview leads with it). */
  total: ReleasesTotalView;
  /** Every day of the range, oldest first, with each release's sessions that day (the Releases tab's sparklines). */
  series: ReleasesDayView[];
}

/**
 * Every release together: sessions summed, an install counted once however many releases it ran
 * (so `installs` is adoption's denominator), and the rates over those.
 */
export type ReleasesTotalView = Pick<
  ReleaseView,
  | 'installs'
  | 'crashedInstalls'
  | 'sessions'
  | 'crashedSessions'
  | 'erroredSessions'
  | 'abnormalSessions'
  | 'crashFreeSessions'
  | 'crashFreeInstalls'
  | 'crashes'
>;

/** One day of the releases list: all sessions that started that day, and each release's (only releases with sessions). */
export interface ReleasesDayView {
  day: string;
  sessions: number;
  crashedSessions: number;
  releases: Array<{ version: string; sessions: number; crashedSessions: number }>;
}

/** One day of one release. */
export type ReleaseDayView = Omit<ReleaseView, 'version' | 'firstSeen' | 'lastSeen' | 'newIssues'> & { day: string };

/** An issue on a release page: the listing view plus its crashes and installs in this release (in the environment asked for). */
export interface ReleaseIssueView extends IssueSummaryView {
  releaseCrashes: number;
  releaseInstalls: number;
}

/** Answer of `GET /v1/products/{key}/releases/{version}`. */
export interface ReleaseDetailView extends ReleaseView {
  from: string;
  to: string;
  /** Every day of the range, oldest first. */
  series: ReleaseDayView[];
  /** Issues first seen in the range whose first crash was in this release, newest first. */
  firstSeenIssues: ReleaseIssueView[];
  /** The issues that affected the most installs of this release, among those seen since `from`. */
  topIssues: ReleaseIssueView[];
}

/** Sums and unions of one release over some days. */
interface Totals {
  sessions: SessionCounts;
  installs: Sketch;
  crashedInstalls: Sketch;
  crashes: number;
}

function emptyTotals(): Totals {
  return {
    sessions: { total: 0, ok: 0, errored: 0, crashed: 0, abnormal: 0 },
    installs: createSketch(ISSUE_PRECISION),
    crashedInstalls: createSketch(ISSUE_PRECISION),
    crashes: 0,
  };
}

function parseStored<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  id: string,
  data: unknown,
): T {
  const result = schema.safeParse(data);
  if (!result.success) throw new Error(`malformed stats document ${id}`);
  return result.data;
}

/** The days of a range, each with its releases document and crashes per version (parsed). */
interface RangeData {
  days: string[];
  sessions: Map<string, ReleasesDayDoc>;
  crashes: Map<string, Map<string, number>>;
  index: ReleasesIndexDoc | null;
}

/**
 * Reads a range's documents in one getAll: every environment's (the product's own), or with
 * `environment` that environment's copies, which the rollup keeps in the same shapes.
 */
async function readRange(
  store: InsightsStore,
  productKey: string,
  days: string[],
  environment: string | undefined,
): Promise<RangeData> {
  const sessionsId = (day: string) => statsDocId(day, 'releases', environment);
  const versionId = (day: string) => statsDocId(day, 'version', environment);
  const indexId = environment === undefined ? 'releases' : `releases@${environment}`;
  const docs = await store.getStats(productKey, [...days.map(sessionsId), ...days.map(versionId), indexId]);
  const sessions = new Map<string, ReleasesDayDoc>();
  const crashes = new Map<string, Map<string, number>>();
  for (const day of days) {
    const s = docs.get(sessionsId(day));
    if (s !== undefined) sessions.set(day, parseStored(ReleasesDayDocSchema, sessionsId(day), s));
    const v = docs.get(versionId(day));
    if (v !== undefined) {
      crashes.set(day, new Map(parseCrashStats(versionId(day), v).rows.map((r) => [r.value, r.count])));
    }
  }
  const index = docs.get(indexId);
  return {
    days,
    sessions,
    crashes,
    index: index === undefined ? null : parseStored(ReleasesIndexDocSchema, indexId, index),
  };
}

/** Adds one day of every release into `totals`, and the day's installs into `all`. */
function addDay(data: RangeData, day: string, totals: Map<string, Totals>, all: Sketch, only?: string): void {
  const doc = data.sessions.get(day);
  if (doc !== undefined) {
    mergeSketch(all, decodeSketch(doc.installs.sketch));
    for (const r of doc.releases) {
      if (only !== undefined && r.version !== only) continue;
      let t = totals.get(r.version);
      if (t === undefined) totals.set(r.version, (t = emptyTotals()));
      t.sessions = {
        total: t.sessions.total + r.sessions.total,
        ok: t.sessions.ok + r.sessions.ok,
        errored: t.sessions.errored + r.sessions.errored,
        crashed: t.sessions.crashed + r.sessions.crashed,
        abnormal: t.sessions.abnormal + r.sessions.abnormal,
      };
      mergeSketch(t.installs, decodeSketch(r.installs.sketch));
      mergeSketch(t.crashedInstalls, decodeSketch(r.crashedInstalls.sketch));
    }
  }
  for (const [version, count] of data.crashes.get(day) ?? []) {
    if (only !== undefined && version !== only) continue;
    let t = totals.get(version);
    if (t === undefined) totals.set(version, (t = emptyTotals()));
    t.crashes += count;
  }
}

/** The figures of one release's totals; `allInstalls` is the range's (or day's) installs of every release. */
function figures(t: Totals, allInstalls: number): Omit<ReleaseDayView, 'day'> {
  const sessions = t.sessions.total;
  const installs = estimateDistinct(t.installs);
  const crashedInstalls = estimateDistinct(t.crashedInstalls);
  const has = sessions > 0;
  return {
    installs,
    crashedInstalls,
    sessions,
    crashedSessions: t.sessions.crashed,
    erroredSessions: t.sessions.errored,
    abnormalSessions: t.sessions.abnormal,
    crashFreeSessions: has ? 1 - t.sessions.crashed / sessions : null,
    crashFreeInstalls: has && installs > 0 ? 1 - crashedInstalls / installs : null,
    adoption: has && allInstalls > 0 ? Math.min(1, installs / allInstalls) : null,
    crashes: t.crashes,
  };
}

/** An issue's first release: the stored one, else (issues from before release health) its lowest version. */
function firstVersionOf(issue: IssueDoc): string | undefined {
  return issue.firstVersion ?? issue.versions[0];
}

function toReleaseIssue(
  id: string,
  issue: IssueDoc,
  version: string,
  environment: string | undefined,
): ReleaseIssueView {
  const { count, installs } = releaseFiguresIn(issue, version, environment);
  return { ...toIssueSummary(id, issue), releaseCrashes: count, releaseInstalls: installs };
}

function rangeBounds(from: string, to: string): { start: Date; end: Date } {
  return { start: new Date(`${from}T00:00:00Z`), end: new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS) };
}

type IssueRow = { id: string; issue: IssueDoc };

/**
 * Issues new in the range, each with the release of its first crash: in every environment, the
 * issues first seen in the range; in one, those whose first crash in that environment was in the
 * range. `active` are the issues seen since the range's start (a superset of the latter), read
 * here when not given.
 */
async function newIssuesOf(
  store: InsightsStore,
  productKey: string,
  query: { from: string; to: string; environment?: string | undefined },
  active?: IssueRow[],
): Promise<Array<IssueRow & { firstSeen: Date; firstVersion: string | undefined }>> {
  const { start, end } = rangeBounds(query.from, query.to);
  const { environment } = query;
  if (environment === undefined) {
    const rows = await store.listIssuesBetween(productKey, 'firstSeen', start, end, MAX_NEW_ISSUES_READ);
    return rows.map((row) => ({ ...row, firstSeen: row.issue.firstSeen, firstVersion: firstVersionOf(row.issue) }));
  }
  const seen = active ?? (await store.listIssuesBetween(productKey, 'lastSeen', start, null, MAX_NEW_ISSUES_READ));
  return seen.flatMap((row) => {
    const first = environmentsOfIssue(row.issue)[environment];
    if (first === undefined || first.firstSeen < start || first.firstSeen >= end) return [];
    return [{ ...row, firstSeen: first.firstSeen, firstVersion: first.firstVersion }];
  });
}

function releaseView(
  version: string,
  t: Totals,
  all: number,
  index: ReleasesIndexDoc | null,
  newIssues: number,
): ReleaseView {
  const entry = index?.releases.find((r) => r.version === version);
  return {
    version,
    firstSeen: entry?.firstSeen.toISOString() ?? null,
    lastSeen: entry?.lastSeen.toISOString() ?? null,
    ...figures(t, all),
    newIssues,
  };
}

/**
 * `GET /v1/products/{key}/releases?from=YYYY-MM-DD&to=YYYY-MM-DD[&environment=name]`: any member.
 * Every release with sessions or crashes in the range (in the environment), newest first. Reads:
 * the product, two stats documents per day and the releases index (one getAll), and the issues
 * first seen in the range; in one environment, the issues seen since the range's start instead,
 * each counted new in the release of its first crash in that environment.
 */
export async function getReleases(
  store: InsightsStore,
  params: { productKey: string; query: unknown },
  caller: Caller,
): Promise<ReleasesView> {
  const query = parseQuery(ReleasesQuerySchema, params.query);
  const days = listDays(query.from, query.to);
  await loadProductFor(store, caller, params.productKey, 'viewer');
  const [data, issues] = await Promise.all([
    readRange(store, params.productKey, days, query.environment),
    newIssuesOf(store, params.productKey, query),
  ]);
  const totals = new Map<string, Totals>();
  const all = createSketch(ISSUE_PRECISION);
  for (const day of days) addDay(data, day, totals, all);
  const allInstalls = estimateDistinct(all);
  const newIssues = new Map<string, number>();
  for (const { firstVersion: v } of issues) {
    if (v !== undefined) newIssues.set(v, (newIssues.get(v) ?? 0) + 1);
  }
  const versions = [...totals.keys()].sort((a, b) => compareVersions(b, a));
  return {
    from: query.from,
    to: query.to,
    releases: versions.map((v) => releaseView(v, totals.get(v)!, allInstalls, data.index, newIssues.get(v) ?? 0)),
    total: rangeTotal(data, all),
    series: days.map((day) => releasesDay(data, day)),
  };
}

/** Every release over the range together; `all` is the union of each day's installs. */
function rangeTotal(data: RangeData, all: Sketch): ReleasesTotalView {
  const t = emptyTotals();
  t.installs = all;
  for (const day of data.days) {
    const doc = data.sessions.get(day);
    // Releases past the day document's limit have their sessions only in otherSessions: they still count here.
    for (const counts of [...(doc?.releases.map((r) => r.sessions) ?? []), ...(doc ? [doc.otherSessions] : [])]) {
      t.sessions = {
        total: t.sessions.total + counts.total,
        ok: t.sessions.ok + counts.ok,
        errored: t.sessions.errored + counts.errored,
        crashed: t.sessions.crashed + counts.crashed,
        abnormal: t.sessions.abnormal + counts.abnormal,
      };
    }
    for (const r of doc?.releases ?? []) mergeSketch(t.crashedInstalls, decodeSketch(r.crashedInstalls.sketch));
    for (const count of data.crashes.get(day)?.values() ?? []) t.crashes += count;
  }
  const { adoption: _share, ...rest } = figures(t, estimateDistinct(all));
  return rest;
}

/** One day's sessions, in all and per release. */
function releasesDay(data: RangeData, day: string): ReleasesDayView {
  const doc = data.sessions.get(day);
  const releases = (doc?.releases ?? []).map((r) => ({
    version: r.version,
    sessions: r.sessions.total,
    crashedSessions: r.sessions.crashed,
  }));
  const other = doc?.otherSessions ?? { total: 0, crashed: 0 };
  return {
    day,
    sessions: releases.reduce((n, r) => n + r.sessions, other.total),
    crashedSessions: releases.reduce((n, r) => n + r.crashedSessions, other.crashed),
    releases,
  };
}

/**
 * `GET /v1/products/{key}/releases/{version}?from=&to=[&environment=name]`: any member. The release's figures over
 * the range, a point per day, its new issues and its top issues by installs affected; with
 * `environment=`, only issues seen in that environment, with its crashes and installs. A release
 * with neither sessions nor crashes in the range is a 404.
 */
export async function getRelease(
  store: InsightsStore,
  params: { productKey: string; version: string; query: unknown },
  caller: Caller,
): Promise<ReleaseDetailView> {
  const query = parseQuery(ReleasesQuerySchema, params.query);
  const days = listDays(query.from, query.to);
  await loadProductFor(store, caller, params.productKey, 'viewer');
  const version = params.version;
  const { start } = rangeBounds(query.from, query.to);
  const environment = query.environment;
  const [data, active, firstSeen] = await Promise.all([
    readRange(store, params.productKey, days, environment),
    store.listIssuesBetween(params.productKey, 'lastSeen', start, null, MAX_ACTIVE_ISSUES_READ),
    environment === undefined ? newIssuesOf(store, params.productKey, query) : null,
  ]);
  // In one environment, its new issues are among those seen since the start: no second query.
  const fresh = firstSeen ?? (await newIssuesOf(store, params.productKey, query, active));
  const totals = new Map<string, Totals>();
  const all = createSketch(ISSUE_PRECISION);
  const series: ReleaseDayView[] = days.map((day) => {
    const dayTotals = new Map<string, Totals>();
    const dayAll = createSketch(ISSUE_PRECISION);
    addDay(data, day, dayTotals, dayAll, version);
    addDay(data, day, totals, all, version);
    return { day, ...figures(dayTotals.get(version) ?? emptyTotals(), estimateDistinct(dayAll)) };
  });
  const t = totals.get(version);
  if (t === undefined)
    throw new DumpcatcherError('not_found', 'No sessions or crashes of this release in the range.', {
      details: { version },
    });
  const firstSeenIssues = fresh
    .filter((row) => row.firstVersion === version)
    .sort((a, b) => b.firstSeen.getTime() - a.firstSeen.getTime() || (a.id < b.id ? -1 : 1))
    .map(({ id, issue }) => toReleaseIssue(id, issue, version, environment));
  const topIssues = active
    .map(({ id, issue }) => toReleaseIssue(id, issue, version, environment))
    .filter((i) => i.releaseCrashes > 0)
    .sort(
      (a, b) => b.releaseInstalls - a.releaseInstalls || b.releaseCrashes - a.releaseCrashes || (a.id < b.id ? -1 : 1),
    )
    .slice(0, TOP_ISSUES);
  return {
    from: query.from,
    to: query.to,
    ...releaseView(version, t, estimateDistinct(all), data.index, firstSeenIssues.length),
    series,
    firstSeenIssues,
    topIssues,
  };
}
