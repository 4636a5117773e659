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
   * Leases to `holder` until `until` those of `shards` whose lease is absent, expired at `now`,
   * or already the holder's (`taken`); marks those another run holds as wanted, so that run
   * takes another pass over them before it gives them up (`handedOver`). The rest (every
   * attempt lost to another run moving) are busy.
   */
  claimShards(
    shards: readonly number[],
    holder: string,
    now: Date,
    until: Date,
  ): Promise<{ taken: number[]; handedOver: number[] }>;
  /**
   * Ends the leases `holder` holds among `shards`, except those another run marked wanted since:
   * their marks are cleared and their leases kept, and they are the answer. `force` ends them all
   * and answers those that were marked.
   */
  releaseShards(shards: readonly number[], holder: string, options?: { force?: boolean }): Promise<number[]>;
  /** Firestore reads and writes this store has made so far, and the milliseconds its commits waited for their turn. */
  counters(): { reads: number; writes: number; turnWaitMs?: number };
  /** A store for one run: the same database and commit turn, counters of its own (runs may overlap in one process). */
  forRun?(): RollupStore;
}

/** What a run did; the HTTP answer and the log line. */
export interface RollupSummary {
  /** The index shards this run leased and worked: those asked for that had reports to apply. */
  shards: number[];
  /**
   * Shards asked for, with reports to apply, that another run held and that this run marked
   * wanted: that run takes another pass over them before giving them up.
   */
  handedOver: number[];
  /**
   * Shards whose reports wait for another run: asked for, held by another run and not marked
   * (it kept moving), or handed over to this one and given up when its time ran out.
   */
  busy: number[];
  /** Passes over the leased shards: one, and one more each time another run marked them wanted meanwhile. */
  passes: number;
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
  /** Reports received up to this instant were considered (the last pass's first read time minus the lag). */
  horizon: string;
  /** When the run started, by the function's clock. */
  startedAt: string;
  durationMs: number;
  /**
   * Where the time went: listing reports, reducing them in memory, committing (listing overlaps
   * commits); `turnMs`, part of `commitMs`, waiting for the commit turn.
   */
  timings: { listMs: number; reduceMs: number; commitMs: number; turnMs: number };
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
  /** Called between passes, leases held (the handler sends the alerts queued so far). */
  afterPass?: () => Promise<void>;
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

type Lane = { stream: RollupStream; shard: number; cursor: Cursor | null };

/** The (stream, shard) lanes among `shards` with reports after their cursors up to a horizon read now. */
async function findLanes(deps: RollupDeps, shards: readonly number[]): Promise<{ lanes: Lane[]; horizon: Date }> {
  const { cursors, readTime } = await deps.store.readCursors();
  const horizon = horizonOf(readTime, deps.config.DUMPCATCHER_ROLLUP_LAG_SECONDS);
  const pending = await Promise.all(
    ROLLUP_STREAMS.map(async (stream) => {
      const asks = new Map(shards.map((shard) => [shard, cursors[stream][shard] ?? null]));
      const found = await deps.store.shardsWithReports(stream, asks, horizon);
      return found.map((shard) => ({ stream, shard, cursor: asks.get(shard) ?? null }));
    }),
  );
  return { lanes: pending.flat(), horizon };
}

/**
 * One rollup run: it reads every shard's cursors, asks which of the index shards asked for
 * have reports after them up to the horizon (`horizonOf`), and leases those that no other run
 * holds (none when there is nothing to do); those another run holds it marks wanted, handing
 * them over to that run. For each stream of each shard leased with reports, batches of reports
 * after that shard's cursor and up to the horizon are reduced in memory and applied with the
 * cursor advance in one transaction, until every one reaches the horizon or the time budget
 * would be exceeded by another batch. Then it gives its leases up, except those marked wanted
 * meanwhile: over those it takes another pass, up to a new horizon (after `afterPass`), and so
 * on while time is left. Runs over different shards proceed in parallel; the cursor check in
 * each transaction, not the lease, is what keeps a batch from being applied twice.
 */
export async function runRollup(deps: RollupDeps): Promise<RollupSummary> {
  const started = deps.clock();
  const holder = deps.holder ?? randomUUID();
  const asked = [...new Set(deps.shards ?? ALL_SHARDS)].sort((a, b) => a - b);
  const budgetMs = deps.config.DUMPCATCHER_ROLLUP_BUDGET_SECONDS * 1000;
  const until = new Date(started.getTime() + budgetMs + LEASE_MARGIN_MS);
  const before = deps.store.counters();
  let pass = await findLanes(deps, asked);
  const withReports = [...new Set(pass.lanes.map((lane) => lane.shard))].sort((a, b) => a - b);
  const { taken: shards, handedOver } =
    withReports.length === 0
      ? { taken: [], handedOver: [] }
      : await deps.store.claimShards(withReports, holder, started, until);
  let held = shards;
  let lanes = pass.lanes.filter((lane) => held.includes(lane.shard));
  // Across passes: the documents written, and each lane's batch size (`{stream}/{shard}`).
  const touched = { issues: new Set<string>(), stats: new Set<string>(), limits: new Map<string, number>() };
  const passes: Array<Awaited<ReturnType<typeof rollUpLanes>>> = [];
  const abandoned: number[] = [];
  try {
    for (;;) {
      const done = await rollUpLanes(deps, lanes, pass.horizon, started, touched);
      passes.push(done);
      if (held.length === 0) break;
      const outOfTime = !done.caughtUp || deps.clock().getTime() - started.getTime() >= budgetMs;
      const again = await deps.store.releaseShards(held, holder, { force: outOfTime });
      if (outOfTime) {
        // Given up all the same: what the marking runs left to this one is reported busy, so the
        // queue asks for this run's task again.
        abandoned.push(...again);
        held = [];
        break;
      }
      held = again;
      if (held.length === 0) break;
      await deps.afterPass?.();
      pass = await findLanes(deps, held);
      lanes = pass.lanes;
    }
  } finally {
    // A lease left behind by a failed release expires by itself (LEASE_MARGIN_MS past the budget).
    if (held.length > 0) await deps.store.releaseShards(held, holder, { force: true }).catch(() => undefined);
  }
  const after = deps.store.counters();
  const busy = [...withReports.filter((s) => !shards.includes(s) && !handedOver.includes(s)), ...abandoned].sort(
    (a, b) => a - b,
  );
  const last = passes[passes.length - 1]!;
  const sum = (pick: (p: (typeof passes)[number]) => number) => passes.reduce((n, p) => n + pick(p), 0);
  return {
    shards,
    handedOver,
    busy,
    passes: passes.length,
    processed: sum((p) => p.processed),
    usageProcessed: sum((p) => p.usageProcessed),
    sessionsProcessed: sum((p) => p.sessionsProcessed),
    malformed: sum((p) => p.malformed),
    orphaned: sum((p) => p.orphaned),
    issuesTouched: touched.issues.size,
    statsTouched: touched.stats.size,
    batches: sum((p) => p.batches),
    stale: sum((p) => p.stale),
    // A shard handed over or busy is another run's: this run cannot say its reports reached the horizon.
    caughtUp: last.caughtUp && busy.length === 0 && handedOver.length === 0,
    horizon: last.horizon,
    startedAt: started.toISOString(),
    durationMs: deps.clock().getTime() - started.getTime(),
    timings: {
      listMs: sum((p) => p.timings.listMs),
      reduceMs: sum((p) => p.timings.reduceMs),
      commitMs: sum((p) => p.timings.commitMs),
      turnMs: Math.round((after.turnWaitMs ?? 0) - (before.turnWaitMs ?? 0)),
    },
    reads: after.reads - before.reads,
    writes: after.writes - before.writes,
  };
}

/** What one pass over a run's lanes did (the run's summary adds them up). */
type PassSummary = Pick<
  RollupSummary,
  | 'processed'
  | 'usageProcessed'
  | 'sessionsProcessed'
  | 'malformed'
  | 'orphaned'
  | 'batches'
  | 'stale'
  | 'caughtUp'
  | 'horizon'
> & { timings: Omit<RollupSummary['timings'], 'turnMs'> };

/** The batches of a run over the (stream, shard) lanes it leased, from their cursors up to `horizon`. */
async function rollUpLanes(
  deps: RollupDeps,
  lanes: readonly Lane[],
  horizon: Date,
  started: Date,
  touched: { issues: Set<string>; stats: Set<string>; limits: Map<string, number> },
): Promise<PassSummary> {
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
  const { issues, stats, limits } = touched;
  const states: StreamState[] = lanes.map(({ stream, shard, cursor }) => ({
    stream,
    shard,
    cursor,
    done: false,
    // A lane's batch size, learnt from its reports' size in an earlier pass, carries over.
    limit: limits.get(`${stream}/${shard}`) ?? Math.min(configured, FIRST_BATCH_LIMIT),
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
    limits.set(`${stream}/${shard}`, upcoming);
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

  // Each shard's lanes one batch at a time, the shards side by side: a run over several shards
  // lists and reduces one shard's batch while another's commits, as runs over one shard each do.
  let outOfTime = false;
  const workShard = async (mine: StreamState[]) => {
    while (!outOfTime && mine.some((s) => !s.done)) {
      for (const state of mine) {
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
  };
  const shards = [...new Set(states.map((s) => s.shard))];
  // Every shard's work ends before the run does (and gives its leases up), failed or not.
  const worked = await Promise.allSettled(shards.map((shard) => workShard(states.filter((s) => s.shard === shard))));
  const failed = worked.find((w): w is PromiseRejectedResult => w.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return {
    ...summary,
    caughtUp: states.every((s) => s.done),
    horizon: horizon.toISOString(),
    timings: {
      listMs: Math.round(timings.listMs),
      reduceMs: Math.round(timings.reduceMs),
      commitMs: Math.round(timings.commitMs),
    },
  };
}
