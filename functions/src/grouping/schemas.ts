import { z } from 'zod';
import { RetraceOutcomeSchema } from './retrace/schemas';

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

/** What every stored report has: the report's id, time and installation, and what the ingest adds. */
const StoredReportShape = {
  reportId: z.string(),
  productKey: z.string().min(1),
  clientId: z.string().min(1),
  installId: z.string().min(1).optional(),
  /** Firestore's time of the write (the ingest's store sets it, not `toStoredReport`). */
  receivedAt: z.date(),
  counter: z.number(),
  /** Index shard, from the document id (see `reportShard`). */
  shard: z.number(),
  /** Firestore's TTL deletes the document after this. */
  expireAt: z.date(),
  occurredAt: z.string(),
  /** How many lone surrogates the ingest replaced with U+FFFD (see protocol.md); absent when none. */
  loneSurrogatesReplaced: z.number().int().optional(),
};
const StoredAppSchema = z.object({ name: z.string(), version: z.string().min(1) });
const StoredLabelSchema = z.string().min(1).optional();

/**
 * `products/{key}/crashes/{id}` as the ingest writes it (`toStoredReport`) and the rollup and
 * the api read it: the one description of a stored crash. A new stored field goes here.
 */
export const StoredCrashSchema = z.object({
  ...StoredReportShape,
  exception: z.object({
    type: z.string().min(1),
    message: z.string().optional(),
    stacktrace: z.string(),
    /** Set (true) only when the ingest cut the trace. */
    stacktraceTruncated: z.boolean().optional(),
  }),
  app: StoredAppSchema,
  label: StoredLabelSchema,
  runtime: z.object({ name: z.string(), version: z.string() }).optional(),
  fingerprint: z.string().optional(),
  os: z.object({ name: z.string(), version: z.string().optional(), arch: z.string().optional() }).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** The report's `extra` as JSON text (Firestore limits map nesting). */
  extraJson: z.string().optional(),
});
/** A stored crash. */
export type StoredCrash = z.infer<typeof StoredCrashSchema>;

/** `products/{key}/usage/{id}` as the ingest writes it and the rollup reads it. */
export const StoredUsageSchema = z.object({
  ...StoredReportShape,
  app: StoredAppSchema,
  label: StoredLabelSchema,
  metrics: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
/** A stored usage report. */
export type StoredUsage = z.infer<typeof StoredUsageSchema>;

const crash = StoredCrashSchema.shape;

/**
 * What the rollup reads of a stored crash: only what grouping and counting need, so a crash
 * missing anything else (an app name, a runtime version) is still counted.
 */
export const CrashDocSchema = StoredCrashSchema.pick({
  productKey: true,
  clientId: true,
  installId: true,
  receivedAt: true,
  exception: true,
  app: true,
  label: true,
  runtime: true,
  fingerprint: true,
}).extend({
  exception: crash.exception.pick({ type: true, message: true, stacktrace: true }),
  app: crash.app.pick({ version: true }),
  runtime: crash.runtime.unwrap().pick({ name: true }).optional(),
});
/** A crash as the rollup sees it. */
export type CrashDoc = z.infer<typeof CrashDocSchema>;

/** What the rollup reads of a stored usage report. */
export const UsageDocSchema = StoredUsageSchema.pick({
  productKey: true,
  clientId: true,
  installId: true,
  receivedAt: true,
  metrics: true,
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
  /**
   * receivedAt in epoch microseconds. A commit-time receivedAt has microseconds in production;
   * resuming after the millisecond Date alone would read the cursor's own report again.
   */
  receivedAtUs: z.number().int().min(0).optional(),
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
