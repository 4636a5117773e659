import { z } from 'zod';
import { MAX_QUERY_WORDS, queryWords } from '../grouping/search-tokens';
import {
  CRASH_DIMENSIONS,
  ENVIRONMENT_PATTERN,
  ISSUE_DAILY_DAYS,
  IssueStatusSchema,
  StoredCrashSchema,
} from '../grouping/schemas';

/** Longest overlap a rotation may keep the previous secret alive: 7 days. */
export const MAX_OVERLAP_SECONDS = 7 * 86_400;
/** Overlap used when a rotation does not name one: 24 hours. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
/** Most people (owner included) one product may have; keeps `memberUids` small. */
export const MAX_MEMBERS = 100;

const ProductNameSchema = z.string().trim().min(1, 'must not be empty').max(100);

/** What a product's owner may change about ingest behaviour. */
export const ProductSettingsSchema = z.strictObject({
  retentionDays: z.number().int().min(1).max(3650),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).nullable(),
});
/** A product's settings. */
export type ProductSettings = z.infer<typeof ProductSettingsSchema>;

/** Body of `POST /v1/products`. */
export const CreateProductBodySchema = z.strictObject({ name: ProductNameSchema });
/** A validated create request. */
export type CreateProductBody = z.infer<typeof CreateProductBodySchema>;

/** Body of `PATCH /v1/products/{key}`: any of name and settings, at least one field. */
export const UpdateProductBodySchema = z
  .strictObject({ name: ProductNameSchema.optional(), settings: ProductSettingsSchema.partial().optional() })
  .refine(
    (b) => b.name !== undefined || (b.settings !== undefined && Object.keys(b.settings).length > 0),
    'name or settings is required',
  );
/** A validated update request. */
export type UpdateProductBody = z.infer<typeof UpdateProductBodySchema>;

/** Body of `POST /v1/products/{key}/rotate` (may be empty). */
export const RotateBodySchema = z.strictObject({
  overlapSeconds: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).default(DEFAULT_OVERLAP_SECONDS),
});
/** A validated rotate request. */
export type RotateBody = z.infer<typeof RotateBodySchema>;

/** How long an invitation stays pending: 14 days (then Firestore's TTL on `expiresAt` deletes it). */
export const INVITATION_TTL_MS = 14 * 86_400_000;
/** Most pending invitations one product may have at a time. */
export const MAX_PENDING_INVITATIONS = 20;

/** An address as invitations store and compare it: trimmed, lower-case, well-formed. */
const EmailSchema = z.string().trim().toLowerCase().pipe(z.email('must be an email address').max(320));

/** The roles the owner may give someone else: `member` triages issues, `viewer` only reads. */
export const GRANTED_ROLES = ['member', 'viewer'] as const;
/** A role the owner may give. */
export type GrantedRole = (typeof GRANTED_ROLES)[number];
const GrantedRoleSchema = z.enum(GRANTED_ROLES);

/** Body of `POST /v1/products/{key}/invitations`; `role` defaults to viewer, as every invitation meant before roles. */
export const InviteBodySchema = z.strictObject({ email: EmailSchema, role: GrantedRoleSchema.default('viewer') });
/** A validated invite request. */
export type InviteBody = z.infer<typeof InviteBodySchema>;

/** `invitations/{id}` as read back from Firestore (timestamps already turned into dates). */
export const InvitationDocSchema = z.object({
  productKey: z.string().min(1),
  email: z.string().min(1),
  /** Invitations written before members existed all say viewer. */
  role: GrantedRoleSchema.default('viewer'),
  invitedBy: z.object({ uid: z.string().min(1), displayName: z.string().nullable() }),
  createdAt: z.date(),
  expiresAt: z.date(),
});
/** An invitation document. */
export type InvitationDoc = z.infer<typeof InvitationDocSchema>;

/** `products/{key}` as read back from Firestore (timestamps already turned into dates). */
export const ProductDocSchema = z.object({
  name: z.string(),
  ownerUid: z.string().min(1),
  /** Everyone with access, the owner included: the rules and the product listing match on it. */
  memberUids: z.array(z.string().min(1)),
  /** The role of each non-owner in `memberUids`; one not named here (all who joined before roles) is a viewer. */
  roles: z.record(z.string(), GrantedRoleSchema).optional(),
  createdAt: z.date(),
  updatedAt: z.date(),
  settings: ProductSettingsSchema,
  /**
   * Every issue of the product has its list row (`issueRows`), so the listing queries the rows:
   * set when the product is created, or by the search backfill once it passed the product's
   * issues. Absent: the product has issues from before rows were kept; the listing queries `issues`.
   */
  issueRowsComplete: z.literal(true).optional(),
});

/** Body of `PATCH /v1/products/{key}/members/{uid}`: the owner changes a member's role. */
export const UpdateMemberBodySchema = z.strictObject({ role: GrantedRoleSchema });
/** A validated role change. */
export type UpdateMemberBody = z.infer<typeof UpdateMemberBodySchema>;
/** A product document. */
export type ProductDoc = z.infer<typeof ProductDocSchema>;

/** One entry of `productSecrets/{key}.secrets`. */
export const SecretEntrySchema = z.object({
  secret: z.string().min(1),
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
});
/** A stored secret. */
export type SecretEntry = z.infer<typeof SecretEntrySchema>;

/** `users/{uid}` as read back from Firestore. */
export const UserDocSchema = z.object({
  email: z.string().nullable(),
  displayName: z.string().nullable(),
  createdAt: z.date(),
  lastSeenAt: z.date(),
});
/** A user document. */
export type UserDoc = z.infer<typeof UserDocSchema>;

/** The api's configuration, checked once at cold start. */
export const ApiConfigSchema = z.object({
  /** Comma-separated `firebase.sign_in_provider` values the api accepts. */
  DUMPCATCHER_API_SIGN_IN_PROVIDERS: z
    .string()
    .default('google.com')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0),
    )
    .pipe(
      z.array(z.string().regex(/^[a-z0-9.]+$/, 'provider ids are like google.com')).min(1, 'at least one provider'),
    ),
  /** Least time between two writes of one user's `lastSeenAt` from one instance. */
  DUMPCATCHER_API_USER_TOUCH_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /**
   * Who may use this deployment: comma-separated verified Google addresses (`ann@example.com`)
   * and domains (`@example.com`). Empty lets nobody in; `npm run deploy` sets the deployer's address.
   */
  DUMPCATCHER_ALLOWED_USERS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((entry) => entry.trim().toLowerCase())
        .filter((entry) => entry.length > 0),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^[^\s@,]*@[a-z0-9-]+(\.[a-z0-9-]+)+$/,
            'entries are addresses (ann@example.com) or domains (@example.com)',
          ),
      ),
    ),
  /** Most products one user may own. */
  DUMPCATCHER_MAX_PRODUCTS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(20),
});
/** Validated api configuration. */
export type ApiConfig = z.infer<typeof ApiConfigSchema>;

const VersionSchema = z.string().trim().min(1).max(64);

/**
 * How an issue is resolved, which decides what crash reopens it: `nextRelease`, only one from a
 * version newer than the newest seen so far; `inVersion`, one from `version` or later; `now`, any.
 */
export const ResolutionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('nextRelease') }),
  z.strictObject({ kind: z.literal('inVersion'), version: VersionSchema }),
  z.strictObject({ kind: z.literal('now') }),
]);
/** A validated resolution. */
export type Resolution = z.infer<typeof ResolutionSchema>;

/** An assignee as a body names one: a uid with access to the product, or null for nobody. */
const AssigneeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a user id')
  .nullable();

/**
 * Body of `PATCH /v1/products/{key}/issues/{id}`: a new `status` (with `resolution`, or its older
 * form `resolvedInVersion`: a version means inVersion, null or absent now), a new `assignee`, or both.
 */
export const PatchIssueBodySchema = z
  .strictObject({
    status: z.enum(['unresolved', 'resolved', 'ignored']).optional(),
    resolvedInVersion: VersionSchema.nullable().optional(),
    resolution: ResolutionSchema.optional(),
    assignee: AssigneeSchema.optional(),
  })
  .refine((b) => b.status !== undefined || b.assignee !== undefined, {
    message: 'status or assignee is required',
    path: ['status'],
  })
  .refine((b) => b.status === 'resolved' || b.resolvedInVersion == null, {
    message: 'resolvedInVersion goes with status resolved',
    path: ['resolvedInVersion'],
  })
  .refine((b) => b.status === 'resolved' || b.resolution === undefined, {
    message: 'resolution goes with status resolved',
    path: ['resolution'],
  })
  .refine((b) => b.resolution === undefined || b.resolvedInVersion === undefined, {
    message: 'give resolution or resolvedInVersion, not both',
    path: ['resolution'],
  });
/** A validated issue change. */
export type PatchIssueBody = z.infer<typeof PatchIssueBodySchema>;

/** Longest comment on an issue, in characters. */
export const MAX_COMMENT_LENGTH = 2_000;

/** Body of `POST /v1/products/{key}/issues/{id}/comments`. */
export const CommentBodySchema = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(MAX_COMMENT_LENGTH),
});
/** A validated comment. */
export type CommentBody = z.infer<typeof CommentBodySchema>;

/** The activity's stored shapes, kept with the other stored documents (the rollup writes some entries too). */
export {
  ActivityDocSchema,
  ActorSchema,
  StoredResolutionSchema,
  type ActivityDoc,
  type Actor,
  type StoredResolution,
} from '../grouping/schemas';

/** Query of `GET /v1/products/{key}/issues/{id}/activity`. */
export const ListActivityQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(512).optional(),
});
/** A validated activity query. */
export type ListActivityQuery = z.infer<typeof ListActivityQuerySchema>;

/** The decoded activity cursor: the last entry's time and id, and the issue it belongs to. */
export const ActivityCursorSchema = z.strictObject({
  k: z.string().min(1),
  i: z.string().regex(/^[0-9a-f]{64}$/),
  /** `at` in epoch milliseconds. */
  t: z.number().int().min(0),
  /** Firestore's random ids, and the rollup's own (`regressed-{ms}`, `merged-{64 hex}`). */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/),
});
/** A decoded activity cursor. */
export type ActivityCursor = z.infer<typeof ActivityCursorSchema>;

/** The sort orders of the issue listing (each served by an index, see firestore.indexes.json). */
export const ISSUE_SORTS = ['lastSeen', 'count', 'clients'] as const;
/** One sort order of the issue listing. */
export type IssueSort = (typeof ISSUE_SORTS)[number];

/** Most days of per-issue counts the listing attaches: as many as an issue document keeps. */
export const MAX_LIST_DAYS = ISSUE_DAILY_DAYS;

/** Most `tag` filters one listing takes. */
export const MAX_TAG_FILTERS = 5;

const FilterValueSchema = (max: number) => z.string().min(1).max(max);
/** `tag=key:value`: the key is what comes before the first colon (tag names as the ingest accepts them). */
const TagFilterSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}:.{0,256}$/s, 'must be key:value, key 1-64 chars of [A-Za-z0-9_.-], value at most 256')
  .transform((text): [string, string] => {
    const at = text.indexOf(':');
    return [text.slice(0, at), text.slice(at + 1)];
  });

/** Query of `GET /v1/products/{key}/issues`. */
export const ListIssuesQuerySchema = z.strictObject({
  status: IssueStatusSchema.optional(),
  /** Words (or word prefixes) that must all appear in the title, culprit or type; see api.md. */
  q: z
    .string()
    .trim()
    .max(200)
    .refine((q) => queryWords(q).length <= MAX_QUERY_WORDS, `at most ${MAX_QUERY_WORDS} words`)
    .optional()
    .transform((q) => (q === '' ? undefined : q)),
  environment: z
    .string()
    .regex(ENVIRONMENT_PATTERN, 'an environment name, 1-64 characters of [A-Za-z0-9_.-]')
    .optional(),
  version: FilterValueSchema(64).optional(),
  label: FilterValueSchema(128).optional(),
  type: FilterValueSchema(512).optional(),
  app: FilterValueSchema(128).optional(),
  tag: z
    .union([TagFilterSchema.transform((t) => [t]), z.array(TagFilterSchema)])
    .optional()
    .refine((tags) => (tags?.length ?? 0) <= MAX_TAG_FILTERS, `at most ${MAX_TAG_FILTERS} tag filters`),
  sort: z.enum(ISSUE_SORTS).default('lastSeen'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(512).optional(),
  days: z.coerce.number().int().min(0).max(MAX_LIST_DAYS).default(14),
});
/** A validated issue listing query. */
export type ListIssuesQuery = z.infer<typeof ListIssuesQuerySchema>;

/** Query of `GET /v1/products/{key}/issues/{id}`. */
export const GetIssueQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(0).max(92).default(30),
});
/** A validated issue detail query. */
export type GetIssueQuery = z.infer<typeof GetIssueQuerySchema>;

/** Query of `GET /v1/products/{key}/crashes`. */
export const ListCrashesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).default(20),
  /** Opaque: the `cursor` of an earlier answer; only crashes newer than it are returned. */
  after: z.string().min(1).max(512).optional(),
  /** Only crashes sent from this environment. */
  environment: z
    .string()
    .regex(ENVIRONMENT_PATTERN, 'an environment name, 1-64 characters of [A-Za-z0-9_.-]')
    .optional(),
});
/** A validated crash feed query. */
export type ListCrashesQuery = z.infer<typeof ListCrashesQuerySchema>;

/** The decoded issue listing cursor: the last row's sort value and id, and the listing it belongs to. */
export const IssueCursorSchema = z.strictObject({
  /** Product key, sort and status of the listing; a cursor is refused by any other listing. */
  k: z.string().min(1),
  s: z.enum(ISSUE_SORTS),
  st: IssueStatusSchema.nullable(),
  /** Of a filtered listing: a hash of its search and filters (api/issues.ts); absent when unfiltered. */
  f: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
  /** The sort value (lastSeen as epoch milliseconds). */
  v: z.number().int().min(0),
  id: z.string().regex(/^[0-9a-f]{64}$/),
});
/** A decoded issue listing cursor. */
export type IssueCursor = z.infer<typeof IssueCursorSchema>;

/** The decoded crash feed cursor: the newest crash seen (t = 0 and id "" before any crash). */
export const CrashCursorSchema = z.strictObject({
  k: z.string().min(1),
  /** receivedAt in epoch microseconds (Firestore's precision). */
  t: z.number().int().min(0),
  id: z.string().regex(/^[A-Za-z0-9_-]{0,128}$/),
});
/** A decoded crash feed cursor. */
export type CrashCursor = z.infer<typeof CrashCursorSchema>;

const crash = StoredCrashSchema.shape;
/** A field read on its own: a malformed (or absent) one reads as null. */
const orNull = <T extends z.ZodType>(schema: T) => schema.nullable().catch(null);
/** An optional field shown as null when absent. */
const absentAsNull = <T extends z.ZodType>(schema: z.ZodOptional<T>) => schema.unwrap().nullable().default(null);

/**
 * What the api shows of a stored crash (grouping's StoredCrashSchema, see protocol.md). Each
 * field is checked on its own and a malformed one reads as null, so one odd document cannot
 * break a page; optional parts of a field are null when absent.
 */
export const CrashViewFieldsSchema = z.object({
  reportId: orNull(crash.reportId),
  receivedAt: orNull(crash.receivedAt),
  occurredAt: orNull(crash.occurredAt),
  app: orNull(crash.app),
  label: orNull(crash.label.unwrap()),
  exception: orNull(
    crash.exception.extend({
      message: absentAsNull(crash.exception.shape.message),
      stacktraceTruncated: crash.exception.shape.stacktraceTruncated.unwrap().default(false),
      /** Absent or malformed: none (the frames then show no lines). */
      sourceContext: crash.exception.shape.sourceContext.unwrap().catch([]),
    }),
  ),
  runtime: orNull(crash.runtime.unwrap()),
  os: orNull(
    crash.os.unwrap().extend({
      version: absentAsNull(crash.os.unwrap().shape.version),
      arch: absentAsNull(crash.os.unwrap().shape.arch),
    }),
  ),
  tags: orNull(crash.tags.unwrap()),
  extraJson: orNull(crash.extraJson.unwrap()),
  breadcrumbsJson: orNull(crash.breadcrumbsJson.unwrap()),
  breadcrumbsOmitted: crash.breadcrumbsOmitted.unwrap().catch(0),
});
/** A stored crash's fields as the api shows them. */
export type CrashViewFields = z.infer<typeof CrashViewFieldsSchema>;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a UTC day, YYYY-MM-DD');

/** The `environment=` filter of the stats, usage and releases routes (and the crash feed's, defined above): one environment's name (absent: all). */
export const EnvironmentParamSchema = z
  .string()
  .regex(ENVIRONMENT_PATTERN, 'an environment name, 1-64 characters of [A-Za-z0-9_.-]');

/** Query of `GET /v1/products/{key}/stats`. */
export const StatsQuerySchema = z.strictObject({
  by: z.enum([...CRASH_DIMENSIONS, 'usage']),
  from: Day,
  to: Day,
  /** `day` adds a per-day series (one point per day of the range, 0 where nothing was counted). */
  series: z.literal('day').optional(),
  environment: EnvironmentParamSchema.optional(),
});
/** A validated stats query. */
export type StatsQuery = z.infer<typeof StatsQuerySchema>;

/** Body of `POST /v1/products/{key}/upload-tokens`. */
export const CreateUploadTokenBodySchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
});
/** A request to create an upload token. */
export type CreateUploadTokenBody = z.infer<typeof CreateUploadTokenBodySchema>;

/** Query of `GET /v1/products/{key}/releases` and `…/releases/{version}`. */
export const ReleasesQuerySchema = z.strictObject({
  from: Day,
  to: Day,
  environment: EnvironmentParamSchema.optional(),
});
/** A validated releases query. */
export type ReleasesQuery = z.infer<typeof ReleasesQuerySchema>;
