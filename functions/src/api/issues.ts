import { parseInput } from '../shared/validation';
import type { z } from 'zod';
import type { Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import {
  issueRowOf,
  regressionActivityOf,
  type IssueDoc,
  type IssueRowDoc,
  type IssueStatus,
  type StoredFrame,
} from '../grouping/schemas';
import {
  CommentBodySchema,
  GetIssueQuerySchema,
  ListActivityQuerySchema,
  ListIssuesQuerySchema,
  PatchIssueBodySchema,
  type ActivityDoc,
  type Actor,
  type CommentBody,
  type IssueSort,
  type PatchIssueBody,
  type StoredResolution,
} from './schemas';
import { mappingKeysOf, type RetraceOutcome } from '../grouping/retrace';
import { newestSeenVersion } from '../grouping/version';
import { HEAD_ROWS, headFromQuery, headId as listHeadId, pageOfHead, type ListHeadDoc } from '../grouping/list-heads';
import { toCrashView, type CrashView } from './crash-view';
import { decodeActivityCursor, decodeIssueCursor, encodeActivityCursor, encodeIssueCursor } from './cursors';
import { issueDailyCounts, issueDailyFromDoc, lastDays, statsDocId, type IssueDayPoint } from './series';
import { loadProductFor, roleOf, type Caller } from './access';
import { canonicalFilter, indexedToken, isFiltered, matchesFilter, type IssueFilter } from '../grouping/search-tokens';
import { sha256Hex } from '../shared/sha256';
import type { ActivityWrite, InsightsStore, IssueChange, IssuePageQuery } from './deps';

/** The crash view, re-exported for callers that import the issue types from here. */
export type { CrashView } from './crash-view';

/** What the issue and stats routes depend on. */
export interface InsightsDeps {
  store: InsightsStore;
  clock: Clock;
}

/** An issue as the listing shows it. */
export interface IssueSummaryView {
  id: string;
  type: string;
  title: string;
  culprit: string | null;
  count: number;
  clients: number;
  status: IssueStatus;
  resolvedInVersion: string | null;
  resolvedAfterVersion: string | null;
  firstSeen: string;
  lastSeen: string;
  lastVersion: string;
  /** The uid the issue is assigned to (the product's members list names them); null for nobody. */
  assigneeUid: string | null;
}

/** One issue with what the detail page needs. */
export interface IssueView extends IssueSummaryView {
  source: IssueDoc['source'];
  topFrame: StoredFrame | null;
  versions: string[];
  regressedInVersion: string | null;
  statusChangedAt: string | null;
  /** For obfuscated Java traces: retraced with mapping `mapId`, or that mapping is missing; else null. */
  retrace: RetraceOutcome | null;
}

/** A row of the issue listing: the issue and its crashes on each of the answer's `days`. */
export interface IssueListRowView extends IssueSummaryView {
  daily: number[];
}

/** Answer of `GET /v1/products/{key}/issues`. */
export interface IssueListView {
  /**
   * With `environment=`, each issue's `count` is its crashes in that environment (clients,
   * lastSeen and daily stay every environment's): see api.md.
   */
  issues: IssueListRowView[];
  /** The environment the issues' `count` is in (the `environment` asked for); null: every environment. */
  environment: string | null;
  /**
   * Pass as `cursor` for the next page; null on the last page. A searched or filtered page may
   * hold fewer than `limit` issues (even none) and still have a next page: see api.md.
   */
  nextCursor: string | null;
  /** The UTC days `daily` counts, oldest first, ending today. */
  days: string[];
}

/** Answer of `GET /v1/products/{key}/issues/{id}`. */
export interface IssueDetailView extends IssueView {
  /** Up to 10 of its latest crashes still kept, newest first. */
  recentCrashes: CrashView[];
  /** Its crashes per UTC day over the last `days` days, oldest first. */
  daily: IssueDayPoint[];
  /** Distinct installs affected: in all (`clients`), and per release (newest 20 releases, counted since release health). */
  installs: IssueInstallsView;
  /** The newest version seen: resolving in the next release now keeps crashes up to it from reopening the issue. */
  newestVersion: string | null;
  /** Set when the id asked for is an issue merged into this one (after its mapping was uploaded): that id. */
  redirectedFrom?: string;
}

/** The installs an issue affected. */
export interface IssueInstallsView {
  total: number;
  releases: Array<{ version: string; installs: number; crashes: number }>;
}

const ISSUE_ID = /^[0-9a-f]{64}$/;

/** Checks query parameters against `schema`: 400 invalid_argument naming every bad parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  return parseInput(schema, query ?? {}, 'invalid_argument', 'query');
}

function notFoundIssue(): DumpcatcherError {
  return new DumpcatcherError('not_found', 'No such issue.');
}

/** The listing view of an issue document. */
export function toIssueSummary(id: string, issue: IssueRowDoc): IssueSummaryView {
  return {
    id,
    type: issue.type,
    title: issue.title,
    culprit: issue.culprit,
    count: issue.count,
    clients: issue.clients,
    status: issue.status,
    resolvedInVersion: issue.resolvedInVersion,
    resolvedAfterVersion: issue.resolvedAfterVersion ?? null,
    firstSeen: issue.firstSeen.toISOString(),
    lastSeen: issue.lastSeen.toISOString(),
    lastVersion: issue.lastVersion,
    assigneeUid: issue.assigneeUid ?? null,
  };
}

function toIssueView(id: string, issue: IssueDoc): IssueView {
  return {
    ...toIssueSummary(id, issue),
    source: issue.source,
    topFrame: issue.topFrame,
    versions: [...issue.versions],
    regressedInVersion: issue.regressedInVersion,
    statusChangedAt: issue.statusChangedAt?.toISOString() ?? null,
    retrace: issue.retrace ?? null,
  };
}

function sortValue(issue: IssueRowDoc, sort: IssueSort): number {
  return sort === 'lastSeen' ? issue.lastSeen.getTime() : issue[sort];
}

/** Most issues one page of a searched or filtered listing reads before answering with the matches found so far. */
export const MAX_SCAN_PER_PAGE = 300;

type IssueRow = { id: string; issue: IssueRowDoc };
type ListQuery = z.infer<typeof ListIssuesQuerySchema>;

function filterOf(query: ListQuery): IssueFilter {
  return {
    q: query.q,
    environment: query.environment,
    version: query.version,
    label: query.label,
    type: query.type,
    app: query.app,
    tags: query.tag,
  };
}

/**
 * One page of matches: Firestore is asked for the filter's most selective token (`array-contains`),
 * the other conditions are checked here, reading ever larger chunks until a page and one more
 * row match or MAX_SCAN_PER_PAGE issues were read. `resume` is where the next page starts: after
 * the last row shown, or after the last issue read when the scan stopped first; null at the end.
 */
/** A page of rows and where the next one resumes (null: no more); from a query, the rows it read. */
interface ListedPage {
  shown: IssueRow[];
  resume: { value: number; id: string } | null;
  rows?: IssueRow[];
}

/**
 * The first page from the status's list head, or from the query when the head cannot tell it
 * (never built, or shortened by issues that left the status); the query then reads enough rows
 * to rebuild the head, written unless a row changed since the head was read.
 */
async function fromHead(
  store: InsightsStore,
  productKey: string,
  headId: string,
  head: ListHeadDoc | null,
  query: ListQuery,
  page: (from: 'issueRows', limit?: number) => Promise<ListedPage>,
): Promise<ListedPage> {
  const known = head === null ? null : pageOfHead(head, query.limit);
  if (known !== null) {
    const shown = known.rows.map(({ id, ...row }) => ({ id, issue: row }));
    const last = shown[shown.length - 1];
    return {
      shown,
      resume: known.more && last !== undefined ? { value: sortValue(last.issue, query.sort), id: last.id } : null,
    };
  }
  const listed = await page('issueRows', Math.max(query.limit, HEAD_ROWS) + 1);
  // A head that is full only could not tell a page longer than itself: it stays as it is.
  if (head !== null && pageOfHead(head, HEAD_ROWS - 1) !== null) return listed;
  const rebuilt = headFromQuery(
    0,
    (listed.rows ?? []).map((r) => ({ id: r.id, row: r.issue })),
  );
  // Best effort: the page is answered either way, and the next view tries again.
  await store.putListHead(productKey, headId, head?.version ?? 0, rebuilt).catch(() => false);
  return listed;
}

async function scanMatches(
  store: InsightsStore,
  productKey: string,
  query: ListQuery,
  filter: IssueFilter,
  after: { value: number; id: string } | null,
  from: IssuePageQuery['from'],
): Promise<ListedPage> {
  const token = indexedToken(filter) ?? undefined;
  const matched: IssueRow[] = [];
  let position = after;
  let scanned = 0;
  let chunk = query.limit + 1;
  let exhausted = false;
  while (matched.length <= query.limit && scanned < MAX_SCAN_PER_PAGE) {
    const size = Math.min(chunk, MAX_SCAN_PER_PAGE - scanned);
    const rows = await store.listIssues(productKey, {
      status: query.status,
      sort: query.sort,
      limit: size,
      after: position,
      token,
      from,
    });
    scanned += rows.length;
    for (const row of rows) {
      position = { value: sortValue(row.issue, query.sort), id: row.id };
      if (matchesFilter(row.issue, filter) && matched.push(row) > query.limit) break;
    }
    if (rows.length < size) {
      exhausted = true;
      break;
    }
    chunk *= 2;
  }
  const shown = matched.slice(0, query.limit);
  const last = shown[shown.length - 1];
  if (matched.length > query.limit && last !== undefined)
    return { shown, resume: { value: sortValue(last.issue, query.sort), id: last.id } };
  return { shown, resume: exhausted ? null : position };
}

/**
 * `GET /v1/products/{key}/issues?status=&sort=lastSeen|count|clients&limit=&cursor=&days=` and
 * the search and filters `q`, `environment`, `version`, `label`, `type`, `app`, `tag`: any
 * member. Reads per page: the first page of a status tab, the product and its list head (plus the
 * query and the head's rebuild when the head cannot tell the page); any other page, the product
 * and the rows shown plus one (read side by side; twice for a product whose rows are not
 * complete yet); filtered, the issues scanned (at most MAX_SCAN_PER_PAGE) plus one. The sparklines come from the rows' own per-day counts.
 * Only while a row shown was stored before those were kept (and was seen within `days`) does the
 * page also read one stats document per day.
 */
export async function listIssues(
  deps: InsightsDeps,
  params: { productKey: string; query: unknown },
  caller: Caller,
): Promise<IssueListView> {
  const query = parseQuery(ListIssuesQuerySchema, params.query);
  const filter = filterOf(query);
  const filtered = isFiltered(filter);
  const listing = {
    productKey: params.productKey,
    sort: query.sort,
    status: query.status ?? null,
    filter: filtered ? sha256Hex(canonicalFilter(filter)).slice(0, 16) : null,
  };
  const after = query.cursor === undefined ? null : decodeIssueCursor(query.cursor, listing);
  const page = async (from: IssuePageQuery['from'], limit = query.limit + 1): Promise<ListedPage> => {
    if (filtered) return scanMatches(deps.store, params.productKey, query, filter, after, from);
    const rows = await deps.store.listIssues(params.productKey, {
      status: query.status,
      sort: query.sort,
      limit,
      after,
      from,
    });
    const shown = rows.slice(0, query.limit);
    const last = shown[shown.length - 1];
    const resume =
      rows.length > query.limit && last !== undefined
        ? { value: sortValue(last.issue, query.sort), id: last.id }
        : null;
    return { shown, resume, rows };
  };
  // The first page of a status tab is its list head, one document kept by every writer of rows
  // (grouping/list-heads.ts), read beside the product; a head too short for the page is rebuilt
  // from the query. Other pages are read beside the product when unfiltered (limit + 1 reads at
  // most). Nothing read is answered before the caller's access is known. A filtered page may scan
  // up to MAX_SCAN_PER_PAGE rows, so it waits for the access check.
  const headId =
    !filtered && after === null && query.status !== undefined ? listHeadId(query.status, query.sort) : null;
  const head = headId === null ? null : deps.store.getListHead(params.productKey, headId);
  const early = filtered || head !== null ? null : page('issueRows');
  for (const p of [head, early]) p?.catch(() => undefined); // awaited below, unless the access check throws first
  const { product } = await loadProductFor(deps.store, caller, params.productKey, 'viewer');
  // Until the backfill gave every issue of the product its row, the rows would leave some out.
  const complete = product.issueRowsComplete === true;
  let listed: ListedPage;
  if (!complete) listed = await page('issues');
  else if (headId === null || head === null) listed = await (early ?? page('issueRows'));
  else listed = await fromHead(deps.store, params.productKey, headId, await head, query, page);
  const { shown: listedRows, resume } = listed;
  const shown =
    query.environment === undefined
      ? listedRows
      : await inEnvironment(deps.store, params.productKey, listedRows, query.environment);
  const days = lastDays(deps.clock(), query.days);
  const daily = new Map(shown.map((row) => [row.id, issueDailyFromDoc(row.issue, days)]));
  const older = shown.filter((row) => daily.get(row.id) === null).map((row) => row.id);
  if (older.length > 0) {
    const docs = await deps.store.getStats(
      params.productKey,
      days.map((day) => statsDocId(day, 'issue')),
    );
    for (const [id, counts] of issueDailyCounts(days, docs, older)) daily.set(id, counts);
  }
  return {
    issues: shown.map((row) => ({ ...toIssueSummary(row.id, row.issue), daily: daily.get(row.id) ?? [] })),
    nextCursor: resume === null ? null : encodeIssueCursor(listing, resume.value, resume.id),
    days,
    environment: query.environment ?? null,
  };
}

/**
 * The rows with `count` their crashes in `environment` (0 past the issue's counted environments).
 * A row written before it kept its environments' counts has them read from its issue document.
 */
async function inEnvironment(
  store: InsightsStore,
  productKey: string,
  rows: IssueRow[],
  environment: string,
): Promise<IssueRow[]> {
  const older = rows.filter((row) => row.issue.environmentCounts === undefined);
  const issues = await Promise.all(older.map((row) => store.getIssue(productKey, row.id)));
  const counts = new Map(older.map((row, i) => [row.id, issues[i]]));
  return rows.map((row) => {
    const issue = counts.get(row.id);
    const perEnvironment = issueRowOf(issue ?? row.issue).environmentCounts ?? {};
    return { id: row.id, issue: { ...row.issue, count: perEnvironment[environment] ?? 0 } };
  });
}

/** `GET /v1/products/{key}/issues/{id}?days=`: the issue, its most recent crashes still kept, and its daily counts. */
export async function getIssue(
  deps: InsightsDeps,
  params: { productKey: string; issueId: string; query: unknown },
  caller: Caller,
): Promise<IssueDetailView> {
  const query = parseQuery(GetIssueQuerySchema, params.query);
  await loadProductFor(deps.store, caller, params.productKey, 'viewer');
  if (!ISSUE_ID.test(params.issueId)) throw notFoundIssue();
  const { id, issue } = await findIssue(deps.store, params.productKey, params.issueId);
  const days = lastDays(deps.clock(), query.days);
  const [crashes, docs] = await Promise.all([
    deps.store.getCrashes(params.productKey, issue.recentCrashIds),
    deps.store.getStats(
      params.productKey,
      days.map((day) => statsDocId(day, 'issue')),
    ),
  ]);
  const counts = issueDailyCounts(days, docs, [id]).get(id) ?? [];
  await deps.store.mappings?.prepare(mappingKeysOf(crashes));
  const lookup = deps.store.mappings?.lookup;
  return {
    ...toIssueView(id, issue),
    ...(id === params.issueId ? {} : { redirectedFrom: params.issueId }),
    recentCrashes: crashes.map((c) => toCrashView(params.productKey, c.id, c.data, { issueId: id }, lookup)),
    daily: days.map((day, i) => ({ day, count: counts[i] ?? 0 })),
    newestVersion: newestVersionOf(issue),
    installs: {
      total: issue.clients,
      releases: (issue.releases ?? []).map((r) => ({ version: r.version, installs: r.installs, crashes: r.count })),
    },
  };
}

/**
 * `PATCH /v1/products/{key}/issues/{id}` `{status?, resolution? | resolvedInVersion?, assignee?}`
 * (owner or member). Resolving records the time, so only crashes received later can regress the
 * issue; in the next release, it also records the newest version seen, from the issue as stored.
 * Each change is added to the issue's activity in the same transaction; an assignee must have
 * access to the product (400 naming `assignee`).
 */
export async function patchIssue(
  deps: InsightsDeps,
  params: { productKey: string; issueId: string; body: unknown },
  caller: Caller,
): Promise<IssueView> {
  const body: PatchIssueBody = parseInput(PatchIssueBodySchema, params.body, 'invalid_body', 'request body');
  const { product } = await loadProductFor(deps.store, caller, params.productKey, 'member');
  if (body.assignee != null && roleOf(product, body.assignee) === null) {
    const message = 'must be the uid of someone with access to the product';
    throw new DumpcatcherError('invalid_body', `Invalid request body: assignee: ${message}.`, {
      details: { issues: [{ path: 'assignee', message }] },
    });
  }
  if (!ISSUE_ID.test(params.issueId)) throw notFoundIssue();
  const now = deps.clock();
  const by = actorOf(caller);
  const assignee = body.assignee == null ? null : await actorFromUser(deps.store, body.assignee);
  const updated = await deps.store.updateIssue(params.productKey, params.issueId, (issue) => {
    const change: IssueChange = {};
    const activity: ActivityWrite[] = [];
    if (body.status !== undefined) {
      // The rollup records a regression as it reopens the issue; one it reopened before it did
      // gets its entry now, at its own time. The same id either way: recorded once.
      const regression = regressionActivityOf(issue);
      if (regression !== null) activity.push(regression);
      const resolved = resolutionFields(body, issue);
      Object.assign(change, { status: body.status, ...resolved, statusChangedAt: now, regressedInVersion: null });
      activity.push({
        entry: {
          kind: 'status',
          at: now,
          by,
          status: body.status,
          resolution: storedResolution(body, resolved),
          regressedInVersion: null,
        },
      });
    }
    if (body.assignee !== undefined && body.assignee !== (issue.assigneeUid ?? null)) {
      change.assigneeUid = body.assignee;
      activity.push({ entry: { kind: 'assign', at: now, by, assignee } });
    }
    return { change, activity };
  });
  if (updated === null) throw notFoundIssue();
  return toIssueView(params.issueId, updated);
}

/** One entry of an issue's activity as the api answers it (each kind keeps its own fields). */
export type ActivityView = ActivityDoc extends infer A
  ? A extends ActivityDoc
    ? Omit<A, 'at'> & { id: string; at: string }
    : never
  : never;

/** Answer of `GET /v1/products/{key}/issues/{id}/activity`. */
export interface ActivityListView {
  activity: ActivityView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

function toActivityView(id: string, entry: ActivityDoc): ActivityView {
  return { ...entry, id, at: entry.at.toISOString() };
}

/** `POST /v1/products/{key}/issues/{id}/comments` `{text}` (owner or member): adds a comment to the activity. */
export async function commentOnIssue(
  deps: InsightsDeps,
  params: { productKey: string; issueId: string; body: unknown },
  caller: Caller,
): Promise<ActivityView> {
  const body: CommentBody = parseInput(CommentBodySchema, params.body, 'invalid_body', 'request body');
  await loadProductFor(deps.store, caller, params.productKey, 'member');
  if (!ISSUE_ID.test(params.issueId)) throw notFoundIssue();
  const entry: ActivityDoc = { kind: 'comment', at: deps.clock(), by: actorOf(caller), text: body.text };
  const added = await deps.store.addActivity(params.productKey, params.issueId, entry);
  if (added === null) throw notFoundIssue();
  return toActivityView(added.id, entry);
}

/** `GET /v1/products/{key}/issues/{id}/activity?limit=&cursor=` (any role): newest first, one page. */
export async function listIssueActivity(
  deps: InsightsDeps,
  params: { productKey: string; issueId: string; query: unknown },
  caller: Caller,
): Promise<ActivityListView> {
  const query = parseQuery(ListActivityQuerySchema, params.query);
  const after =
    query.cursor === undefined ? null : decodeActivityCursor(query.cursor, params.productKey, params.issueId);
  await loadProductFor(deps.store, caller, params.productKey, 'viewer');
  if (!ISSUE_ID.test(params.issueId)) throw notFoundIssue();
  if (after === null && (await deps.store.getIssue(params.productKey, params.issueId)) === null) throw notFoundIssue();
  const rows = await deps.store.listActivity(params.productKey, params.issueId, { limit: query.limit + 1, after });
  const shown = rows.slice(0, query.limit);
  const last = shown[shown.length - 1];
  return {
    activity: shown.map((row) => toActivityView(row.id, row.activity)),
    nextCursor:
      rows.length > query.limit && last !== undefined
        ? encodeActivityCursor(params.productKey, params.issueId, last.activity.at.getTime(), last.id)
        : null,
  };
}

/** The caller as the activity records them. */
function actorOf(caller: Caller): Actor {
  return { uid: caller.uid, displayName: caller.displayName, email: caller.email };
}

/** An assignee as the activity records them: their profile as last seen by the api. */
async function actorFromUser(store: InsightsStore, uid: string): Promise<Actor> {
  const user = await store.getUser(uid);
  return { uid, displayName: user?.displayName ?? null, email: user?.email ?? null };
}

function storedResolution(
  body: PatchIssueBody,
  fields: Pick<IssueDoc, 'resolvedInVersion' | 'resolvedAfterVersion'>,
): StoredResolution | null {
  if (body.status !== 'resolved') return null;
  if (fields.resolvedInVersion !== null) return { kind: 'inVersion', version: fields.resolvedInVersion };
  if (body.resolution?.kind === 'nextRelease')
    return { kind: 'nextRelease', afterVersion: fields.resolvedAfterVersion ?? null };
  return { kind: 'now' };
}

/** How many merges an old address is followed through (an issue merged into one merged later). */
const MAX_MERGE_HOPS = 5;

/** The issue under `id`, or, when it was merged into another (rollup/regroup.ts), the one it lives on in. */
async function findIssue(
  store: InsightsStore,
  productKey: string,
  issueId: string,
): Promise<{ id: string; issue: IssueDoc }> {
  let id = issueId;
  for (let hop = 0; hop <= MAX_MERGE_HOPS; hop++) {
    const issue = await store.getIssue(productKey, id);
    if (issue !== null) return { id, issue };
    const next = (await store.getMergedInto?.(productKey, id)) ?? null;
    if (next === null) break;
    id = next;
  }
  throw notFoundIssue();
}

function newestVersionOf(issue: IssueDoc): string | null {
  return newestSeenVersion([...issue.versions, issue.lastVersion]);
}

function resolutionFields(
  body: PatchIssueBody,
  issue: IssueDoc,
): Pick<IssueDoc, 'resolvedInVersion' | 'resolvedAfterVersion'> {
  if (body.status !== 'resolved') return { resolvedInVersion: null, resolvedAfterVersion: null };
  const resolution =
    body.resolution ??
    (body.resolvedInVersion == null
      ? ({ kind: 'now' } as const)
      : ({ kind: 'inVersion', version: body.resolvedInVersion } as const));
  switch (resolution.kind) {
    case 'nextRelease':
      return {
        resolvedInVersion: null,
        resolvedAfterVersion: newestVersionOf(issue),
      };
    case 'inVersion':
      return { resolvedInVersion: resolution.version, resolvedAfterVersion: null };
    case 'now':
      return { resolvedInVersion: null, resolvedAfterVersion: null };
  }
}
