import type { Clock } from '../shared/clock';
import {
  classifyCrash,
  crashDocumentPaths,
  mergeCrashStats,
  mergeIssue,
  mergeUsageStats,
  reduceClassified,
  reduceUsage,
  usageDocumentPaths,
  type ClassifiedCrash,
  type FingerprintCache,
  type ReportRecord,
} from './aggregate';
import {
  CrashDocSchema,
  CrashStatsDocSchema,
  IssueDocSchema,
  ROLLUP_STREAMS,
  UsageDocSchema,
  UsageStatsDocSchema,
  type Cursor,
  type RollupConfig,
  type RollupStream,
  type UsageDoc,
} from './schemas';

/** A report as listed by the store: where it is, when it arrived, and its raw fields. */
export interface RawReport {
  path: string;
  id: string;
  receivedAt: Date;
  data: unknown;
}

/** The documents a batch writes, by path, computed from the current ones inside the transaction. */
export type BatchPlan = (
  current: ReadonlyMap<string, unknown>,
  liveProducts: ReadonlySet<string>,
) => Map<string, object>;

/** What the rollup needs from Firestore; the adapter (store.ts) implements it. */
export interface RollupStore {
  /** The stream's cursor, or null before its first batch. */
  readCursor(stream: RollupStream): Promise<Cursor | null>;
  /** Up to `limit` reports after `after` with receivedAt <= `horizon`, in (receivedAt, path) order. */
  listReports(stream: RollupStream, after: Cursor | null, horizon: Date, limit: number): Promise<RawReport[]>;
  /**
   * In one transaction: if the stream's cursor still equals `expected`, reads the documents at
   * `paths` and the products `productKeys`, writes what `plan` returns and sets the cursor to
   * `next`; otherwise writes nothing and answers `stale` (another run applied this batch).
   */
  commitBatch(batch: {
    stream: RollupStream;
    expected: Cursor | null;
    next: Cursor;
    paths: string[];
    productKeys: string[];
    plan: BatchPlan;
  }): Promise<'committed' | 'stale'>;
  /** Firestore reads and writes this store has made so far. */
  counters(): { reads: number; writes: number };
}

/** What a run did; the HTTP answer and the log line. */
export interface RollupSummary {
  /** Crash reports applied by this run. */
  processed: number;
  /** Usage reports applied by this run. */
  usageProcessed: number;
  /** Reports that could not be read as reports (skipped, cursor moved past them). */
  malformed: number;
  /** Reports of products that no longer exist (skipped). */
  orphaned: number;
  /** Distinct issue documents written. */
  issuesTouched: number;
  /** Distinct stats documents written. */
  statsTouched: number;
  batches: number;
  /** Batches another run had already applied. */
  stale: number;
  /** True when both streams reached the horizon; false when the time budget ran out first. */
  caughtUp: boolean;
  /** Reports received up to this instant were considered (now minus the lag). */
  horizon: string;
  durationMs: number;
  /** Where the time went: listing reports, reducing them in memory, committing (listing overlaps commits). */
  timings: { listMs: number; reduceMs: number; commitMs: number };
  reads: number;
  writes: number;
}

/** Everything a run depends on. */
export interface RollupDeps {
  store: RollupStore;
  clock: Clock;
  config: RollupConfig;
  /** Called for each report that fails its schema. */
  onMalformed?: (path: string, issues: string) => void;
  /** Overrides MAX_DOCS_PER_COMMIT (tests). */
  maxDocsPerCommit?: number;
  /** Overrides BATCH_TEXT_BUDGET_BYTES (tests). */
  batchTextBudgetBytes?: number;
}

function parseAggregate<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[] }> } };
  },
  path: string,
  data: unknown,
): T | null {
  if (data === undefined) return null;
  const result = schema.safeParse(data);
  if (!result.success) {
    // Never overwrite counts we cannot read: the run fails, the cursor stays, an operator looks.
    throw new Error(`malformed aggregate ${path}: ${result.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  return result.data;
}

type ReportSchema<T> = {
  safeParse(
    v: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[] }> } };
};

function parseReport<T>(report: RawReport, schema: ReportSchema<T>, deps: RollupDeps): ReportRecord<T> | null {
  const result = schema.safeParse(report.data);
  if (result.success) return { path: report.path, id: report.id, doc: result.data };
  deps.onMalformed?.(report.path, result.error.issues.map((i) => i.path.join('.')).join(', '));
  return null;
}

/** Most documents one batch's transaction may touch (aggregates and products); Firestore allows 500 writes per commit. */
export const MAX_DOCS_PER_COMMIT = 400;

/** The reports of a listed batch that one transaction applies. */
export interface SelectedBatch<T> {
  /** How many listed reports it covers (the cursor moves past exactly these). */
  taken: number;
  items: T[];
  malformed: number;
}

/**
 * The longest prefix of a listed batch whose transaction touches at most `maxDocs` documents
 * (aggregates plus one read per product), and at least one report so every batch progresses.
 * Reports that fail their schema are covered without touching anything.
 */
export function selectBatch<T>(
  raw: readonly RawReport[],
  parse: (report: RawReport) => T | null,
  pathsOf: (item: T) => string[],
  maxDocs: number,
): SelectedBatch<T> {
  const docs = new Set<string>();
  const items: T[] = [];
  let malformed = 0;
  let taken = 0;
  for (const report of raw) {
    const item = parse(report);
    if (item === null) malformed++;
    else {
      const added = [`products/${productKeyOf(report.path)}`, ...pathsOf(item)].filter((p) => !docs.has(p));
      if (taken > 0 && docs.size + new Set(added).size > maxDocs) break;
      for (const path of added) docs.add(path);
      items.push(item);
    }
    taken++;
  }
  return { taken, items, malformed };
}

/** The documents a batch of crashes touches, and the plan that merges it into them. */
export function planCrashBatch(crashes: readonly ClassifiedCrash[], now: Date): { paths: string[]; plan: BatchPlan } {
  const delta = reduceClassified(crashes);
  return {
    paths: [...delta.issues.keys(), ...delta.stats.keys()],
    plan: (current, live) => {
      const writes = new Map<string, object>();
      for (const [path, issue] of delta.issues) {
        if (!live.has(issue.productKey)) continue;
        writes.set(path, mergeIssue(parseAggregate(IssueDocSchema, path, current.get(path)), issue, now));
      }
      for (const [path, stats] of delta.stats) {
        if (!live.has(stats.productKey)) continue;
        writes.set(path, mergeCrashStats(parseAggregate(CrashStatsDocSchema, path, current.get(path)), stats, now));
      }
      return writes;
    },
  };
}

/** The documents a batch of usage reports touches, and the plan that merges it into them. */
export function planUsageBatch(
  records: ReadonlyArray<ReportRecord<UsageDoc>>,
  now: Date,
): { paths: string[]; plan: BatchPlan } {
  const deltas = reduceUsage(records);
  return {
    paths: [...deltas.keys()],
    plan: (current, live) => {
      const writes = new Map<string, object>();
      for (const [path, delta] of deltas) {
        if (!live.has(delta.productKey)) continue;
        writes.set(path, mergeUsageStats(parseAggregate(UsageStatsDocSchema, path, current.get(path)), delta, now));
      }
      return writes;
    },
  };
}

interface StreamState {
  cursor: Cursor | null;
  done: boolean;
  /** Reports to list next: the configured batch size, less when reports are large (see nextLimit). */
  limit: number;
  /** The next batch, listed while the previous one commits. */
  prefetch: Promise<RawReport[]> | null;
}

/** Bytes of report text one batch may hold in memory (stack traces may be 256 KiB each). */
export const BATCH_TEXT_BUDGET_BYTES = 32 * 1024 * 1024;
/** The first batch of a run lists at most this many reports, until their size is known. */
export const FIRST_BATCH_LIMIT = 100;

/** Rough size of a listed report: its stack trace and metrics dominate. */
function textSize(report: RawReport): number {
  const data = report.data as { exception?: { stacktrace?: unknown }; metrics?: unknown } | null;
  const trace = data?.exception?.stacktrace;
  return 512 + (typeof trace === 'string' ? trace.length : 0) + (data?.metrics === undefined ? 0 : 4096);
}

/** The next batch size: as many reports of the last batch's average size as fit the text budget, within [10, configured]. */
export function nextLimit(raw: readonly RawReport[], configured: number, budgetBytes: number): number {
  if (raw.length === 0) return configured;
  const average = raw.reduce((n, r) => n + textSize(r), 0) / raw.length;
  return Math.max(10, Math.min(configured, Math.floor(budgetBytes / average)));
}

function productKeyOf(path: string): string {
  return path.split('/')[1] ?? '';
}

/**
 * One rollup run: for each stream, batches of reports after its cursor (and no younger than the
 * lag) are reduced in memory and applied with the cursor advance in one transaction, until
 * both streams reach the horizon or the time budget would be exceeded by another batch.
 */
export async function runRollup(deps: RollupDeps): Promise<RollupSummary> {
  const { store, clock, config } = deps;
  const started = clock();
  const horizon = new Date(started.getTime() - config.DUMPCATCHER_ROLLUP_LAG_SECONDS * 1000);
  const budgetMs = config.DUMPCATCHER_ROLLUP_BUDGET_SECONDS * 1000;
  const configured = config.DUMPCATCHER_ROLLUP_BATCH_SIZE;
  const textBudget = deps.batchTextBudgetBytes ?? BATCH_TEXT_BUDGET_BYTES;
  const maxDocs = deps.maxDocsPerCommit ?? MAX_DOCS_PER_COMMIT;
  const fingerprints: FingerprintCache = new Map();
  const before = store.counters();
  const summary = { processed: 0, usageProcessed: 0, malformed: 0, orphaned: 0, batches: 0, stale: 0 };
  const issues = new Set<string>();
  const stats = new Set<string>();
  const states = {} as Record<RollupStream, StreamState>;
  for (const stream of ROLLUP_STREAMS)
    states[stream] = {
      cursor: await store.readCursor(stream),
      done: false,
      limit: Math.min(configured, FIRST_BATCH_LIMIT),
      prefetch: null,
    };
  let slowestBatchMs = 0;
  const timings = { listMs: 0, reduceMs: 0, commitMs: 0 };
  const since = (t: number) => performance.now() - t;

  const runBatch = async (stream: RollupStream, state: StreamState): Promise<void> => {
    let t = performance.now();
    const limit = state.limit;
    const raw = await (state.prefetch ?? store.listReports(stream, state.cursor, horizon, limit));
    state.prefetch = null;
    timings.listMs += since(t);
    t = performance.now();
    const last = raw[raw.length - 1];
    if (last === undefined) {
      state.done = true;
      return;
    }
    const now = clock();
    let taken: number;
    let malformed: number;
    let records: Array<{ path: string }>;
    let paths: string[];
    let plan: BatchPlan;
    if (stream === 'crashes') {
      const parse = (r: RawReport) => {
        const record = parseReport(r, CrashDocSchema, deps);
        return record === null ? null : classifyCrash(record, fingerprints);
      };
      const selected = selectBatch(raw, parse, crashDocumentPaths, maxDocs);
      ({ taken, malformed } = selected);
      records = selected.items.map((c) => c.record);
      ({ paths, plan } = planCrashBatch(selected.items, now));
    } else {
      const parse = (r: RawReport) => parseReport(r, UsageDocSchema, deps);
      const selected = selectBatch(raw, parse, usageDocumentPaths, maxDocs);
      ({ taken, malformed } = selected);
      records = selected.items;
      ({ paths, plan } = planUsageBatch(selected.items, now));
    }
    const end = raw[taken - 1] ?? last;
    const next: Cursor = {
      receivedAt: end.receivedAt,
      path: end.path,
      processed: (state.cursor?.processed ?? 0) + taken,
    };
    const productKeys = [...new Set(records.map((r) => productKeyOf(r.path)))];
    let written: Map<string, object> = new Map();
    let liveCount = 0;
    const tracked: BatchPlan = (current, live) => {
      written = plan(current, live);
      liveCount = records.filter((r) => live.has(productKeyOf(r.path))).length;
      return written;
    };
    // A full batch, all of it applied, means more may follow: list it now, while this one commits.
    const whole = taken === raw.length;
    const upcoming = nextLimit(raw, configured, textBudget);
    const prefetch = whole && raw.length === limit ? store.listReports(stream, next, horizon, upcoming) : null;
    prefetch?.catch(() => undefined);
    timings.reduceMs += since(t);
    t = performance.now();
    const outcome = await store.commitBatch({
      stream,
      expected: state.cursor,
      next,
      paths,
      productKeys,
      plan: tracked,
    });
    timings.commitMs += since(t);
    summary.batches++;
    if (outcome === 'stale') {
      summary.stale++;
      state.cursor = await store.readCursor(stream);
      return;
    }
    state.cursor = next;
    state.prefetch = prefetch;
    state.done = whole && raw.length < limit;
    state.limit = upcoming;
    summary.malformed += malformed;
    summary.orphaned += records.length - liveCount;
    if (stream === 'crashes') summary.processed += liveCount;
    else summary.usageProcessed += liveCount;
    for (const path of written.keys()) (path.includes('/issues/') ? issues : stats).add(path);
  };

  let outOfTime = false;
  while (!outOfTime && ROLLUP_STREAMS.some((s) => !states[s].done)) {
    for (const stream of ROLLUP_STREAMS) {
      const state = states[stream];
      if (state.done) continue;
      if (clock().getTime() - started.getTime() + slowestBatchMs > budgetMs) {
        outOfTime = true;
        break;
      }
      const batchStart = clock().getTime();
      await runBatch(stream, state);
      slowestBatchMs = Math.max(slowestBatchMs, clock().getTime() - batchStart);
    }
  }
  const after = store.counters();
  return {
    ...summary,
    issuesTouched: issues.size,
    statsTouched: stats.size,
    caughtUp: ROLLUP_STREAMS.every((s) => states[s].done),
    horizon: horizon.toISOString(),
    durationMs: clock().getTime() - started.getTime(),
    timings: {
      listMs: Math.round(timings.listMs),
      reduceMs: Math.round(timings.reduceMs),
      commitMs: Math.round(timings.commitMs),
    },
    reads: after.reads - before.reads,
    writes: after.writes - before.writes,
  };
}
