import { z } from 'zod';
import { RetraceOutcomeSchema } from './retrace/schemas';

const positiveInt = (fallback: number, max: number) => z.coerce.number().int().positive().max(max).default(fallback);

/** The rollup's configuration from the environment, checked once at cold start. */
export const RollupConfigSchema = z.object({
  /** Reports younger than this are left for the next run, so writes still in flight are never skipped. */
  DUMPCATCHER_ROLLUP_LAG_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** A run starts no batch it cannot finish within this many seconds (the function timeout is 60 s). */
  DUMPCATCHER_ROLLUP_BUDGET_SECONDS: positiveInt(50, 3600),
  /** Reports read and applied per transaction. */
  DUMPCATCHER_ROLLUP_BATCH_SIZE: positiveInt(500, 5000),
});
/** Validated rollup configuration. */
export type RollupConfig = z.infer<typeof RollupConfigSchema>;

/** Bytes as the admin SDK returns them (a Buffer). */
const BytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes');

/** A stack frame as stored in an issue (the parser's Frame). */
export const FrameSchema = z.object({
  file: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
  function: z.string().optional(),
  module: z.string().optional(),
  inApp: z.boolean(),
});
/** A stored frame. */
export type StoredFrame = z.infer<typeof FrameSchema>;

/** What the rollup reads of a stored crash (`products/{key}/crashes/{id}`, written by the ingest). */
export const CrashDocSchema = z.object({
  productKey: z.string().min(1),
  clientId: z.string().min(1),
  installId: z.string().min(1).optional(),
  receivedAt: z.date(),
  exception: z.object({ type: z.string().min(1), message: z.string().optional(), stacktrace: z.string() }),
  app: z.object({ version: z.string().min(1) }),
  label: z.string().min(1).optional(),
  runtime: z.object({ name: z.string() }).optional(),
  fingerprint: z.string().optional(),
});
/** A crash as the rollup sees it. */
export type CrashDoc = z.infer<typeof CrashDocSchema>;

/** What the rollup reads of a stored usage report (`products/{key}/usage/{id}`). */
export const UsageDocSchema = z.object({
  productKey: z.string().min(1),
  clientId: z.string().min(1),
  installId: z.string().min(1).optional(),
  receivedAt: z.date(),
  metrics: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
/** A usage report as the rollup sees it. */
export type UsageDoc = z.infer<typeof UsageDocSchema>;

/** The two streams the rollup follows, by collection-group name. */
export const ROLLUP_STREAMS = ['crashes', 'usage'] as const;
/** `crashes` or `usage`. */
export type RollupStream = (typeof ROLLUP_STREAMS)[number];

/** `rollupState/{stream}`: the last report applied, in (receivedAt, document path) order. */
export const CursorSchema = z.object({
  receivedAt: z.date(),
  path: z.string().min(1),
  /** Reports applied since the stream began (malformed ones included). */
  processed: z.number().int().min(0),
});
/** A stream's cursor. */
export type Cursor = z.infer<typeof CursorSchema>;

/** Where an issue stands. `regressed` is set only by the rollup. */
export const IssueStatusSchema = z.enum(['unresolved', 'resolved', 'ignored', 'regressed']);
/** An issue's status. */
export type IssueStatus = z.infer<typeof IssueStatusSchema>;

/** `products/{key}/issues/{fingerprint}`. */
export const IssueDocSchema = z.object({
  productKey: z.string(),
  fingerprint: z.string(),
  source: z.enum(['client', 'frames', 'message']),
  title: z.string(),
  type: z.string(),
  culprit: z.string().nullable(),
  topFrame: FrameSchema.nullable(),
  firstSeen: z.date(),
  lastSeen: z.date(),
  count: z.number().int().min(0),
  clients: z.number().int().min(0),
  clientSketch: BytesSchema,
  versions: z.array(z.string()),
  lastVersion: z.string(),
  status: IssueStatusSchema,
  resolvedInVersion: z.string().nullable(),
  statusChangedAt: z.date().nullable(),
  regressedInVersion: z.string().nullable(),
  recentCrashIds: z.array(z.string()),
  updatedAt: z.date(),
  /** Absent for traces that needed no mapping (and for issues written before retracing existed). */
  retrace: RetraceOutcomeSchema.optional(),
});
/** An issue document. */
export type IssueDoc = z.infer<typeof IssueDocSchema>;

/** The crash dimensions counted per day. */
export const CRASH_DIMENSIONS = ['type', 'label', 'line', 'version', 'issue'] as const;
/** One crash dimension. */
export type CrashDimension = (typeof CRASH_DIMENSIONS)[number];

const CountedSchema = z.object({
  count: z.number().int().min(0),
  clients: z.number().int().min(0),
  sketch: BytesSchema,
});
/** A count with its distinct clients (number and sketch). */
export type Counted = z.infer<typeof CountedSchema>;

/** One value's row in a crash stats document. */
export const StatsRowSchema = CountedSchema.extend({ value: z.string() });
/** A stats row. */
export type StatsRow = z.infer<typeof StatsRowSchema>;

/** `products/{key}/stats/{YYYY-MM-DD}_{dimension}`: one day of crashes counted by one dimension. */
export const CrashStatsDocSchema = z.object({
  productKey: z.string(),
  day: z.string(),
  by: z.enum(CRASH_DIMENSIONS),
  total: CountedSchema,
  rows: z.array(StatsRowSchema),
  /** Crashes whose value arrived after the document already had MAX_STATS_ROWS values. */
  other: CountedSchema.nullable(),
  updatedAt: z.date(),
});
/** A crash stats document. */
export type CrashStatsDoc = z.infer<typeof CrashStatsDocSchema>;

/** One metric in a usage stats document. */
export const MetricStatsSchema = z.object({
  name: z.string(),
  /** Reports that carried the metric. */
  count: z.number().int().min(0),
  number: z.object({ count: z.number().int(), sum: z.number(), min: z.number(), max: z.number() }).nullable(),
  values: z.array(z.object({ value: z.string(), count: z.number().int().min(0) })),
  /** Reports whose string or boolean value arrived after MAX_METRIC_VALUES values. */
  otherValues: z.number().int().min(0),
});
/** One metric's day. */
export type MetricStats = z.infer<typeof MetricStatsSchema>;

/** `products/{key}/stats/{YYYY-MM-DD}_usage`: one day of usage reports. */
export const UsageStatsDocSchema = z.object({
  productKey: z.string(),
  day: z.string(),
  by: z.literal('usage'),
  reports: z.number().int().min(0),
  installs: z.object({ clients: z.number().int().min(0), sketch: BytesSchema }),
  metrics: z.array(MetricStatsSchema),
  /** Metric occurrences of names that arrived after MAX_METRICS names. */
  otherMetrics: z.number().int().min(0),
  updatedAt: z.date(),
});
/** A usage stats document. */
export type UsageStatsDoc = z.infer<typeof UsageStatsDocSchema>;

/** Body of `PATCH /v1/products/{key}/issues/{id}`. */
export const PatchIssueBodySchema = z
  .strictObject({
    status: z.enum(['unresolved', 'resolved', 'ignored']),
    resolvedInVersion: z.string().trim().min(1).max(64).nullable().optional(),
  })
  .refine((b) => b.status === 'resolved' || b.resolvedInVersion == null, {
    message: 'resolvedInVersion goes with status resolved',
    path: ['resolvedInVersion'],
  });
/** A validated issue change. */
export type PatchIssueBody = z.infer<typeof PatchIssueBodySchema>;

/** The sort orders of the issue listing (each served by an index, see firestore.indexes.json). */
export const ISSUE_SORTS = ['lastSeen', 'count', 'clients'] as const;
/** One sort order of the issue listing. */
export type IssueSort = (typeof ISSUE_SORTS)[number];

/** Most days of per-issue counts the listing attaches (one stats read per day, shared by every row). */
export const MAX_LIST_DAYS = 30;

/** Query of `GET /v1/products/{key}/issues`. */
export const ListIssuesQuerySchema = z.strictObject({
  status: IssueStatusSchema.optional(),
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
});
/** A validated crash feed query. */
export type ListCrashesQuery = z.infer<typeof ListCrashesQuerySchema>;

/** The decoded issue listing cursor: the last row's sort value and id, and the listing it belongs to. */
export const IssueCursorSchema = z.strictObject({
  /** Product key, sort and status of the listing; a cursor is refused by any other listing. */
  k: z.string().min(1),
  s: z.enum(ISSUE_SORTS),
  st: IssueStatusSchema.nullable(),
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

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().catch(null);

/**
 * What the api shows of a stored crash (written by the ingest, see protocol.md). Each field is
 * checked on its own and a malformed one reads as null, so one odd document cannot break a page.
 */
export const StoredCrashSchema = z.object({
  reportId: nullable(z.string()),
  receivedAt: nullable(z.date()),
  occurredAt: nullable(z.string()),
  app: nullable(z.object({ name: z.string(), version: z.string() })),
  label: nullable(z.string()),
  exception: nullable(
    z.object({
      type: z.string(),
      message: z.string().nullable().default(null),
      stacktrace: z.string(),
      stacktraceTruncated: z.boolean().default(false),
    }),
  ),
  runtime: nullable(z.object({ name: z.string(), version: z.string() })),
  os: nullable(
    z.object({
      name: z.string(),
      version: z.string().nullable().default(null),
      arch: z.string().nullable().default(null),
    }),
  ),
  tags: nullable(z.record(z.string(), z.string())),
  extraJson: nullable(z.string()),
});
/** A stored crash as the api shows it. */
export type StoredCrash = z.infer<typeof StoredCrashSchema>;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a UTC day, YYYY-MM-DD');

/** Query of `GET /v1/products/{key}/stats`. */
export const StatsQuerySchema = z.strictObject({
  by: z.enum([...CRASH_DIMENSIONS, 'usage']),
  from: Day,
  to: Day,
  /** `day` adds a per-day series (one point per day of the range, 0 where nothing was counted). */
  series: z.literal('day').optional(),
});
/** A validated stats query. */
export type StatsQuery = z.infer<typeof StatsQuerySchema>;
