/**
 * `npm run bench:rollup`: seeds crash reports straight into the Firestore emulator with a
 * BulkWriter (the documents the ingest would store, from the real fixtures: 3 runtimes, many
 * issues, versions, labels and installations, spread over 3 days and 2 products), then POSTs
 * to the rollup function, as Cloud Scheduler would, until it reports it has caught up. Prints
 * crashes rolled up per second, Firestore reads and writes per crash (counted by the rollup's
 * store), runs needed and the longest run, and checks the totals. Options (env):
 * BENCH_CRASHES (default 100000), BENCH_USAGE (default 0), BENCH_SESSIONS (default 0: sessions
 * reports of one to three hour buckets, 6 releases, every status), BENCH_BATCH (the rollup's batch
 * size, default 500), BENCH_BUDGET_SECONDS (the run budget, default 50), BENCH_UNIQUE_TRACES=1
 * (shift every line number by the crash's index, so no two traces are byte-identical: same
 * issues, no reuse of grouping results, a distinct `line` value per crash), BENCH_SHARDS (default
 * 8): after the single run, the rollup's state is forgotten and the same backlog is rolled up
 * again by this many runs at once, each over its share of the index shards (1: no second pass);
 * the aggregates of both passes must be equal.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import type { SessionReport, UsageReport } from '../functions/src/ingest/schemas';
import { loadFixtures } from '../test/unit/grouping/fixtures';
import { BACKLOG_INSTALLS, backlogCrash, seedBacklog, storedReport } from './lib/backlog';
import { seedProduct } from './lib/seed';
import { INDEX_SHARDS } from '../functions/src/shared/paths';
import { ROOT, startStack } from './lib/stack';

const CRASHES = Number(process.env.BENCH_CRASHES ?? 100_000);
const USAGE = Number(process.env.BENCH_USAGE ?? 0);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 0);
const BATCH = process.env.BENCH_BATCH ?? '500';
const BUDGET = process.env.BENCH_BUDGET_SECONDS ?? '50';
const DAYS = 3;
const INSTALLS = BACKLOG_INSTALLS;
const UNIQUE_TRACES = process.env.BENCH_UNIQUE_TRACES === '1';
/** Parallel runs of the second pass over the same backlog (each over its share of the index shards); 1 skips it. */
const PARALLEL = Number(process.env.BENCH_SHARDS ?? INDEX_SHARDS);

/** The trace with every line number moved by `shift` (grouping ignores line numbers). */
function shiftLines(trace: string, shift: number): string {
  return trace.replace(
    /(line |\.java:|\.kt:|\.js:|\.ts:|\.py:)(\d+)/g,
    (_m, prefix: string, n: string) => `${prefix}${Number(n) + shift}`,
  );
}

interface RunSummary {
  processed: number;
  usageProcessed: number;
  sessionsProcessed: number;
  caughtUp: boolean;
  durationMs: number;
  reads: number;
  writes: number;
  batches: number;
  issuesTouched: number;
  statsTouched: number;
  timings: { listMs: number; reduceMs: number; commitMs: number };
}

async function main(): Promise<void> {
  const fixtures = loadFixtures();
  const logDir = join(ROOT, '.local', 'bench-logs');
  const stack = await startStack({
    logDir,
    env: {
      DUMPCATCHER_ROLLUP_LAG_SECONDS: '0',
      DUMPCATCHER_ROLLUP_BATCH_SIZE: BATCH,
      DUMPCATCHER_ROLLUP_BUDGET_SECONDS: BUDGET,
    },
  });
  try {
    process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
    const db = getFirestore(getApps()[0] ?? initializeApp({ projectId: stack.projectId }));
    const products = [
      await seedProduct(db, { name: 'bench a', ownerUid: 'bench' }),
      await seedProduct(db, { name: 'bench b', ownerUid: 'bench' }),
    ];
    const start = Date.now() - DAYS * 86_400_000;
    const spread = (i: number, n: number) => new Date(start + Math.floor((i / n) * (DAYS * 86_400_000 - 60_000)));

    const crashSeconds = await seedBacklog(db, CRASHES, (i) => {
      const at = spread(i, CRASHES);
      const trace = UNIQUE_TRACES ? (f: { text: string }) => shiftLines(f.text, i) : undefined;
      const { report } = backlogCrash(fixtures, i, at, trace);
      return storedReport(report, products[i % 2]!.productKey, 'crashes', i, at);
    });
    const usageSeconds = await seedBacklog(db, USAGE, (i) => {
      const productKey = products[i % 2]!.productKey;
      const report: UsageReport = {
        reportId: randomUUID(),
        occurredAt: spread(i, USAGE).toISOString(),
        app: { name: 'bench', version: '1.0.0' },
        installId: `install-${String(i % INSTALLS).padStart(6, '0')}`,
        metrics: { session_seconds: i % 600, theme: i % 3 === 0 ? 'dark' : 'light', beta: i % 2 === 0 },
      };
      return storedReport(report, productKey, 'usage', i, spread(i, USAGE));
    });
    const sessionsSeconds = await seedBacklog(db, SESSIONS, (i) => {
      const productKey = products[i % 2]!.productKey;
      const at = spread(i, SESSIONS);
      const hour = (back: number) =>
        new Date(Math.floor(at.getTime() / 3_600_000 - back) * 3_600_000).toISOString().replace('.000Z', 'Z');
      const report: SessionReport = {
        reportId: randomUUID(),
        occurredAt: at.toISOString(),
        app: { name: 'bench', version: `1.${(i >> 4) % 6}.0` },
        installId: `install-${String(i % INSTALLS).padStart(6, '0')}`,
        sessions: Array.from({ length: 1 + (i % 3) }, (_, b) => ({
          started: hour(b),
          ok: 1 + (i % 4),
          errored: i % 5 === 0 ? 1 : 0,
          crashed: i % 7 === 0 ? 1 : 0,
          abnormal: i % 11 === 0 ? 1 : 0,
        })),
      };
      return storedReport(report, productKey, 'sessions', i, at);
    });
    console.log(`seeded ${SESSIONS} sessions reports in ${sessionsSeconds.toFixed(1)} s`);
    console.log(
      `seeded ${CRASHES} crashes in ${crashSeconds.toFixed(1)} s and ${USAGE} usage reports in ${usageSeconds.toFixed(1)} s`,
    );

    /**
     * POSTs to the rollup until a run answers caughtUp, for each query at once (a query per
     * parallel run: its shards), asking again after a 409 as the queue would.
     */
    const rollUp = async (queries: string[]): Promise<{ runs: RunSummary[]; wall: number }> => {
      const runs: RunSummary[] = [];
      const started = Date.now();
      await Promise.all(
        queries.map(async (query) => {
          for (;;) {
            const res = await fetch(`${stack.rollupUrl}${query}`, { method: 'POST' });
            const summary = (await res.json()) as RunSummary;
            if (res.status === 409) {
              await new Promise((resolve) => setTimeout(resolve, 200));
              continue;
            }
            if (!res.ok) throw new Error(`rollup answered ${res.status}: ${JSON.stringify(summary)}`);
            runs.push(summary);
            console.log(
              `  run ${runs.length}${query}: ${summary.processed} crashes, ${summary.usageProcessed} usage, ${summary.sessionsProcessed} sessions reports in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.batches} batches)${summary.caughtUp ? ', caught up' : ''}`,
            );
            if (summary.caughtUp) return;
          }
        }),
      );
      return { runs, wall: (Date.now() - started) / 1000 };
    };
    /** Every issue's count and every day's total, by path: what both passes must agree on exactly. */
    const aggregates = async (): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      for (const p of products) {
        const product = db.collection('products').doc(p.productKey);
        for (const d of (await product.collection('issues').get()).docs) out.set(d.ref.path, d.get('count') as number);
        const stats = await product.collection('stats').where('by', '==', 'type').get();
        for (const d of stats.docs) out.set(d.ref.path, d.get('total.count') as number);
      }
      return out;
    };
    /** Forgets what the rollup did (cursors, leases, issues, stats, outbox), so the same backlog can be rolled up again. */
    const forget = async () => {
      for (const p of products) {
        const product = db.collection('products').doc(p.productKey);
        await db.recursiveDelete(product.collection('issues'));
        await db.recursiveDelete(product.collection('stats'));
      }
      await db.recursiveDelete(db.collection('rollupState'));
      await db.recursiveDelete(db.collection('alertOutbox'));
    };

    console.log('single run (every shard):');
    const single = await rollUp(['']);
    const { runs, wall } = single;
    const sum = (f: (r: RunSummary) => number) => runs.reduce((n, r) => n + f(r), 0);
    const processed = sum((r) => r.processed);
    const usageProcessed = sum((r) => r.usageProcessed);
    const rollupSeconds = sum((r) => r.durationMs) / 1000;
    const share = (f: (r: RunSummary) => number) => `${((sum(f) / 1000 / rollupSeconds) * 100).toFixed(0)} %`;
    const sessionsProcessed = sum((r) => r.sessionsProcessed);
    const reports = processed + usageProcessed + sessionsProcessed;
    const singleAggregates = await aggregates();
    let counted = 0;
    // `{day}_type` only: an environment's copy (`{day}_type@{environment}`) counts the same crashes again.
    for (const [path, n] of singleAggregates) if (path.endsWith('_type')) counted += n;
    const issues = (await db.collectionGroup('issues').count().get()).data().count;

    let parallel: { runs: RunSummary[]; wall: number; processed: number; same: boolean } | null = null;
    if (PARALLEL > 1) {
      await forget();
      console.log(`${PARALLEL} parallel runs (shards s with s mod ${PARALLEL} = run), over the same backlog:`);
      const queries = Array.from({ length: PARALLEL }, (_, run) => {
        const shards = Array.from({ length: INDEX_SHARDS }, (_, s) => s).filter((s) => s % PARALLEL === run);
        return `?shards=${shards.join(',')}`;
      });
      const pass = await rollUp(queries);
      const after = await aggregates();
      const same =
        after.size === singleAggregates.size && [...singleAggregates].every(([path, n]) => after.get(path) === n);
      parallel = { ...pass, processed: pass.runs.reduce((n, r) => n + r.processed, 0), same };
    }
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');

    console.log(`
bench:rollup  crashes=${CRASHES} usage=${USAGE} sessions=${SESSIONS} batch=${BATCH} budget=${BUDGET} s${UNIQUE_TRACES ? ' unique traces' : ''}  (node ${process.versions.node}, ${cpus().length} cores, Firestore emulator, load average ${load})
  runs needed               ${runs.length}   (longest ${(Math.max(...runs.map((r) => r.durationMs)) / 1000).toFixed(1)} s)
  crashes rolled up/s       ${(processed / rollupSeconds).toFixed(0)}   (${processed} in ${rollupSeconds.toFixed(1)} s of runs, ${wall.toFixed(1)} s wall: ${(processed / wall).toFixed(0)}/s)
  usage reports/s           ${usageProcessed === 0 ? '-' : (usageProcessed / rollupSeconds).toFixed(0)}
  sessions reports/s        ${sessionsProcessed === 0 ? '-' : (sessionsProcessed / rollupSeconds).toFixed(0)}
  time listing (query)      ${share((r) => r.timings.listMs)}   (waiting for the next batch; the emulator scans, Firestore seeks an index)
  time reducing (CPU)       ${share((r) => r.timings.reduceMs)}   (parsing, fingerprinting, sketches)
  time committing           ${share((r) => r.timings.commitMs)}   (waiting for the commit turn, then the transaction: re-read cursor, products, aggregates; write)
  Firestore reads/report    ${(sum((r) => r.reads) / reports).toFixed(4)}   (reads ${sum((r) => r.reads)}: each report once, plus per batch the cursor, products and aggregates)
  Firestore writes/report   ${(sum((r) => r.writes) / reports).toFixed(4)}   (writes ${sum((r) => r.writes)}: per batch the touched aggregates and the cursor)
  batches                   ${sum((r) => r.batches)}   (${(
    (wall * 1000) /
    Math.max(
      1,
      sum((r) => r.batches),
    )
  ).toFixed(0)} ms of wall time each)
  issues                    ${issues}
  check: stats total        ${counted} (expected ${CRASHES}) ${counted === CRASHES ? 'OK' : 'MISMATCH'}`);
    if (parallel !== null) {
      const p = parallel;
      const psum = (f: (r: RunSummary) => number) => p.runs.reduce((n, r) => n + f(r), 0);
      const batches = psum((r) => r.batches);
      console.log(`  parallel runs             ${PARALLEL} at once, ${p.runs.length} POSTs in all
  crashes rolled up/s       ${(p.processed / p.wall).toFixed(0)} wall   (${p.processed} in ${p.wall.toFixed(1)} s wall; single run: ${(processed / wall).toFixed(0)}/s, ×${(processed / wall > 0 ? p.processed / p.wall / (processed / wall) : 0).toFixed(2)})
  Firestore reads/report    ${(psum((r) => r.reads) / reports).toFixed(4)}   (waiting for the commit turn adds reads)
  Firestore writes/report   ${(psum((r) => r.writes) / reports).toFixed(4)}
  batches                   ${batches}   (${((p.wall * 1000) / Math.max(1, batches)).toFixed(0)} ms of wall time each; committing ${(
    (psum((r) => r.timings.commitMs) /
      Math.max(
        1,
        psum((r) => r.durationMs),
      )) *
    100
  ).toFixed(0)} % of run time)
  check: every issue count and day total equal to the single run's   ${p.same ? 'OK' : 'MISMATCH'}`);
      if (!p.same || p.processed !== CRASHES) process.exitCode = 1;
    }
    console.log(
      `  check: sessions reports   ${sessionsProcessed} (expected ${SESSIONS}) ${sessionsProcessed === SESSIONS ? 'OK' : 'MISMATCH'}`,
    );
    if (counted !== CRASHES || processed !== CRASHES || sessionsProcessed !== SESSIONS) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
