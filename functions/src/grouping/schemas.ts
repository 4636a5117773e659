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

/** An environment's name (`production`, `staging`, …), as reports carry it and routes filter by it (protocol.md). */
export const ENVIRONMENT_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** The environment of a report that names none (old SDKs, curl). */
export const DEFAULT_ENVIRONMENT = 'production';

/** Breadcrumb levels (protocol.md, Breadcrumbs). */
export const BREADCRUMB_LEVELS = ['debug', 'info', 'warning', 'error', 'fatal'] as const;

/**
 * One breadcrumb's fields and limits (protocol.md, Breadcrumbs): the ingest checks a report's
 * strictly (`z.strictObject`), the api reads stored ones back with `BreadcrumbSchema`.
 */
export const BREADCRUMB_SHAPE = {
  timestamp: z.iso.datetime({ offset: true }),
  category: z.string().min(1).max(128),
  level: z.enum(BREADCRUMB_LEVELS),
  message: z.string().max(8192).optional(),
  data: z
    .record(z.string().min(1).max(128), z.union([z.string().max(1024), z.number().finite(), z.boolean(), z.null()]))
    .refine((data) => Object.keys(data).length <= 50, 'at most 50 entries')
    .optional(),
};
/** A stored breadcrumb, as the api reads it back from `breadcrumbsJson`. */
export const BreadcrumbSchema = z.object(BREADCRUMB_SHAPE);
/** One breadcrumb. */
export type Breadcrumb = z.infer<typeof BreadcrumbSchema>;

const SourceLine = z.string().max(1024);
/** The lines of code around one frame and their limits (protocol.md, Source context); the ingest checks them strictly. */
export const SOURCE_CONTEXT_SHAPE = {
  file: z.string().min(1).max(1024),
  line: z.number().int().min(1).max(10_000_000),
  pre: z.array(SourceLine).max(5),
  context: SourceLine,
  post: z.array(SourceLine).max(5),
};
/** One stored source-context entry. */
export const SourceContextSchema = z.object(SOURCE_CONTEXT_SHAPE);
/** The lines around one frame. */
export type SourceContext = z.infer<typeof SourceContextSchema>;

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
  /** The report's environment; the ingest always sets it (`production` when the report names none), readers treat absent as `production`. */
  environment: z.string().regex(ENVIRONMENT_PATTERN).optional(),
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
    /** Lines of code around in-app frames, as sent; entries past the stored budget are left out. */
    sourceContext: z.array(SourceContextSchema).optional(),
  }),
  app: StoredAppSchema,
  label: StoredLabelSchema,
  runtime: z.object({ name: z.string(), version: z.string() }).optional(),
  fingerprint: z.string().optional(),
  os: z.object({ name: z.string(), version: z.string().optional(), arch: z.string().optional() }).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** The report's `extra` as JSON text (Firestore limits map nesting). */
  extraJson: z.string().optional(),
  /**
   * The report's `breadcrumbs` as JSON text, oldest first: their `data` keys are the app's own,
   * which Firestore would refuse as field names (`__x__`), and nothing filters on them.
   */
  breadcrumbsJson: z.string().optional(),
  /** How many of the oldest breadcrumbs the ingest left out to keep the document within its budget; absent when none. */
  breadcrumbsOmitted: z.number().int().min(1).optional(),
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

/** `products/{key}/sessions/{id}` as the ingest writes it and the rollup reads it (protocol.md, sessions report). */
export const StoredSessionsSchema = z.object({
  ...StoredReportShape,
  app: StoredAppSchema,
  sessions: z
    .array(
      z.object({
        started: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/),
        ok: z.number().int().min(0),
        errored: z.number().int().min(0),
        crashed: z.number().int().min(0),
        abnormal: z.number().int().min(0),
      }),
    )
    .min(1),
});
/** A stored sessions report. */
export type StoredSessions = z.infer<typeof StoredSessionsSchema>;

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
  environment: true,
  tags: true,
}).extend({
  exception: crash.exception.pick({ type: true, message: true, stacktrace: true }),
  app: crash.app.pick({ version: true }).extend({ name: z.string().optional() }),
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
  environment: true,
});
/** A usage report as the rollup sees it. */
export type UsageDoc = z.infer<typeof UsageDocSchema>;

/** What the rollup reads of a stored sessions report. */
export const SessionDocSchema = StoredSessionsSchema.pick({
  productKey: true,
  clientId: true,
  installId: true,
  receivedAt: true,
  app: true,
  sessions: true,
  environment: true,
}).extend({ app: StoredSessionsSchema.shape.app.pick({ version: true }) });
/** A sessions report as the rollup sees it. */
export type SessionDoc = z.infer<typeof SessionDocSchema>;

/** The three streams the rollup follows, by collection-group name. */
export const ROLLUP_STREAMS = ['crashes', 'usage', 'sessions'] as const;
/** `crashes`, `usage` or `sessions`. */
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

/**
 * `rollupState/{stream}-shards`: every index shard's cursor of one stream, by shard number
 * (`"0"` to `"7"`); null for a shard nothing was applied from yet. A batch's transaction
 * rewrites its own shard's field; the commit turn already keeps those transactions one at a time.
 */
export const ShardCursorsSchema = z.object({
  shards: z.record(z.string().regex(/^\d+$/), CursorSchema.nullable()),
});
/** A stream's shard cursors document. */
export type ShardCursors = z.infer<typeof ShardCursorsSchema>;

/** `rollupState/lease-shard-{n}`: the run working an index shard, until when (see rollup/rollup.ts). */
export const ShardLeaseSchema = z.object({
  holder: z.string().min(1),
  until: z.date(),
  /** Set by a run asked for the shard while the holder had it: the holder takes another pass before giving it up. */
  wanted: z.date().optional(),
});
/** A shard's lease. */
export type ShardLease = z.infer<typeof ShardLeaseSchema>;

/** Where an issue stands. `regressed` is set only by the rollup. */
export const IssueStatusSchema = z.enum(['unresolved', 'resolved', 'ignored', 'regressed']);
/** An issue's status. */
export type IssueStatus = z.infer<typeof IssueStatusSchema>;

/** `products/{key}/issues/{fingerprint}`. */
/** How many UTC days of crash counts an issue document keeps for the listing's sparklines (today included). */
export const ISSUE_DAILY_DAYS = 30;

/** One UTC day of an issue's crashes, as the issue document keeps it. */
export const IssueDayCountSchema = z.object({ day: z.string(), count: z.number().int().min(1) });

/** Most environments an issue counts apart (`environments`); the earliest first seen are kept. */
export const MAX_ISSUE_ENVIRONMENTS = 20;

/** One environment's crashes of an issue: how many, and its first crash there (time and release). */
export const IssueEnvironmentSchema = z.object({
  count: z.number().int().min(1),
  firstSeen: z.date(),
  firstVersion: z.string(),
});
/** An issue's figures in one environment. */
export type IssueEnvironment = z.infer<typeof IssueEnvironmentSchema>;

/** One environment's crashes and distinct installs of an issue in one release (a ROW_PRECISION sketch). */
export const IssueReleaseEnvironmentSchema = z.object({
  count: z.number().int().min(1),
  installs: z.number().int().min(0),
  sketch: BytesSchema,
});

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
  /**
   * Resolved in the next release: the newest version seen when it was resolved; only a crash
   * from a newer version regresses it. Null or absent for the other ways of resolving.
   */
  resolvedAfterVersion: z.string().nullable().optional(),
  statusChangedAt: z.date().nullable(),
  regressedInVersion: z.string().nullable(),
  /** Who the issue is assigned to (set by the api, kept by the rollup); null or absent: nobody. */
  assigneeUid: z.string().nullable().optional(),
  recentCrashIds: z.array(z.string()),
  /**
   * When each of `recentCrashIds` was received, in the same order, so runs over different
   * index shards keep the list newest first; absent on issues stored before.
   */
  recentCrashTimes: z.array(z.date()).optional(),
  updatedAt: z.date(),
  /** Absent for traces that needed no mapping (and for issues written before retracing existed). */
  retrace: RetraceOutcomeSchema.optional(),
  /** The release of the issue's earliest crash; absent on issues stored before release health. */
  firstVersion: z.string().optional(),
  /**
   * Crashes and distinct installs per release, newest MAX_ISSUE_RELEASES releases in version
   * order (counted since release health; absent before).
   */
  releases: z
    .array(
      z.object({
        version: z.string(),
        count: z.number().int().min(0),
        installs: z.number().int().min(0),
        sketch: BytesSchema,
        /**
         * The same per environment, for the environments in the issue's `environments`. Absent on
         * rows stored before environments were counted apart: the whole row reads as production.
         */
        environments: z.record(z.string(), IssueReleaseEnvironmentSchema).optional(),
      }),
    )
    .optional(),
  /**
   * Crashes per environment, the MAX_ISSUE_ENVIRONMENTS first seen (a later one counts in `count`
   * only). Absent on issues stored before: the whole issue reads as production.
   */
  environments: z.record(z.string(), IssueEnvironmentSchema).optional(),
  /**
   * Crashes per UTC day, oldest first, only days with crashes, trimmed to the ISSUE_DAILY_DAYS
   * days ending with the day of the rollup's write. Absent on issues stored before it was kept.
   */
  daily: z.array(IssueDayCountSchema).optional(),
  /**
   * Set when `daily` was started on an issue stored before it was kept: the first day it counts,
   * and that day only in part (crashes rolled up earlier that day are not in it).
   */
  dailySince: z.string().optional(),
  /**
   * Search and filter tokens (grouping/search-tokens.ts): word prefixes of title, culprit and
   * type, and `env:`, `v:`, `label:`, `type:`, `app:`, `tag:k:v`. Absent on issues the rollup has
   * not written since tokens were kept (the backfill adds them).
   */
  searchTokens: z.array(z.string()).optional(),
});
/** An issue document. */
export type IssueDoc = z.infer<typeof IssueDocSchema>;

/**
 * `products/{key}/issueRows/{fingerprint}`: the issue's list row, a copy of the fields the issue
 * listing shows, filters on and sorts by (no sketches, frames, crash ids or releases), written
 * with the issue document in the same transaction and deleted with it. The listing queries these
 * small documents instead of the issues (see performance.md); the api reads them, clients do not.
 */
export const IssueRowDocSchema = IssueDocSchema.pick({
  title: true,
  type: true,
  culprit: true,
  count: true,
  clients: true,
  status: true,
  resolvedInVersion: true,
  resolvedAfterVersion: true,
  firstSeen: true,
  lastSeen: true,
  lastVersion: true,
  assigneeUid: true,
  daily: true,
  dailySince: true,
  searchTokens: true,
}).extend({
  /**
   * Crashes per environment, the counts of the issue's `environments` (for an issue stored
   * before those were kept, its whole count as production), so a listing filtered to one
   * environment shows that environment's. Absent on rows written before it was kept.
   */
  environmentCounts: z.record(z.string(), z.number().int().min(0)).optional(),
});
/** An issue's list row. */
export type IssueRowDoc = z.infer<typeof IssueRowDocSchema>;

/**
 * The crashes per environment of an issue document, as its list row keeps them; an issue
 * stored before environments were counted apart is wholly production (as environmentsOfIssue).
 */
function environmentCountsOf(issue: IssueRowDoc & Pick<Partial<IssueDoc>, 'environments'>): Record<string, number> {
  if (issue.environments !== undefined)
    return Object.fromEntries(Object.entries(issue.environments).map(([name, e]) => [name, e.count]));
  if (issue.environmentCounts !== undefined) return issue.environmentCounts;
  return issue.count === 0 ? {} : { [DEFAULT_ENVIRONMENT]: issue.count };
}

/** The list row of an issue document (or of a row being rewritten): its listing fields, nothing else. */
export function issueRowOf(issue: IssueRowDoc & Pick<Partial<IssueDoc>, 'environments'>): IssueRowDoc {
  const row: IssueRowDoc = {
    title: issue.title,
    type: issue.type,
    culprit: issue.culprit,
    count: issue.count,
    clients: issue.clients,
    status: issue.status,
    resolvedInVersion: issue.resolvedInVersion,
    resolvedAfterVersion: issue.resolvedAfterVersion ?? null,
    firstSeen: issue.firstSeen,
    lastSeen: issue.lastSeen,
    lastVersion: issue.lastVersion,
    environmentCounts: environmentCountsOf(issue),
  };
  if (issue.assigneeUid !== undefined) row.assigneeUid = issue.assigneeUid;
  if (issue.daily !== undefined) row.daily = issue.daily;
  if (issue.dailySince !== undefined) row.dailySince = issue.dailySince;
  if (issue.searchTokens !== undefined) row.searchTokens = issue.searchTokens;
  return row;
}

/** Who did something to an issue, as they were when they did it; null `by` is the rollup. */
export const ActorSchema = z.object({
  uid: z.string().min(1),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
});
/** A person in an issue's activity. */
export type Actor = z.infer<typeof ActorSchema>;

/** A resolution as the activity keeps it: in the next release also says after which version. */
export const StoredResolutionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('nextRelease'), afterVersion: z.string().nullable() }),
  z.object({ kind: z.literal('inVersion'), version: z.string() }),
  z.object({ kind: z.literal('now') }),
]);
/** A resolution as recorded. */
export type StoredResolution = z.infer<typeof StoredResolutionSchema>;

const ActivityBase = { at: z.date(), by: ActorSchema.nullable() };

/**
 * `products/{key}/issues/{id}/activity/{activityId}`: one thing that happened to an issue. The
 * api writes people's changes and comments; the rollup writes regressions (`by` null), and a
 * regroup the entry saying an obfuscated issue was merged in (with the merged issue's entries).
 */
export const ActivityDocSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('status'),
    ...ActivityBase,
    status: IssueStatusSchema,
    /** How it was resolved (status resolved), else null. */
    resolution: StoredResolutionSchema.nullable(),
    /** The version that reopened it (status regressed), else null. */
    regressedInVersion: z.string().nullable(),
  }),
  z.object({ kind: z.literal('assign'), ...ActivityBase, assignee: ActorSchema.nullable() }),
  z.object({ kind: z.literal('comment'), ...ActivityBase, text: z.string() }),
  z.object({
    kind: z.literal('merge'),
    ...ActivityBase,
    /** The obfuscated issue merged into this one (its id, which now answers with this issue). */
    mergedFrom: z.string(),
    /** The mapping whose upload made the merge. */
    mapId: z.string(),
    /** Crashes the merge moved. */
    count: z.number().int().min(0),
  }),
]);
/** An activity entry. */
export type ActivityDoc = z.infer<typeof ActivityDocSchema>;

/**
 * The id of the activity entry recording the regression at `at`: the rollup writes it in the
 * transaction that reopens the issue, and the api (for a regression written before the rollup
 * recorded them) under the same id, so a regression is recorded once whoever writes it first.
 */
export function regressionActivityId(at: Date): string {
  return `regressed-${at.getTime()}`;
}

/** The activity entry of a regressed issue's regression (by the rollup, at its time, with its version); null when not regressed. */
export function regressionActivityOf(
  issue: Pick<IssueDoc, 'status' | 'statusChangedAt' | 'regressedInVersion'>,
): { id: string; entry: ActivityDoc } | null {
  if (issue.status !== 'regressed' || issue.statusChangedAt === null) return null;
  const at = issue.statusChangedAt;
  return {
    id: regressionActivityId(at),
    entry: {
      kind: 'status',
      at,
      by: null,
      status: 'regressed',
      resolution: null,
      regressedInVersion: issue.regressedInVersion,
    },
  };
}

/**
 * `products/{key}/mergedIssues/{fingerprint}`: an issue the rollup merged into another once its
 * mapping was uploaded (rollup/regroup.ts). The issue document itself is gone; the api answers
 * its address with the survivor's.
 */
export const MergedIssueDocSchema = z.object({
  productKey: z.string(),
  /** The survivor's fingerprint. */
  mergedInto: z.string(),
  mergedAt: z.date(),
  /** The mapping whose upload made the merge. */
  mapId: z.string(),
  /** Crashes the merge moved. */
  count: z.number().int().min(0),
});
/** A merged issue's forwarding address. */
export type MergedIssueDoc = z.infer<typeof MergedIssueDocSchema>;

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
  /** Set on one environment's copy (`{day}_{by}@{environment}`); absent on the all-environments document. */
  environment: z.string().optional(),
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
  /** Set on one environment's copy; absent on the all-environments document. */
  environment: z.string().optional(),
  reports: z.number().int().min(0),
  installs: z.object({ clients: z.number().int().min(0), sketch: BytesSchema }),
  metrics: z.array(MetricStatsSchema),
  /** Metric occurrences of names that arrived after MAX_METRICS names. */
  otherMetrics: z.number().int().min(0),
  updatedAt: z.date(),
});
/** A usage stats document. */
export type UsageStatsDoc = z.infer<typeof UsageStatsDocSchema>;

/** Sessions by final status, and their total. */
export const SessionCountsSchema = z.object({
  total: z.number().int().min(0),
  ok: z.number().int().min(0),
  errored: z.number().int().min(0),
  crashed: z.number().int().min(0),
  abnormal: z.number().int().min(0),
});
/** Session counts. */
export type SessionCounts = z.infer<typeof SessionCountsSchema>;

const DistinctSchema = z.object({ clients: z.number().int().min(0), sketch: BytesSchema });

/** One release's day in a releases stats document. */
export const ReleaseDaySchema = z.object({
  version: z.string(),
  sessions: SessionCountsSchema,
  /** Installs with a session of this release that started this day. */
  installs: DistinctSchema,
  /** Of those, installs with a crashed session. */
  crashedInstalls: DistinctSchema,
});
/** One release's day. */
export type ReleaseDay = z.infer<typeof ReleaseDaySchema>;

/**
 * `products/{key}/stats/{YYYY-MM-DD}_releases`: one UTC day of sessions (by the hour they
 * started), every release of the product in one document.
 */
export const ReleasesDayDocSchema = z.object({
  productKey: z.string(),
  day: z.string(),
  by: z.literal('releases'),
  /** Set on one environment's copy; absent on the all-environments document. */
  environment: z.string().optional(),
  /** Every install with a session that started this day, whatever its release (adoption's denominator). */
  installs: DistinctSchema,
  releases: z.array(ReleaseDaySchema),
  /** Sessions of releases that arrived after the document already had MAX_RELEASES_PER_DAY releases. */
  otherSessions: SessionCountsSchema,
  updatedAt: z.date(),
});
/** A releases stats document. */
export type ReleasesDayDoc = z.infer<typeof ReleasesDayDocSchema>;

/** Sessions and crashed sessions of one clock hour (for the last-hour estimate of `release.unhealthy`). */
export const HourCountsSchema = z.object({ sessions: z.number().int().min(0), crashed: z.number().int().min(0) });

/** One release in the product's releases index. */
export const ReleaseIndexEntrySchema = z.object({
  version: z.string(),
  /** Start hour of the earliest session seen of this release. */
  firstSeen: z.date(),
  /** Start hour of the latest session seen of this release. */
  lastSeen: z.date(),
  /** Sessions the rollup applied in the clock hour starting at `hourStartMs` (its own clock), and the hour before. */
  hourStartMs: z.number(),
  current: HourCountsSchema,
  previous: HourCountsSchema,
  /** Set while the release had crashes in its last hour when alerts last looked, so its recovery is queued too. */
  watch: z.boolean().optional(),
});
/** One release's index entry. */
export type ReleaseIndexEntry = z.infer<typeof ReleaseIndexEntrySchema>;

/** `products/{key}/stats/releases`: every release with sessions, its first and last session, its last hour. */
export const ReleasesIndexDocSchema = z.object({
  productKey: z.string(),
  by: z.literal('release-index'),
  /** Set on one environment's copy (`stats/releases@{environment}`); absent on the product's own index. */
  environment: z.string().optional(),
  releases: z.array(ReleaseIndexEntrySchema),
  updatedAt: z.date(),
});
/** The releases index. */
export type ReleasesIndexDoc = z.infer<typeof ReleasesIndexDocSchema>;

/** Most environments a product keeps copies of its stats for; reports of later ones count in the all-environments figures only. */
export const MAX_ENVIRONMENTS = 50;

/** `products/{key}/stats/environments`: every environment the product's reports named, for the dashboard's picker. */
export const EnvironmentsDocSchema = z.object({
  productKey: z.string(),
  by: z.literal('environments'),
  /** In the order first seen, at most MAX_ENVIRONMENTS. */
  environments: z.array(z.object({ name: z.string(), firstSeen: z.date() })),
  updatedAt: z.date(),
});
/** The environments document. */
export type EnvironmentsDoc = z.infer<typeof EnvironmentsDocSchema>;
