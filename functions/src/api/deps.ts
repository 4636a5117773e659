/**
 * What the api's cores depend on: its stores and services, each implemented by an adapter
 * (store.ts, insights-store.ts, mapping-store.ts, alerts/store.ts) or a test double.
 */
import type { Clock } from '../shared/clock';
import type { Resolve } from '../alerts/address';
import type { AlertApiStore } from '../alerts/store';
import type { SendMessage } from '../alerts/transport';
import type { MappingCache } from '../grouping/retrace/cache';
import type { MappingStore } from '../grouping/retrace/store';
import type { IssueDoc, IssueRowDoc, IssueStatus } from '../grouping/schemas';
import type { ListHeadDoc } from '../grouping/list-heads';
import type { NewProductDocs } from '../shared/product-docs';
import type { RollupPosition } from './crash-view';
import type {
  ActivityDoc,
  GrantedRole,
  InvitationDoc,
  IssueSort,
  ProductDoc,
  ProductSettings,
  SecretEntry,
  UserDoc,
} from './schemas';

/** A change to `products/{key}` that the store also mirrors into `productSecrets/{key}`. */
export interface ProductChange {
  name?: string;
  settings?: Partial<ProductSettings>;
  updatedAt: Date;
}

/** Persistence the api core needs; the Firestore adapter implements it. */
export interface ApiStore extends InvitationStore {
  /**
   * Writes both documents of a new product atomically, unless its owner already owns
   * `maxOwned` products (counted in the same transaction): then writes nothing and answers false.
   */
  createProduct(docs: NewProductDocs, maxOwned: number): Promise<boolean>;
  getProduct(productKey: string): Promise<ProductDoc | null>;
  /** Products whose `memberUids` contain `uid`, newest first. */
  listProductsOf(uid: string): Promise<Array<{ productKey: string; product: ProductDoc }>>;
  /** Applies only the given fields (no read-modify-write) to the product and its secrets document. */
  updateProduct(productKey: string, change: ProductChange): Promise<void>;
  /** Replaces the secrets with `plan(current)` atomically; null when the product has no secrets document. */
  updateSecrets<T>(
    productKey: string,
    plan: (current: SecretEntry[]) => { secrets: SecretEntry[]; result: T },
  ): Promise<T | null>;
  /** Takes `uid` out of `memberUids` and `roles`. */
  removeMember(productKey: string, uid: string, now: Date): Promise<void>;
  /** Sets the role of `uid`, already in `memberUids`. */
  setMemberRole(productKey: string, uid: string, role: GrantedRole, now: Date): Promise<void>;
  /** Deletes the secrets document first (keys stop working), then everything under the product and its invitations. */
  deleteProduct(productKey: string): Promise<void>;
  getUsers(uids: readonly string[]): Promise<Map<string, UserDoc>>;
  getUser(uid: string): Promise<UserDoc | null>;
  /** Creates `users/{uid}` (createdAt = now) or updates its profile and lastSeenAt. */
  upsertUser(uid: string, profile: { email: string | null; displayName: string | null }, now: Date): Promise<void>;
}

/** The deployment's limits on what users may create. */
export interface ApiLimits {
  /** Most products one user may own (`DUMPCATCHER_MAX_PRODUCTS_PER_USER`). */
  maxProductsPerUser: number;
  /** The service's own per-product ingest cap (`DUMPCATCHER_RATE_PER_PRODUCT`); no product may set more. */
  maxRateLimitPerMinute: number;
}

/** Everything a core operation depends on. */
export interface ApiDeps {
  store: ApiStore;
  clock: Clock;
  /** The deployment's limits; `DEFAULT_LIMITS` when not given. */
  limits?: ApiLimits;
  /** Issues and stats (written by the rollup); the routes under /issues and /stats need it. */
  insights?: InsightsStore;
  /** Alert destinations and their sender; the routes under /alerts need it. */
  alerts?: AlertDeps;
  /** Mappings and upload tokens; the routes under /mappings and /upload-tokens need it. */
  mappings?: MappingStore;
}

/** A stored invitation with its id. */
export interface InvitationRow {
  id: string;
  invitation: InvitationDoc;
}

/** What `createInvitation` did: made a new one, found one already pending for the address, or hit the cap. */
export type CreateInvitationResult =
  { kind: 'created'; row: InvitationRow } | { kind: 'existing'; row: InvitationRow } | { kind: 'limit' };

/** Invitation persistence; the Firestore adapter implements it. */
export interface InvitationStore {
  /**
   * In one transaction: answers the product's pending invitation for `fresh.invitation.email`
   * if there is one, refuses when `maxPending` are pending, else writes `fresh`.
   */
  createInvitation(fresh: InvitationRow, now: Date, maxPending: number): Promise<CreateInvitationResult>;
  /** Pending (unexpired at `now`) invitations of a product, oldest first. */
  listInvitationsOfProduct(productKey: string, now: Date): Promise<InvitationRow[]>;
  /** Pending (unexpired at `now`) invitations to an address, oldest first. */
  listInvitationsTo(email: string, now: Date): Promise<InvitationRow[]>;
  getInvitation(id: string): Promise<InvitationRow | null>;
  deleteInvitation(id: string): Promise<void>;
  /**
   * In one transaction: reads the invitation and its product, lets `check` refuse (by throwing),
   * adds `uid` to the product's members with the invitation's role and deletes the invitation.
   * Answers the product as it now is.
   */
  acceptInvitation(
    id: string,
    uid: string,
    now: Date,
    check: (row: InvitationRow | null, product: ProductDoc | null) => void,
  ): Promise<{ productKey: string; product: ProductDoc }>;
}

/** One page of an issue listing as the store is asked for it. */
export interface IssuePageQuery {
  status?: IssueStatus | undefined;
  sort: IssueSort;
  /** Rows to read (the api asks for one more than it shows, to know whether a next page exists). */
  limit: number;
  /** Start after this row (its sort value, lastSeen as epoch ms, and id); null for the first page. */
  after: { value: number; id: string } | null;
  /** Only issues whose `searchTokens` hold this token (grouping/search-tokens.ts); absent: all. */
  token?: string | undefined;
  /**
   * Query the list rows (`issueRows`, once the product's are complete) or the issue documents
   * themselves (a product with issues the backfill has not given rows yet).
   */
  from: 'issueRows' | 'issues';
}

/** What the issue and stats routes read and write; the Firestore adapter is api/insights-store.ts. */
export interface InsightsStore {
  getProduct(productKey: string): Promise<ProductDoc | null>;
  /** Issues of a product, optionally of one status and holding one token, by `sort` descending, then id descending. */
  listIssues(productKey: string, query: IssuePageQuery): Promise<Array<{ id: string; issue: IssueRowDoc }>>;
  getIssue(productKey: string, id: string): Promise<IssueDoc | null>;
  /** A list head (`{status}-{sort}`, grouping/list-heads.ts), null when none was written yet. */
  getListHead(productKey: string, id: string): Promise<ListHeadDoc | null>;
  /**
   * Writes a head rebuilt from the query, unless its version is no longer `seenVersion` (0 for
   * none) read before the query: then a row changed meanwhile and nothing is written. Answers
   * whether it was written.
   */
  putListHead(productKey: string, id: string, seenVersion: number, head: ListHeadDoc): Promise<boolean>;
  /** A user's profile as the api last saw it (to name an assignee), null when never signed in. */
  getUser(uid: string): Promise<UserDoc | null>;
  /** Issues whose `field` is at or after `from` and before `until` (null: no end), by `field` descending. */
  listIssuesBetween(
    productKey: string,
    field: 'firstSeen' | 'lastSeen',
    from: Date,
    until: Date | null,
    limit: number,
  ): Promise<Array<{ id: string; issue: IssueDoc }>>;
  /** Raw crash documents that still exist (TTL may have deleted some), in the order asked. */
  getCrashes(productKey: string, ids: readonly string[]): Promise<Array<{ id: string; data: Record<string, unknown> }>>;
  /** The issue a merged issue was merged into (`mergedIssues/{id}`), null when it was not merged. */
  getMergedInto?(productKey: string, id: string): Promise<string | null>;
  /**
   * Changes an existing issue and adds its activity entries in one transaction, as `decide`
   * computes them from the issue read in it; null when there is no such issue.
   */
  updateIssue(
    productKey: string,
    id: string,
    decide: (issue: IssueDoc) => { change: IssueChange; activity: ActivityWrite[] },
  ): Promise<IssueDoc | null>;
  /** Adds one activity entry to an existing issue; false when there is no such issue. */
  addActivity(productKey: string, issueId: string, entry: ActivityDoc): Promise<{ id: string } | null>;
  /** An issue's activity, newest first (by `at`, then id); with `after`, only entries after it in that order. */
  listActivity(
    productKey: string,
    issueId: string,
    query: { limit: number; after: { atMs: number; id: string } | null },
  ): Promise<Array<{ id: string; activity: ActivityDoc }>>;
  /** Stats documents by id (`{day}_{by}`); missing ones are left out. */
  getStats(productKey: string, ids: readonly string[]): Promise<Map<string, unknown>>;
  /**
   * The newest crashes (raw documents), newest first; with `after`, only those after it in
   * (receivedAt, id) order. receivedAt in epoch microseconds, Firestore's own precision, so a
   * timestamp finer than a millisecond (a commit time) still matches itself exactly.
   */
  listCrashes(
    productKey: string,
    query: {
      limit: number;
      after: { receivedAtUs: number; id: string } | null;
      /** Only crashes stored with this `environment` (a crash stored without one is never matched). */
      environment?: string | undefined;
    },
  ): Promise<Array<{ id: string; data: Record<string, unknown>; receivedAtUs: number }>>;
  /** Where the rollup stands in the crash stream, per index shard (null before the shard's first batch). */
  getRollupPositions(): Promise<ReadonlyArray<RollupPosition | null>>;
  /** Stored ProGuard/R8 mappings, so crash views retrace as the rollup does; absent: views show traces as stored. */
  mappings?: MappingCache;
}

/**
 * An activity entry to add: under a new id, or under `id` when it has its own (a regression's,
 * which the rollup may have written already: the same entry under the same id, written once).
 */
export interface ActivityWrite {
  entry: ActivityDoc;
  id?: string;
}

/** The fields the api sets on an issue: its status fields, its assignee, or both. */
export type IssueChange = Partial<
  Pick<
    IssueDoc,
    'status' | 'resolvedInVersion' | 'resolvedAfterVersion' | 'statusChangedAt' | 'regressedInVersion' | 'assigneeUid'
  >
>;

/** What the alert routes depend on besides the api's own deps. */
export interface AlertDeps {
  store: AlertApiStore;
  send: SendMessage;
  allowLoopback: boolean;
  dashboardUrl: string | undefined;
  /** Overrides DNS resolution for the creation-time check (tests). */
  resolve?: Resolve;
}
