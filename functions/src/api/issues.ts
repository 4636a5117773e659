import type { z } from 'zod';
import type { Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import {
  ListIssuesQuerySchema,
  PatchIssueBodySchema,
  type IssueDoc,
  type IssueStatus,
  type ListIssuesQuery,
  type PatchIssueBody,
  type StoredFrame,
} from '../rollup/schemas';
import { roleOf, type Caller, type Role } from './products';
import type { ProductDoc } from './schemas';

/** What the issue and stats routes read and write; the Firestore adapter is rollup/insights-store.ts. */
export interface InsightsStore {
  getProduct(productKey: string): Promise<ProductDoc | null>;
  /** Issues of a product, optionally of one status, by `sort` descending. */
  listIssues(productKey: string, query: ListIssuesQuery): Promise<Array<{ id: string; issue: IssueDoc }>>;
  getIssue(productKey: string, id: string): Promise<IssueDoc | null>;
  /** Raw crash documents that still exist (TTL may have deleted some), in the order asked. */
  getCrashes(productKey: string, ids: readonly string[]): Promise<Array<{ id: string; data: Record<string, unknown> }>>;
  /** Sets the status fields of an existing issue atomically; null when there is no such issue. */
  updateIssueStatus(
    productKey: string,
    id: string,
    change: Pick<IssueDoc, 'status' | 'resolvedInVersion' | 'statusChangedAt' | 'regressedInVersion'>,
  ): Promise<IssueDoc | null>;
  /** Stats documents by id (`{day}_{by}`); missing ones are left out. */
  getStats(productKey: string, ids: readonly string[]): Promise<Map<string, unknown>>;
}

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
  firstSeen: string;
  lastSeen: string;
  lastVersion: string;
}

/** One issue with what the detail page needs. */
export interface IssueView extends IssueSummaryView {
  source: IssueDoc['source'];
  topFrame: StoredFrame | null;
  versions: string[];
  regressedInVersion: string | null;
  statusChangedAt: string | null;
}

/** A crash as shown under its issue. */
export interface CrashView {
  id: string;
  receivedAt: string | null;
  occurredAt: unknown;
  app: unknown;
  label: unknown;
  exception: unknown;
  runtime: unknown;
  os: unknown;
  tags: unknown;
  extra: unknown;
}

const ISSUE_ID = /^[0-9a-f]{64}$/;

/** Checks query parameters against `schema`: 400 invalid_argument naming every bad parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  throw new DumpcatcherError('invalid_argument', `Invalid query: ${first?.path || '(root)'}: ${first?.message}.`, {
    details: { issues },
  });
}

/** The caller's role on a product, or a 404 that does not reveal whether it exists; 403 if owner is needed. */
export async function requireRole(store: InsightsStore, caller: Caller, productKey: string, need: Role): Promise<Role> {
  const product = await store.getProduct(productKey);
  const role = product === null ? null : roleOf(product, caller.uid);
  if (role === null) throw new DumpcatcherError('not_found', 'No such product.');
  if (need === 'owner' && role !== 'owner')
    throw new DumpcatcherError('permission_denied', 'Only the product owner may do this.', { details: { role } });
  return role;
}

function notFoundIssue(): DumpcatcherError {
  return new DumpcatcherError('not_found', 'No such issue.');
}

/** The listing view of an issue document. */
export function toIssueSummary(id: string, issue: IssueDoc): IssueSummaryView {
  return {
    id,
    type: issue.type,
    title: issue.title,
    culprit: issue.culprit,
    count: issue.count,
    clients: issue.clients,
    status: issue.status,
    resolvedInVersion: issue.resolvedInVersion,
    firstSeen: issue.firstSeen.toISOString(),
    lastSeen: issue.lastSeen.toISOString(),
    lastVersion: issue.lastVersion,
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
  };
}

function toCrashView(id: string, data: Record<string, unknown>): CrashView {
  const receivedAt = data.receivedAt;
  let extra: unknown = null;
  if (typeof data.extraJson === 'string') {
    try {
      extra = JSON.parse(data.extraJson);
    } catch {
      extra = null;
    }
  }
  return {
    id,
    receivedAt: receivedAt instanceof Date ? receivedAt.toISOString() : null,
    occurredAt: data.occurredAt ?? null,
    app: data.app ?? null,
    label: data.label ?? null,
    exception: data.exception ?? null,
    runtime: data.runtime ?? null,
    os: data.os ?? null,
    tags: data.tags ?? null,
    extra,
  };
}

/** `GET /v1/products/{key}/issues?status=&sort=lastSeen|count&limit=`: any member. */
export async function listIssues(
  store: InsightsStore,
  params: { productKey: string; query: unknown },
  caller: Caller,
): Promise<{ issues: IssueSummaryView[] }> {
  const query = parseQuery(ListIssuesQuerySchema, params.query);
  await requireRole(store, caller, params.productKey, 'viewer');
  const rows = await store.listIssues(params.productKey, query);
  return { issues: rows.map((row) => toIssueSummary(row.id, row.issue)) };
}

/** `GET /v1/products/{key}/issues/{id}`: the issue and its most recent crashes still kept. */
export async function getIssue(
  store: InsightsStore,
  params: { productKey: string; issueId: string },
  caller: Caller,
): Promise<IssueView & { recentCrashes: CrashView[] }> {
  await requireRole(store, caller, params.productKey, 'viewer');
  if (!ISSUE_ID.test(params.issueId)) throw notFoundIssue();
  const issue = await store.getIssue(params.productKey, params.issueId);
  if (issue === null) throw notFoundIssue();
  const crashes = await store.getCrashes(params.productKey, issue.recentCrashIds);
  return { ...toIssueView(params.issueId, issue), recentCrashes: crashes.map((c) => toCrashView(c.id, c.data)) };
}

/**
 * `PATCH /v1/products/{key}/issues/{id}` `{status, resolvedInVersion?}` (owner only). Resolving
 * records the time, so only crashes received later can regress the issue.
 */
export async function patchIssue(
  deps: InsightsDeps,
  params: { productKey: string; issueId: string; body: unknown },
  caller: Caller,
): Promise<IssueView> {
  const result = PatchIssueBodySchema.safeParse(params.body);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new DumpcatcherError(
      'invalid_body',
      `Invalid request body: ${issues[0]?.path || '(root)'}: ${issues[0]?.message}.`,
      {
        details: { issues },
      },
    );
  }
  const body: PatchIssueBody = result.data;
  await requireRole(deps.store, caller, params.productKey, 'owner');
  if (!ISSUE_ID.test(params.issueId)) throw notFoundIssue();
  const updated = await deps.store.updateIssueStatus(params.productKey, params.issueId, {
    status: body.status,
    resolvedInVersion: body.status === 'resolved' ? (body.resolvedInVersion ?? null) : null,
    statusChangedAt: deps.clock(),
    regressedInVersion: null,
  });
  if (updated === null) throw notFoundIssue();
  return toIssueView(params.issueId, updated);
}
