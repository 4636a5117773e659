/**
 * The one module that talks to the `api` function. Answer types are the api's own (imported
 * as types from functions/src), so the page and the api cannot drift apart silently.
 */
import type { CrashFeedView } from '../../functions/src/api/crashes';
import type { CrashExceptionView, CrashFrameView, CrashView } from '../../functions/src/api/crash-view';
import type {
  ActivityListView,
  ActivityView,
  IssueDetailView,
  IssueListRowView,
  IssueListView,
  IssueView,
} from '../../functions/src/api/issues';
import type { MappingView, UploadTokenView } from '../../functions/src/api/mappings';
import type { MemberView, ProductView } from '../../functions/src/api/products';
import type { ReleaseDetailView, ReleaseIssueView, ReleasesView, ReleaseView } from '../../functions/src/api/releases';
import type { CrashStatsSeriesView, UsageStatsSeriesView } from '../../functions/src/api/stats';
import type { UserView } from '../../functions/src/api/users';
import type { EnvironmentsView } from '../../functions/src/api/environments';
import type { Breadcrumb, IssueStatus, StoredFrame } from '../../functions/src/grouping/schemas';
import type { GrantedRole, Resolution } from '../../functions/src/api/schemas';
import { idToken, idTokenAfterRefusal } from './auth';

export type { GrantedRole, IssueStatus, MemberView, ProductView, Resolution, StoredFrame, UserView };
/** A crash's breadcrumb, one exception of its cause chain, and a frame with its source lines. */
export type { Breadcrumb, CrashExceptionView, CrashFrameView };

/** One entry of an issue's activity: a status change, an assignment or a comment. */
export type ActivityEntry = ActivityView;
/** A page of an issue's activity, newest first. */
export type ActivityPage = ActivityListView;

/** An issue row with its crashes per day over the listing's `days`. */
export type IssueRow = IssueListRowView;
/** A page of issues. */
export type IssuePage = IssueListView;
/** A crash with the rollup parser's frames and its issue, once grouped. */
export type CrashItem = CrashView;
/** One issue with its recent crashes, daily counts and installs affected (in all and per release). */
export type IssueDetail = IssueDetailView;
/** The newest crashes and the cursor to ask for newer ones. */
export type CrashFeed = CrashFeedView;
/** Crash stats with a per-day series. */
export type CrashStats = CrashStatsSeriesView;
/** Usage stats with a per-day series. */
export type UsageStats = UsageStatsSeriesView;
/** A product with its members, as `GET /v1/products/{key}` answers. */
export type ProductDetail = ProductView & { members: MemberView[] };
/** A product just created or rotated: the only answers that carry a secret. */
export type WithSecret<T> = T & { secret: string };

/** One release's figures over a range; rates are 0–1, null without sessions. */
export type Release = ReleaseView;
/** Every release with sessions or crashes in a range (newest first), all of them together, and sessions per day. */
export type ReleaseList = ReleasesView;
/** One release over a range: its figures, a point per day, its new issues and its top issues by installs. */
export type ReleaseDetail = ReleaseDetailView;
/** An issue on a release page, with its crashes and installs in that release. */
export type ReleaseIssue = ReleaseIssueView;

/** An invitation to a product, as a member or a viewer. */
export interface Invitation {
  id: string;
  productKey: string;
  productName?: string;
  email: string;
  role: GrantedRole;
  invitedBy: { uid?: string; displayName: string | null };
  createdAt: string;
  expiresAt: string;
}

/** An error answer from the api, with its code and words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function send(method: string, path: string, body: unknown, token: string): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, 'network', 'The Dumpcatcher api could not be reached. Check your connection and try again.');
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const first = await idToken();
  let res = await send(method, path, body, first.token);
  // The last session's token, refused (revoked, or its account gone): ask again with Firebase's.
  if (res.status === 401 && first.hinted) res = await send(method, path, body, await idTokenAfterRefusal());
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: handled below
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(
      res.status,
      error?.code ?? 'http_' + res.status,
      error?.message ?? `The api answered ${res.status} ${res.statusText}.`,
    );
  }
  return json as T;
}

const q = (params: Record<string, string | number | readonly string[] | null | undefined>): string => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    // An array is a repeated parameter (`tag=a:1&tag=b:2`).
    if (Array.isArray(v)) for (const item of v as readonly string[]) search.append(k, item);
    else if (v !== null && v !== undefined && v !== '') search.set(k, String(v));
  }
  const s = search.toString();
  return s === '' ? '' : `?${s}`;
};
const p = (key: string) => `/v1/products/${encodeURIComponent(key)}`;

/** Every call the dashboard makes. */
export const api = {
  me: () => call<UserView>('GET', '/v1/me'),
  listProducts: () => call<{ products: ProductView[] }>('GET', '/v1/products'),
  createProduct: (name: string) => call<WithSecret<ProductView>>('POST', '/v1/products', { name }),
  getProduct: (key: string) => call<ProductDetail>('GET', p(key)),
  updateProduct: (
    key: string,
    change: { name?: string; settings?: { retentionDays?: number; rateLimitPerMinute?: number | null } },
  ) => call<ProductView>('PATCH', p(key), change),
  rotateSecret: (key: string, overlapSeconds: number) =>
    call<{ productKey: string; secret: string; previousExpiresAt: string | null; overlapSeconds: number }>(
      'POST',
      `${p(key)}/rotate`,
      { overlapSeconds },
    ),
  deleteProduct: (key: string) => call<{ productKey: string; deleted: boolean }>('DELETE', p(key)),
  removeMember: (key: string, uid: string) =>
    call<ProductView>('DELETE', `${p(key)}/members/${encodeURIComponent(uid)}`),
  setMemberRole: (key: string, uid: string, role: GrantedRole) =>
    call<ProductDetail>('PATCH', `${p(key)}/members/${encodeURIComponent(uid)}`, { role }),

  listInvitations: (key: string) => call<{ invitations: Invitation[] }>('GET', `${p(key)}/invitations`),
  invite: (key: string, email: string, role: GrantedRole) =>
    call<Invitation>('POST', `${p(key)}/invitations`, { email, role }),
  revokeInvitation: (key: string, id: string) =>
    call<{ id: string; revoked: boolean }>('DELETE', `${p(key)}/invitations/${encodeURIComponent(id)}`),
  myInvitations: () => call<{ invitations: Invitation[] }>('GET', '/v1/invitations'),
  acceptInvitation: (id: string) => call<ProductView>('POST', `/v1/invitations/${encodeURIComponent(id)}/accept`),
  declineInvitation: (id: string) =>
    call<{ id: string; declined: boolean }>('POST', `/v1/invitations/${encodeURIComponent(id)}/decline`),

  listIssues: (
    key: string,
    query: {
      status?: IssueStatus | null;
      sort?: string;
      limit?: number;
      cursor?: string | null;
      days?: number;
      /** Search and filters (api.md): `tag` repeats as `key:value`. */
      q?: string;
      environment?: string | undefined;
      version?: string;
      label?: string;
      type?: string;
      app?: string;
      tag?: readonly string[];
    },
  ) => call<IssuePage>('GET', `${p(key)}/issues${q(query)}`),
  getIssue: (key: string, id: string, days = 30) =>
    call<IssueDetail>('GET', `${p(key)}/issues/${encodeURIComponent(id)}${q({ days })}`),
  setIssueStatus: (
    key: string,
    id: string,
    body: { status: 'unresolved' | 'resolved' | 'ignored'; resolution?: Resolution },
  ) => call<IssueView>('PATCH', `${p(key)}/issues/${encodeURIComponent(id)}`, body),
  assignIssue: (key: string, id: string, assignee: string | null) =>
    call<IssueView>('PATCH', `${p(key)}/issues/${encodeURIComponent(id)}`, { assignee }),
  issueActivity: (key: string, id: string, cursor: string | null, limit = 20) =>
    call<ActivityPage>('GET', `${p(key)}/issues/${encodeURIComponent(id)}/activity${q({ limit, cursor })}`),
  commentOnIssue: (key: string, id: string, text: string) =>
    call<ActivityEntry>('POST', `${p(key)}/issues/${encodeURIComponent(id)}/comments`, { text }),
  latestCrashes: (key: string, after: string | null, environment?: string, limit = 20) =>
    call<CrashFeed>('GET', `${p(key)}/crashes${q({ limit, after, environment })}`),
  // `environment` filters to one environment; undefined answers every environment together.
  crashStats: (
    key: string,
    by: 'type' | 'label' | 'line' | 'version' | 'issue',
    from: string,
    to: string,
    environment?: string,
  ) => call<CrashStats>('GET', `${p(key)}/stats${q({ by, from, to, series: 'day', environment })}`),
  usageStats: (key: string, from: string, to: string, environment?: string) =>
    call<UsageStats>('GET', `${p(key)}/stats${q({ by: 'usage', from, to, series: 'day', environment })}`),
  listReleases: (key: string, from: string, to: string, environment?: string) =>
    call<ReleaseList>('GET', `${p(key)}/releases${q({ from, to, environment })}`),
  getRelease: (key: string, version: string, from: string, to: string, environment?: string) =>
    call<ReleaseDetail>('GET', `${p(key)}/releases/${encodeURIComponent(version)}${q({ from, to, environment })}`),
  listEnvironments: (key: string) => call<EnvironmentsView>('GET', `${p(key)}/environments`),
};

/** An alert destination as the api shows it (viewers get only the URL's origin). */
export type AlertDestination = import('../../functions/src/api/alerts').AlertView;
/** An alert event a destination may subscribe to. */
export type AlertEventName = 'issue.new' | 'issue.regressed' | 'issue.spike';

/** The alert destination calls (see docs/api.md#alerts). */
export const alertsApi = {
  list: (key: string) => call<{ alerts: AlertDestination[] }>('GET', `${p(key)}/alerts`),
  create: (
    key: string,
    body: { kind: 'webhook' | 'slack'; url: string; events: AlertEventName[]; spikeThreshold?: number },
  ) => call<AlertDestination & { secret?: string }>('POST', `${p(key)}/alerts`, body),
  update: (
    key: string,
    id: string,
    change: { url?: string; events?: AlertEventName[]; spikeThreshold?: number | null },
  ) => call<AlertDestination>('PATCH', `${p(key)}/alerts/${encodeURIComponent(id)}`, change),
  remove: (key: string, id: string) =>
    call<{ id: string; deleted: boolean }>('DELETE', `${p(key)}/alerts/${encodeURIComponent(id)}`),
  rotate: (key: string, id: string) =>
    call<{ id: string; secret: string }>('POST', `${p(key)}/alerts/${encodeURIComponent(id)}/rotate`),
  test: (key: string, id: string) =>
    call<{ id: string; messageId: string; delivered: boolean; status: number | null; error: string | null }>(
      'POST',
      `${p(key)}/alerts/${encodeURIComponent(id)}/test`,
    ),
};

/** A stored ProGuard/R8 mapping, as `GET …/mappings` lists it. */
export type MappingItem = MappingView;
/** An upload token as listed (never its secret). */
export type UploadToken = UploadTokenView;

/** Mapping and upload-token calls (owner's settings; see docs/api.md#mappings-and-upload-tokens). */
export const mappingsApi = {
  listMappings: (key: string) => call<{ mappings: MappingItem[] }>('GET', `${p(key)}/mappings`),
  deleteMapping: (key: string, mapId: string) =>
    call<{ deleted: true; mapId: string }>('DELETE', `${p(key)}/mappings/${encodeURIComponent(mapId)}`),
  listUploadTokens: (key: string) => call<{ tokens: UploadToken[] }>('GET', `${p(key)}/upload-tokens`),
  createUploadToken: (key: string, name: string) =>
    call<UploadToken & { token: string }>('POST', `${p(key)}/upload-tokens`, { name }),
  revokeUploadToken: (key: string, id: string) =>
    call<{ revoked: true; id: string }>('DELETE', `${p(key)}/upload-tokens/${encodeURIComponent(id)}`),
};
