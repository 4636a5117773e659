import { z } from 'zod';
import { BREADCRUMB_SHAPE, ENVIRONMENT_PATTERN, SOURCE_CONTEXT_SHAPE } from '../grouping/schemas';

/** Header value pattern shared by product keys and client ids. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

const shortString = (max: number) => z.string().min(1).max(max);

const AppSchema = z.strictObject({ name: shortString(128), version: shortString(64) });
const RuntimeSchema = z.strictObject({ name: shortString(64), version: shortString(64) });
const OsSchema = z.strictObject({
  name: shortString(64),
  version: shortString(64).optional(),
  arch: shortString(64).optional(),
});
const TagsSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'tag names are 1-64 chars of [A-Za-z0-9_.:-]'),
    z.string().max(256),
  )
  .refine((tags) => Object.keys(tags).length <= 50, 'at most 50 tags');
/** Largest `extra` accepted, serialised as JSON (the stored document must stay under 1 MiB). */
export const MAX_EXTRA_BYTES = 256 * 1024;
const ExtraSchema = z
  .record(z.string(), z.json())
  .refine(
    (extra) => Buffer.byteLength(JSON.stringify(extra), 'utf8') <= MAX_EXTRA_BYTES,
    `at most ${MAX_EXTRA_BYTES} bytes as JSON`,
  );
const IsoDateTime = z.iso.datetime({ offset: true });
/** Optional on every report; absent means `production`. */
const EnvironmentSchema = z
  .string()
  .regex(ENVIRONMENT_PATTERN, 'environment is 1-64 chars of [A-Za-z0-9_.-]')
  .optional();
/** Most breadcrumbs one crash report may carry. */
export const MAX_BREADCRUMBS = 200;
/** Most source-context entries one crash report may carry. */
export const MAX_SOURCE_CONTEXT = 50;
const BreadcrumbsSchema = z.array(z.strictObject(BREADCRUMB_SHAPE)).max(MAX_BREADCRUMBS);
const SourceContextListSchema = z.array(z.strictObject(SOURCE_CONTEXT_SHAPE)).max(MAX_SOURCE_CONTEXT);

/** A crash report as a client sends it (protocol v1). */
export const CrashReportSchema = z.strictObject({
  reportId: z.uuid(),
  occurredAt: IsoDateTime,
  exception: z.strictObject({
    type: shortString(512),
    message: z.string().max(8192).optional(),
    stacktrace: z.string().min(1),
    sourceContext: SourceContextListSchema.optional(),
  }),
  app: AppSchema,
  label: shortString(128).optional(),
  runtime: RuntimeSchema.optional(),
  os: OsSchema.optional(),
  tags: TagsSchema.optional(),
  extra: ExtraSchema.optional(),
  fingerprint: shortString(256).optional(),
  installId: z.string().regex(ID_PATTERN).optional(),
  environment: EnvironmentSchema,
  breadcrumbs: BreadcrumbsSchema.optional(),
});
/** A validated crash report. */
export type CrashReport = z.infer<typeof CrashReportSchema>;

const MetricValueSchema = z.union([z.string().max(256), z.number().finite(), z.boolean()]);

/** A usage report as a client sends it (protocol v1). */
export const UsageReportSchema = z.strictObject({
  reportId: z.uuid(),
  occurredAt: IsoDateTime,
  app: AppSchema,
  installId: z.string().regex(ID_PATTERN).optional(),
  label: shortString(128).optional(),
  environment: EnvironmentSchema,
  metrics: z
    .record(z.string().regex(/^[a-z0-9_.]{1,64}$/, 'metric names are 1-64 chars of [a-z0-9_.]'), MetricValueSchema)
    .refine((m) => {
      const n = Object.keys(m).length;
      return n >= 1 && n <= 100;
    }, 'between 1 and 100 metrics'),
});
/** A validated usage report. */
export type UsageReport = z.infer<typeof UsageReportSchema>;

/** Largest count of one status in one bucket of a sessions report. */
export const MAX_SESSION_COUNT = 1_000_000;
/** Largest number of sessions (all buckets and statuses) one sessions report may count. */
export const MAX_SESSIONS_PER_REPORT = 100_000;
/** Most hour buckets in one sessions report. */
export const MAX_SESSION_BUCKETS = 100;

const SessionCount = z.number().int().min(0).max(MAX_SESSION_COUNT);

/** One hour's ended sessions by final status; `started` is the UTC hour they started in. */
export const SessionBucketSchema = z
  .strictObject({
    started: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/, 'must be a UTC hour, YYYY-MM-DDTHH:00:00Z')
      .refine(
        (s) => !Number.isNaN(Date.parse(s)) && new Date(Date.parse(s)).toISOString() === s.replace('Z', '.000Z'),
        {
          message: 'must be a real UTC hour',
        },
      ),
    ok: SessionCount,
    errored: SessionCount,
    crashed: SessionCount,
    abnormal: SessionCount,
  })
  .refine(
    (b) => b.ok + b.errored + b.crashed + b.abnormal > 0,
    'at least one of ok, errored, crashed, abnormal must be > 0',
  );
/** One validated bucket. */
export type SessionBucket = z.infer<typeof SessionBucketSchema>;

/** A sessions report as a client sends it (protocol v1, `POST /v1/sessions`): one release, one install. */
export const SessionReportSchema = z.strictObject({
  reportId: z.uuid(),
  occurredAt: IsoDateTime,
  app: AppSchema,
  installId: z.string().regex(ID_PATTERN).optional(),
  environment: EnvironmentSchema,
  sessions: z
    .array(SessionBucketSchema)
    .min(1)
    .max(MAX_SESSION_BUCKETS)
    .refine(
      (buckets) =>
        buckets.reduce((n, b) => n + b.ok + b.errored + b.crashed + b.abnormal, 0) <= MAX_SESSIONS_PER_REPORT,
      `at most ${MAX_SESSIONS_PER_REPORT} sessions in one report`,
    ),
});
/** A validated sessions report. */
export type SessionReport = z.infer<typeof SessionReportSchema>;

/** The kinds of report the ingest accepts, by path. */
export const REPORT_KINDS = { '/v1/crashes': 'crashes', '/v1/usage': 'usage', '/v1/sessions': 'sessions' } as const;
/** `crashes`, `usage` or `sessions`: also the Firestore collection-group name. */
export type ReportKind = (typeof REPORT_KINDS)[keyof typeof REPORT_KINDS];

/** One product's secret as the ingest sees it. */
export const ProductSecretSchema = z.object({
  secret: z.string().min(1),
  expiresAt: z.date().nullable(),
});

/** What the ingest needs to know about a product (cached in memory). */
export const ProductIngestConfigSchema = z.object({
  secrets: z.array(ProductSecretSchema).min(1),
  retentionDays: z.number().int().min(1).max(3650),
  rateLimitPerMinute: z.number().int().min(1).nullable(),
});
/** Validated ingest view of a product. */
export type ProductIngestConfig = z.infer<typeof ProductIngestConfigSchema>;
