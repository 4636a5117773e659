import { randomUUID } from 'node:crypto';
import { withAlertOutbox, withReleaseOutbox } from '../alerts/outbox';
import type { Clock } from '../shared/clock';
import { classifyCrash, type FingerprintCache, type ReportRecord } from '../grouping/classify';
import { crashDocumentPaths, usageDocumentPaths } from './aggregate';
import {
  BATCH_TEXT_BUDGET_BYTES,
  FIRST_BATCH_LIMIT,
  MAX_DOCS_PER_COMMIT,
  nextLimit,
  planCrashBatch,
  planSessionBatch,
  planUsageBatch,
  selectBatch,
  type BatchPlan,
  type RawReport,
  type SafeParser,
} from './batch';
import {
  CrashDocSchema,
  ROLLUP_STREAMS,
  SessionDocSchema,
  UsageDocSchema,
  type Cursor,
  type RollupStream,
} from '../grouping/schemas';
import type { RollupConfig } from './config';
import { mappingKeysOf } from '../grouping/retrace';
import type { MappingCache } from '../grouping/retrace/cache';
import { ALL_SHARDS, COLLECTIONS, productCollectionOf, productKeyOf } from '../shared/paths';
import { sessionDocumentPaths } from './sessions';

/** The batch types the store speaks, re-exported for adapters. */
export type { BatchPlan, RawReport } from './batch';

/** What the rollup needs from Firestore; the adapter (store.ts) implements it. */
export interface RollupStore {
  /**
   * Every shard's cursor of every stream (null before a shard's first batch) and the database's
   * time of that read: every write committed at or before `readTime` was visible to it.
   */
  readCursors(): Promise<{ cursors: Record<RollupStream, Array<Cursor | null>>; readTime: Date }>;
  /** One shard's cursor of one stream, read again after a stale batch. */
  readCursor(stream: RollupStream, shard: number): Promise<Cursor | null>;
  /**
   * Those of the shards in `cursors` that have a report of `stream` after their cursor with
   * receivedAt <= `horizon`: what a run leases, so a run with nothing to do leases nothing.
   */
  shardsWithReports(
    stream: RollupStream,
    cursors: ReadonlyMap<number, Cursor | null>,
    horizon: Date,
  ): Promise<number[]>;
  /** Up to `limit` reports of `shard` after `after` with receivedAt <= `horizon`, in (receivedAt, path) order. */
  listReports(
    stream: RollupStream,
    shard: number,
    after: Cursor | null,
    horizon: Date,
    limit: number,
  ): Promise<RawReport[]>;
  /**
   * In one transaction: if the shard's cursor of the stream still equals `expected`, reads the
   * documents at `paths` and the products `productKeys`, writes what `plan` returns and sets the
   * cursor to `next`; otherwise writes nothing and answers `stale` (another run applied this
   * batch). A transaction that conflicts with another run's is retried from its reads.
   */
  commitBatch(batch: {
    stream: RollupStream;
    shard: number;
    expected: Cursor | null;
    next: Cursor;
    paths: string[];
    productKeys: string[];
    plan: BatchPlan;
  }): Promise<'committed' | 'stale'>;
  /**
   * In one transaction, leases to `holder` until `until` those of `shards` whose lease is
   * absent, expired at `now`, or already the holder's; answers the shards leased.
   */
  claimShards(shards: readonly number[], holder: string, now: Date, until: Date): Promise<number[]>;
  /** Ends the leases `holder` holds among `shards`. */
  releaseShards(shards: readonly number[], holder: string): Promise<void>;
  /** Firestore reads and writes this store has made so far. */
  counters(): { reads: number; writes: number };
  /** A store for one run: the same database and commit turn, counters of its own (runs may overlap in one process). */
  forRun?(): RollupStore;
}

/** What a run did; the HTTP answer and the log line. */
export interface RollupSummary {
  /** The index shards this run leased and worked: those asked for that had reports to apply. */
  shards: number[];
  /** Shards asked for, with reports to apply, that another run held (their reports are that run's, or the next one's). */
  busy: number[];
  /** Crash reports applied by this run. */
  processed: number;
  /** Usage reports applied by this run. */
  usageProcessed: number;
  /** Sessions reports applied by this run. */
  sessionsProcessed: number;
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
  /**
   * True when every stream of every shard asked for reached the horizon; false when the time
   * budget ran out first, or when another run held a shard (its reports may still be in flight).
   */
  caughtUp: boolean;
  /** Reports received up to this instant were considered (the run's first read time minus the lag). */
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
  /** Stored ProGuard/R8 mappings; without it obfuscated traces are grouped as they are. */
  mappings?: MappingCache;
  /** Overrides MAX_DOCS_PER_COMMIT (tests). */
  maxDocsPerCommit?: number;
  /** Overrides BATCH_TEXT_BUDGET_BYTES (tests). */
  batchTextBudgetBytes?: number;
  /** The index shards to work, those whose lease is free; all of them when absent. */
  shards?: readonly number[];
  /** Who holds the leases this run takes (a random id when absent). */
  holder?: string;
}

/**
 * How long past its budget a run's leases last: its last batch may start just inside the
 * budget. A run that dies keeps its shards from others no longer than budget plus this.
 */
const LEASE_MARGIN_MS = 20_000;

function parseReport<T>(report: RawReport, schema: SafeParser<T>, deps: RollupDeps): ReportRecord<T> | null {
  const result = schema.safeParse(report.data);
  if (result.success) return { path: report.path, id: report.id, doc: result.data };
  deps.onMalformed?.(report.path, result.error.issues.map((i) => i.path.join('.')).join(', '));
  return null;
}

interface StreamState {
  stream: RollupStream;
  shard: number;
  cursor: Cursor | null;
  done: boolean;
  /** Reports to list next: the configured batch size, less when reports are large (see nextLimit). */
  limit: number;
  /** The next batch, listed while the previous one commits. */
  prefetch: Promise<RawReport[]> | null;
}

/**
 * The newest `receivedAt` a run may take, from the time of its first read. `receivedAt` is the
 * time Firestore received the report's write (with microseconds), and the write commits after
 * that, within the time Firestore takes to process it. A read at T sees every commit up to T,
 * and a write committed after T was received after T minus that processing time. So with the
 * lag above the longest processing time, every report at or before the horizon was visible at
 * T, and no report can later appear at or before it behind the cursor. The extra millisecond
 * covers a write received in T's own millisecond.
 */
export function horizonOf(readTime: Date, lagSeconds: number): Date {
  return new Date(readTime.getTime() - 1 - lagSeconds * 1000);
}

/**
 * One rollup run: it reads every shard's cursors, asks which of the index shards asked for
 * have reports after them up to the horizon (`horizonOf`), and leases those that no other run
 * holds (none when there is nothing to do). For each stream of each of them with reports,
 * batches of reports after that shard's cursor and up to the horizon are reduced in memory and
 * applied with the cursor advance in one transaction, until every one reaches the horizon or
 * the time budget would be exceeded by another batch. Runs over different shards proceed in
 * parallel; the cursor check in each transaction, not the lease, is what keeps a batch from
 * being applied twice.
 */
export async function runRollup(deps: RollupDeps): Promise<RollupSummary> {
  const started = deps.clock();
  const holder = deps.holder ?? randomUUID();
  const asked = [...new Set(deps.shards ?? ALL_SHARDS)].sort((a, b) => a - b);
  const budgetMs = deps.config.DUMPCATCHER_ROLLUP_BUDGET_SECONDS * 1000;
  const until = new Date(started.getTime() + budgetMs + LEASE_MARGIN_MS);
  const before = deps.store.counters();
  const { cursors, readTime } = await deps.store.readCursors();
  const horizon = horizonOf(readTime, deps.config.DUMPCATCHER_ROLLUP_LAG_SECONDS);
  const pending = await Promise.all(
    ROLLUP_STREAMS.map(async (stream) => {
      const asks = new Map(asked.map((shard) => [shard, cursors[stream][shard] ?? null]));
      const found = await deps.store.shardsWithReports(stream, asks, horizon);
      return found.map((shard) => ({ stream, shard, cursor: asks.get(shard) ?? null }));
    }),
  );
  const lanes = pending.flat();
  const wanted = [...new Set(lanes.map((lane) => lane.shard))].sort((a, b) => a - b);
  const shards = wanted.length === 0 ? [] : await deps.store.claimShards(wanted, holder, started, until);
  let done: Omit<RollupSummary, 'shards' | 'busy' | 'reads' | 'writes'>;
  try {
    done = await rollUpLanes(
      deps,
      lanes.filter((lane) => shards.includes(lane.shard)),
      horizon,
      started,
    );
  } finally {
    // A lease left behind by a failed release expires by itself (LEASE_MARGIN_MS past the budget).
    if (shards.length > 0) await deps.store.releaseShards(shards, holder).catch(() => undefined);
  }
  const after = deps.store.counters();
  const busy = wanted.filter((s) => !shards.includes(s));
  return {
    shards,
    busy,
    ...done,
    // A busy shard's reports are another run's: this run cannot say they reached the horizon.
    caughtUp: done.caughtUp && busy.length === 0,
    reads: after.reads - before.reads,
    writes: after.writes - before.writes,
  };
}

/** The batches of a run over the (stream, shard) lanes it leased, from their cursors up to `horizon`. */
async function rollUpLanes(
  deps: RollupDeps,
  lanes: ReadonlyArray<{ stream: RollupStream; shard: number; cursor: Cursor | null }>,
  horizon: Date,
  started: Date,
): Promise<Omit<RollupSummary, 'shards' | 'busy' | 'reads' | 'writes'>> {
  const { store, clock, config } = deps;
  const budgetMs = config.DUMPCATCHER_ROLLUP_BUDGET_SECONDS * 1000;
  const configured = config.DUMPCATCHER_ROLLUP_BATCH_SIZE;
  const textBudget = deps.batchTextBudgetBytes ?? BATCH_TEXT_BUDGET_BYTES;
  const maxDocs = deps.maxDocsPerCommit ?? MAX_DOCS_PER_COMMIT;
  const fingerprints: FingerprintCache = new Map();
  const summary = {
    processed: 0,
    usageProcessed: 0,
    sessionsProcessed: 0,
    malformed: 0,
    orphaned: 0,
    batches: 0,
    stale: 0,
  };
  const issues = new Set<string>();
  const stats = new Set<string>();
  const states: StreamState[] = lanes.map(({ stream, shard, cursor }) => ({
    stream,
    shard,
    cursor,
    done: false,
    limit: Math.min(configured, FIRST_BATCH_LIMIT),
    prefetch: null,
  }));
  let slowestBatchMs = 0;
  const timings = { listMs: 0, reduceMs: 0, commitMs: 0 };
  const since = (t: number) => performance.now() - t;

  const runBatch = async (state: StreamState): Promise<void> => {
    const { stream, shard } = state;
    let t = performance.now();
    const limit = state.limit;
    const raw = await (state.prefetch ?? store.listReports(stream, shard, state.cursor, horizon, limit));
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
      // Mappings are read before the batch is classified, which is synchronous.
      await deps.mappings?.prepare(mappingKeysOf(raw));
      const lookup = deps.mappings?.lookup;
      const parse = (r: RawReport) => {
        const record = parseReport(r, CrashDocSchema, deps);
        return record === null ? null : classifyCrash(record, fingerprints, lookup);
      };
      const selected = selectBatch(raw, parse, crashDocumentPaths, maxDocs);
      ({ taken, malformed } = selected);
      records = selected.items.map((c) => c.record);
      ({ paths, plan } = planCrashBatch(selected.items, now));
    } else if (stream === 'usage') {
      const parse = (r: RawReport) => parseReport(r, UsageDocSchema, deps);
      const selected = selectBatch(raw, parse, usageDocumentPaths, maxDocs);
      ({ taken, malformed } = selected);
      records = selected.items;
      ({ paths, plan } = planUsageBatch(selected.items, now));
    } else {
      const parse = (r: RawReport) => parseReport(r, SessionDocSchema, deps);
      const selected = selectBatch(raw, parse, sessionDocumentPaths, maxDocs);
      ({ taken, malformed } = selected);
      records = selected.items;
      ({ paths, plan } = planSessionBatch(selected.items, now));
    }
    const end = raw[taken - 1] ?? last;
    const next: Cursor = {
      receivedAt: end.receivedAt,
      ...(end.receivedAtUs === undefined ? {} : { receivedAtUs: end.receivedAtUs }),
      path: end.path,
      processed: (state.cursor?.processed ?? 0) + taken,
    };
    const productKeys = [...new Set(records.map((r) => productKeyOf(r.path)))];
    let written: Map<string, object> = new Map();
    let liveCount = 0;
    const tracked: BatchPlan = (current, live) => {
      written = plan(current, live);
      liveCount = records.filter((r) => live.has(productKeyOf(r.path))).length;
      // New and regressed issues are queued for alerts in this same transaction (see alerts/outbox.ts).
      if (stream === 'crashes') return withAlertOutbox(current, written, now);
      return stream === 'sessions' ? withReleaseOutbox(current, written, now) : written;
    };
    // A full batch, all of it applied, means more may follow: list it now, while this one commits.
    const whole = taken === raw.length;
    const upcoming = nextLimit(raw, configured, textBudget);
    const prefetch = whole && raw.length === limit ? store.listReports(stream, shard, next, horizon, upcoming) : null;
    prefetch?.catch(() => undefined);
    timings.reduceMs += since(t);
    t = performance.now();
    const outcome = await store.commitBatch({
      stream,
      shard,
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
      state.cursor = await store.readCursor(stream, shard);
      return;
    }
    state.cursor = next;
    state.prefetch = prefetch;
    state.done = whole && raw.length < limit;
    state.limit = upcoming;
    summary.malformed += malformed;
    summary.orphaned += records.length - liveCount;
    if (stream === 'crashes') summary.processed += liveCount;
    else if (stream === 'usage') summary.usageProcessed += liveCount;
    else summary.sessionsProcessed += liveCount;
    for (const path of written.keys()) {
      if (path.split('/').length !== 4) continue; // an issue's activity entry (a regression)
      (productCollectionOf(path) === COLLECTIONS.issues ? issues : stats).add(path);
    }
  };

  let outOfTime = false;
  while (!outOfTime && states.some((s) => !s.done)) {
    for (const state of states) {
      if (state.done) continue;
      if (clock().getTime() - started.getTime() + slowestBatchMs > budgetMs) {
        outOfTime = true;
        break;
      }
      const batchStart = clock().getTime();
      await runBatch(state);
      slowestBatchMs = Math.max(slowestBatchMs, clock().getTime() - batchStart);
    }
  }
  return {
    ...summary,
    issuesTouched: issues.size,
    statsTouched: stats.size,
    caughtUp: states.every((s) => s.done),
    horizon: horizon.toISOString(),
    durationMs: clock().getTime() - started.getTime(),
    timings: {
      listMs: Math.round(timings.listMs),
      reduceMs: Math.round(timings.reduceMs),
      commitMs: Math.round(timings.commitMs),
    },
  };
}
