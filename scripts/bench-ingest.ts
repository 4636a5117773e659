/**
 * `npm run bench:ingest`: what users feel of the ingest, on the local stack (the `ingest`
 * function under the Functions Framework, the Firestore emulator). Signed ~2 KB crash reports
 * from 256 client ids:
 * 1. throughput: BENCH_REQUESTS at concurrency 64, each sender waiting for its answer;
 * 2. latency: BENCH_RATE requests/s for BENCH_PACED_SECONDS, each sent when due (open loop).
 * Then the Firestore operations per accepted crash (the ingest's own count) and the stored
 * documents (must equal the accepted ones). BENCH_REF=<commit> serves the ingest built from
 * that commit instead of the working tree: before and after on one machine.
 * Options (env): BENCH_REQUESTS (default 20000), BENCH_RATE (500), BENCH_PACED_SECONDS (20), BENCH_REF.
 */
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { buildRef, CLIENTS, cpuSeconds, fire, firePaced, percentile, prepare, type Fired } from './lib/ingest-load';
import { serveFunction } from './lib/functions';
import { seedProduct } from './lib/seed';
import { ROOT, startStack } from './lib/stack';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 20);
const CONCURRENCY = 64;
const WARM_UP = 1000;
const UNLIMITED = { DUMPCATCHER_RATE_PER_PRODUCT: '100000000', DUMPCATCHER_RATE_PER_CLIENT: '100000000' };

const ms = (x: number) => `${x.toFixed(1)} ms`;
const latencies = (f: Fired) =>
  `p50 ${ms(percentile(f.latenciesMs, 50))}  p99 ${ms(percentile(f.latenciesMs, 99))}  max ${ms(Math.max(...f.latenciesMs))}`;

async function main(): Promise<void> {
  const ref = process.env.BENCH_REF ? buildRef(ROOT, process.env.BENCH_REF) : null;
  const logDir = join(ROOT, '.local', 'bench-logs');
  const ioFile = join(logDir, 'ingest-io.json');
  rmSync(ioFile, { force: true });
  // No triggered rollup runs: deployed, the rollup has an instance of its own; here its runs over
  // the bench's crashes would take the ingest's cores. The trigger's own cost in the ingest is
  // one window check per stored report and one ask per 5 s window.
  const stack = await startStack({ logDir, env: UNLIMITED, rollupTrigger: 'off' });
  try {
    process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
    const db = getFirestore(getApps()[0] ?? initializeApp({ projectId: stack.projectId }));
    const product = await seedProduct(db, { name: 'bench', ownerUid: 'bench' });
    // The measured ingest runs on its own, so only it writes the I/O report.
    const ingest = await serveFunction({
      target: 'ingest',
      source: ref?.dir ?? ROOT,
      env: { ...stack.functionEnv, ...UNLIMITED, DUMPCATCHER_IO_REPORT: ioFile },
      logDir,
    });
    const loadBefore = loadavg()[0]!;
    await fire(ingest.url, prepare(ingest.url, product, WARM_UP));
    const burstLoad = prepare(ingest.url, product, REQUESTS);
    const pacedLoad = prepare(ingest.url, product, RATE * PACED_SECONDS);
    const cpu0 = cpuSeconds(ingest.pid);
    const burst = await fire(ingest.url, burstLoad, CONCURRENCY);
    const cpu1 = cpuSeconds(ingest.pid);
    const paced = await firePaced(ingest.url, pacedLoad, RATE);
    const cpu2 = cpuSeconds(ingest.pid);
    const loadAfter = loadavg();
    await ingest.stop(); // writes the I/O report at exit
    const io = JSON.parse(readFileSync(ioFile, 'utf8')) as { reads: number; writes: number; failedCreates: number };
    const accepted = WARM_UP + (burst.statuses[202] ?? 0) + (paced.statuses[202] ?? 0);
    const stored = (await db.collection('products').doc(product.productKey).collection('crashes').count().get()).data()
      .count;
    const bodyBytes = prepare(ingest.url, product, 1)[0]!.body.length;
    console.log(`
bench:ingest  ${ref ? `ingest of ${ref.commit.slice(0, 10)} (${process.env.BENCH_REF})` : 'ingest of the working tree'}  body ${bodyBytes} B, ${CLIENTS} clients  (node ${process.versions.node}, ${cpus().length} cores)
  throughput, concurrency ${CONCURRENCY}   ${((burst.statuses[202] ?? 0) / burst.seconds).toFixed(0)} accepted/s   (${REQUESTS} in ${burst.seconds.toFixed(2)} s; statuses ${JSON.stringify(burst.statuses)}; ${latencies(burst)})
  latency at ${RATE}/s                 ${latencies(paced)}   (${paced.latenciesMs.length} requests in ${paced.seconds.toFixed(2)} s; statuses ${JSON.stringify(paced.statuses)})
  ingest CPU per request            ${(((cpu1 - cpu0) / REQUESTS) * 1e6).toFixed(0)} µs in the throughput phase, ${(((cpu2 - cpu1) / pacedLoad.length) * 1e6).toFixed(0)} µs at ${RATE}/s (for the cost estimate in docs/performance.md)
  Firestore writes per accepted     ${(io.writes / accepted).toFixed(4)}   (${io.writes} writes, ${io.failedCreates} failed creates)
  Firestore reads per accepted      ${(io.reads / accepted).toFixed(4)}   (${io.reads} reads: product loads, one per cache lifetime)
  stored documents                  ${stored} (accepted ${accepted}, incl. ${WARM_UP} warm-up)
  load average                      ${loadBefore.toFixed(2)} before; ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after
`);
    if (stored !== accepted) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
