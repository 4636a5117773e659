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
 * issues, no reuse of grouping results, a distinct `line` value per crash).
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import type { SessionReport, UsageReport } from '../functions/src/ingest/schemas';
import { loadFixtures } from '../test/unit/grouping/fixtures';
import { BACKLOG_INSTALLS, backlogCrash, seedBacklog, storedReport } from './lib/backlog';
import { seedProduct } from './lib/seed';
import { ROOT, startStack } from './lib/stack';

const CRASHES = Number(process.env.BENCH_CRASHES ?? 100_000);
const USAGE = Number(process.env.BENCH_USAGE ?? 0);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 0);
const BATCH = process.env.BENCH_BATCH ?? '500';
const BUDGET = process.env.BENCH_BUDGET_SECONDS ?? '50';
const DAYS = 3;
const INSTALLS = BACKLOG_INSTALLS;
const UNIQUE_TRACES = process.env.BENCH_UNIQUE_TRACES === '1';

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

    const runs: RunSummary[] = [];
    const started = Date.now();
    for (;;) {
      const res = await fetch(stack.rollupUrl, { method: 'POST' });
      const summary = (await res.json()) as RunSummary;
      if (!res.ok) throw new Error(`rollup answered ${res.status}: ${JSON.stringify(summary)}`);
      runs.push(summary);
      console.log(
        `  run ${runs.length}: ${summary.processed} crashes, ${summary.usageProcessed} usage, ${summary.sessionsProcessed} sessions reports in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.batches} batches)${summary.caughtUp ? ', caught up' : ''}`,
      );
      if (summary.caughtUp) break;
    }
    const wall = (Date.now() - started) / 1000;
    const sum = (f: (r: RunSummary) => number) => runs.reduce((n, r) => n + f(r), 0);
    const processed = sum((r) => r.processed);
    const usageProcessed = sum((r) => r.usageProcessed);
    const rollupSeconds = sum((r) => r.durationMs) / 1000;
    const share = (f: (r: RunSummary) => number) => `${((sum(f) / 1000 / rollupSeconds) * 100).toFixed(0)} %`;
    const sessionsProcessed = sum((r) => r.sessionsProcessed);
    const reports = processed + usageProcessed + sessionsProcessed;

    let counted = 0;
    for (const p of products) {
      const snap = await db
        .collection('products')
        .doc(p.productKey)
        .collection('stats')
        .where('by', '==', 'type')
        .get();
      counted += snap.docs.reduce((n, d) => n + (d.get('total.count') as number), 0);
    }
    const issues = (await db.collectionGroup('issues').count().get()).data().count;

    console.log(`
bench:rollup  crashes=${CRASHES} usage=${USAGE} sessions=${SESSIONS} batch=${BATCH} budget=${BUDGET} s${UNIQUE_TRACES ? ' unique traces' : ''}  (node ${process.versions.node}, ${cpus().length} cores, Firestore emulator)
  runs needed               ${runs.length}   (longest ${(Math.max(...runs.map((r) => r.durationMs)) / 1000).toFixed(1)} s)
  crashes rolled up/s       ${(processed / rollupSeconds).toFixed(0)}   (${processed} in ${rollupSeconds.toFixed(1)} s of runs, ${wall.toFixed(1)} s wall)
  usage reports/s           ${usageProcessed === 0 ? '-' : (usageProcessed / rollupSeconds).toFixed(0)}
  sessions reports/s        ${sessionsProcessed === 0 ? '-' : (sessionsProcessed / rollupSeconds).toFixed(0)}
  time listing (query)      ${share((r) => r.timings.listMs)}   (waiting for the next batch; the emulator scans, Firestore seeks an index)
  time reducing (CPU)       ${share((r) => r.timings.reduceMs)}   (parsing, fingerprinting, sketches)
  time committing           ${share((r) => r.timings.commitMs)}   (transaction: re-read cursor, products, aggregates; write)
  Firestore reads/report    ${(sum((r) => r.reads) / reports).toFixed(4)}   (reads ${sum((r) => r.reads)}: each report once, plus per batch the cursor, products and aggregates)
  Firestore writes/report   ${(sum((r) => r.writes) / reports).toFixed(4)}   (writes ${sum((r) => r.writes)}: per batch the touched aggregates and the cursor)
  issues                    ${issues}
  check: stats total        ${counted} (expected ${CRASHES}) ${counted === CRASHES ? 'OK' : 'MISMATCH'}
`);
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
