/**
 * `npm run bench:ingest`: signed ~2 KB crash reports at concurrency 64 against the ingest
 * function (Functions Framework over HTTP, Firestore emulator), then the same load against a
 * no-op Functions Framework handler in the same run. Prints accepted/s end to end, Firestore
 * writes and reads per accepted crash, and the ingest's CPU time per request as a ratio to the
 * no-op's. The load is sent in BENCH_ROUNDS rounds, each one chunk to the ingest and then the
 * same chunk to the no-op twice: answering at once (as fast as it can), and answering after the
 * ingest's mean latency in that round. The ingest must wait for Firestore, so it holds ~64
 * requests open and runs at the emulator's rate; a handler's CPU per request depends on both
 * (held requests survive garbage collections; a slower rate batches less per wake-up), so the
 * waiting no-op is the like-for-like baseline. Both ratios are printed. Rounds interleave so a
 * burst of other work on the machine lands on every side; the ratio of the totals and the
 * median of the rounds' ratios are printed.
 * Options (env): BENCH_REQUESTS (default 40000), BENCH_CONCURRENCY (64), BENCH_ROUNDS (8).
 */
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { CLIENTS, fire, measureCpu, median, prepare } from './lib/ingest-load';
import { serveFunction } from './lib/functions';
import { seedProduct } from './lib/seed';
import { ROOT, startStack } from './lib/stack';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 40_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 8));
const SETTLE_MS = 1000;

async function main(): Promise<void> {
  const logDir = join(ROOT, '.local', 'bench-logs');
  const ioFile = join(logDir, 'ingest-io.json');
  rmSync(ioFile, { force: true });
  const stack = await startStack({
    logDir,
    env: {
      DUMPCATCHER_RATE_PER_PRODUCT: '100000000',
      DUMPCATCHER_RATE_PER_CLIENT: '100000000',
      DUMPCATCHER_IO_REPORT: ioFile,
    },
  });
  try {
    process.env.FIRESTORE_EMULATOR_HOST = stack.firestoreEmulatorHost;
    const db = getFirestore(getApps()[0] ?? initializeApp({ projectId: stack.projectId }));
    const product = await seedProduct(db, { name: 'bench', ownerUid: 'bench' });
    const noop = await serveFunction({
      target: 'noop',
      source: join(ROOT, 'scripts', 'bench', 'noop'),
      env: {},
      logDir,
    });
    const ingestPid = stack.functions.find((f) => f.target === 'ingest')!.pid;

    const warm = prepare(stack.ingestUrl, product, 1000);
    await fire(stack.ingestUrl, warm);
    await fire(noop.url, prepare(noop.url, product, 1000));

    const load = prepare(stack.ingestUrl, product, REQUESTS);
    const noopLoad = prepare(noop.url, product, REQUESTS);
    const bodyBytes = load.reduce((n, r) => n + r.body.length, 0) / load.length;
    const ingest = { seconds: 0, statuses: {} as Record<number, number> };
    const baseline = { seconds: 0, statuses: {} as Record<number, number> };
    let ingestCpu = 0;
    let noopCpu = 0;
    let waitCpu = 0;
    let waitSeconds = 0;
    let waitLatencyMs = 0;
    let ingestLatencyMs = 0;
    const roundRatios: number[] = [];
    const waitRatios: number[] = [];
    const addStatuses = (into: Record<number, number>, from: Record<number, number>) => {
      for (const [k, v] of Object.entries(from)) into[Number(k)] = (into[Number(k)] ?? 0) + v;
    };
    for (let round = 0; round < ROUNDS; round++) {
      const from = Math.floor((REQUESTS * round) / ROUNDS);
      const to = Math.floor((REQUESTS * (round + 1)) / ROUNDS);
      // CPU is read 1 s after each chunk ends (measureCpu): see "Reading CPU after a settle".
      const measure = <T>(pid: number, run: () => Promise<T>) => measureCpu(pid, run, SETTLE_MS);
      const [i, iCpu] = await measure(ingestPid, () => fire(stack.ingestUrl, load.slice(from, to), CONCURRENCY));
      const [b, nCpu] = await measure(noop.pid, () => fire(noop.url, noopLoad.slice(from, to), CONCURRENCY));
      // The waiting no-op holds each request as long as the ingest's answers took in this round
      // (its mean latency), so it runs at the ingest's rate with as many requests open.
      const delay = { 'x-bench-delay-ms': i.meanLatencyMs.toFixed(1) };
      const [waited, wCpu] = await measure(noop.pid, () =>
        fire(
          noop.url,
          noopLoad.slice(from, to).map((r) => ({ ...r, headers: { ...r.headers, ...delay } })),
          CONCURRENCY,
        ),
      );
      waitCpu += wCpu;
      waitSeconds += waited.seconds;
      waitLatencyMs += waited.meanLatencyMs * (to - from);
      ingestLatencyMs += i.meanLatencyMs * (to - from);
      waitRatios.push(iCpu / wCpu);
      ingest.seconds += i.seconds;
      baseline.seconds += b.seconds;
      addStatuses(ingest.statuses, i.statuses);
      addStatuses(baseline.statuses, b.statuses);
      ingestCpu += iCpu;
      noopCpu += nCpu;
      roundRatios.push(iCpu / nCpu);
    }
    await noop.stop();

    const accepted = ingest.statuses[202] ?? 0;
    const stored = (await db.collection('products').doc(product.productKey).collection('crashes').count().get()).data()
      .count;
    await stack.functions.find((f) => f.target === 'ingest')!.stop(); // flushes the I/O report at exit
    const io = JSON.parse(readFileSync(ioFile, 'utf8')) as {
      reads: number;
      writes: number;
      failedCreates: number;
      writeRequests: number;
    };
    const warmAccepted = warm.length;

    const perReqIngest = (ingestCpu / REQUESTS) * 1e6;
    const perReqNoop = (noopCpu / REQUESTS) * 1e6;
    const perReqWait = (waitCpu / REQUESTS) * 1e6;
    const list = (xs: number[]) => xs.map((r) => r.toFixed(2)).join(', ');
    console.log(`
bench:ingest  requests=${REQUESTS} in ${ROUNDS} rounds, concurrency=${CONCURRENCY} clients=${CLIENTS} body≈${Math.round(bodyBytes)} B  (node ${process.versions.node}, ${cpus().length} cores)
  ingest statuses           ${JSON.stringify(ingest.statuses)}
  accepted/s end to end     ${(accepted / ingest.seconds).toFixed(0)}   (${accepted} in ${ingest.seconds.toFixed(2)} s)
  no-op answers/s           ${((baseline.statuses[202] ?? 0) / baseline.seconds).toFixed(0)}
  stored documents          ${stored} (expected ${accepted + warmAccepted} incl. ${warmAccepted} warm-up)
  Firestore writes/accepted ${(io.writes / (accepted + warmAccepted)).toFixed(4)}   (writes ${io.writes}, failed creates ${io.failedCreates}; ${(io.writes / io.writeRequests).toFixed(1)} writes per batchWrite request)
  Firestore reads/accepted  ${(io.reads / (accepted + warmAccepted)).toFixed(4)}   (reads ${io.reads}: product loads, one per cache lifetime)
  CPU µs/request ingest     ${perReqIngest.toFixed(0)}
  CPU µs/request no-op      ${perReqNoop.toFixed(0)} answering at once (full speed); ${perReqWait.toFixed(0)} answering after the ingest's latency (${(REQUESTS / waitSeconds).toFixed(0)}/s, mean latency ${(waitLatencyMs / REQUESTS).toFixed(1)} ms; the ingest's ${(ingestLatencyMs / REQUESTS).toFixed(1)} ms)
  CPU ratio ingest/no-op    ${(perReqIngest / perReqNoop).toFixed(2)} against the no-op answering at once   (rounds: ${list(roundRatios)}; median ${median(roundRatios).toFixed(2)})
                            ${(perReqIngest / perReqWait).toFixed(2)} against the no-op holding requests as long   (rounds: ${list(waitRatios)}; median ${median(waitRatios).toFixed(2)})
  load average              ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}
`);
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
