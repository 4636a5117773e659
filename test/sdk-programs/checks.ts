/**
 * The end-to-end checks shared by the three SDKs' test files: a queued crash and the next
 * start that sends it, rate-limited bursts, crash loops and grouping.
 */
import type { FingerprintResult } from '../../functions/src/grouping/fingerprint';
import { requireEnv, testDb } from '../emulator/helpers';
import { startRecordingProxy, type Exchange } from './network';
import {
  expectExit,
  newQueueDir,
  readQueueFile,
  reportFiles,
  sleep,
  type QueueFile,
  type RunResult,
  type Target,
} from './run';
import { exceptionOf, fingerprintOf, issuesOf, rollUp, storedDocs, waitForDocs, type StoredDoc } from './stored';

/** Waits for the product's first stored crash, checks it is the only one, and returns it. */
export async function expectOneStoredCrash(target: Target): Promise<StoredDoc> {
  const docs = await waitForDocs(target.productKey, 'crashes', 1);
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

/** Checks that a crashed run left exactly one report file, a crash report, and returns it. */
export function theQueuedCrash(queueDir: string): QueueFile {
  const files = reportFiles(queueDir);
  expect(files).toHaveLength(1);
  const queued = readQueueFile(queueDir, files[0]!);
  expect(queued).toMatchObject({ v: 1, path: '/v1/crashes' });
  return queued;
}

/** Waits (up to 10 s) until the queue folder holds no report file: the sender deletes a file after the ingest's answer. */
export async function waitForEmptyQueue(queueDir: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (reportFiles(queueDir).length > 0 && Date.now() < end) await sleep(100);
  expect(reportFiles(queueDir)).toEqual([]);
}

/**
 * Another start of the program (`start`) exits 0, leaves the queue folder empty and, half a
 * second later, the product still has only its `stored` crashes.
 */
export async function expectNextStartSendsNothingMore(
  target: Target,
  queueDir: string,
  stored: number,
  start: () => Promise<RunResult>,
): Promise<void> {
  expectExit(await start(), 0);
  expect(reportFiles(queueDir)).toEqual([]);
  await sleep(500);
  expect(await storedDocs(target.productKey, 'crashes')).toHaveLength(stored);
}

/**
 * The crash a run left queued is sent by the program's next start (`start`): it lands once, as
 * that run's client id, counter and report id, the queue is left empty, and a start after that
 * sends nothing more. Returns the stored crash.
 */
export async function expectQueuedCrashSentOnceByNextStart(
  target: Target,
  queueDir: string,
  start: () => Promise<RunResult>,
): Promise<StoredDoc> {
  const queued = theQueuedCrash(queueDir);
  expectExit(await start(), 0);
  const doc = await expectOneStoredCrash(target);
  expect(doc).toMatchObject({ clientId: queued.clientId, counter: queued.counter, reportId: queued.body.reportId });
  expect(reportFiles(queueDir)).toEqual([]);
  await expectNextStartSendsNothingMore(target, queueDir, 1, start);
  return doc;
}

/**
 * Checks the wire record of a burst against a rate-limited ingest: some requests were
 * answered 429 with `Retry-After: 1`, and no report was tried again sooner than that after a
 * 429 (a little slack for timers). Returns how many 429s there were.
 */
function expectRetryAfterHonoured(exchanges: readonly Exchange[]): number {
  const limited = exchanges.filter((e) => e.status === 429);
  expect(limited.length).toBeGreaterThan(0);
  for (const answer of limited) {
    expect(answer.retryAfter).toBe('1');
    const next = exchanges.find(
      (e) => e.clientId === answer.clientId && e.counter === answer.counter && e.at > answer.at,
    );
    // Every refused report was tried again (and the test checks it landed).
    expect(next).toBeDefined();
    expect(next!.at - answer.at).toBeGreaterThanOrEqual(950);
  }
  return limited.length;
}

/**
 * Sets the product's ingest limit to 60 a minute (bursts of 60, then one a second), runs
 * `processes` programs at once through a recording proxy, each capturing `perProcess` crash
 * reports, and checks that some were refused with 429, that Retry-After was honoured and that
 * every report landed exactly once with nothing left in any queue.
 */
export async function expectRateLimitedBurstDeliveredOnce(
  target: Target,
  runBurst: (queueDir: string, endpoint: string, count: number) => Promise<RunResult>,
  options: { prefix: string; processes?: number; perProcess?: number },
): Promise<void> {
  const processes = options.processes ?? 3;
  const perProcess = options.perProcess ?? 22;
  await testDb().collection('productSecrets').doc(target.productKey).update({ rateLimitPerMinute: 60 });
  await sleep(1100); // the test stack caches products for 1 s
  const proxy = await startRecordingProxy(requireEnv('DUMPCATCHER_INGEST_URL'));
  try {
    const queueDirs = Array.from({ length: processes }, (_, i) => newQueueDir(`${options.prefix}-${i}`));
    const runs = await Promise.all(queueDirs.map((queueDir) => runBurst(queueDir, proxy.url, perProcess)));
    for (const run of runs) expectExit(run, 0);
    expectRetryAfterHonoured(proxy.exchanges);

    const total = processes * perProcess;
    const docs = await waitForDocs(target.productKey, 'crashes', total);
    expect(docs).toHaveLength(total);
    expect(new Set(docs.map((d) => `${String(d.clientId)}/${String(d.counter)}`)).size).toBe(total);
    expect(new Set(docs.map((d) => d.reportId)).size).toBe(total);
    expect(new Set(docs.map((d) => `${String(d.clientId)} ${String(exceptionOf(d).message)}`)).size).toBe(total);
    for (const queueDir of queueDirs) expect(reportFiles(queueDir)).toEqual([]);
  } finally {
    await proxy.close();
  }
}

/**
 * A crash loop: `runs` processes, one after the other, each dying of the same crash with
 * maxReportsPerFingerprint 3 and one queue folder; then `settle` (for an SDK whose crashed
 * process leaves the report to the next start). The client-side limiter must hold across the
 * processes: exactly 3 reports are stored and nothing is left queued.
 */
export async function expectCrashLoopLimited(
  target: Target,
  runCrash: (queueDir: string, extra: Record<string, string>) => Promise<RunResult>,
  options: { prefix: string; runs?: number; settle?: (queueDir: string) => Promise<RunResult> },
): Promise<void> {
  const queueDir = newQueueDir(options.prefix);
  for (let i = 0; i < (options.runs ?? 5); i++) {
    expectExit(await runCrash(queueDir, { E2E_MAX_PER_FINGERPRINT: '3' }), 1);
  }
  if (options.settle) expectExit(await options.settle(queueDir), 0);
  const docs = await waitForDocs(target.productKey, 'crashes', 3);
  expect(docs).toHaveLength(3);
  await waitForEmptyQueue(queueDir);
  await sleep(500);
  expect(await storedDocs(target.productKey, 'crashes')).toHaveLength(3);
}

/**
 * Rolls the product's crashes up and checks the grouping of three runs of one program: `same`
 * (two runs whose line numbers differ) must be one issue of count 2, `other` (another call
 * path) an issue of its own, and each issue's type and culprit must be what
 * computeFingerprint gives for the stored trace. Returns the three fingerprints.
 */
export async function expectGroupedAsFixturesSay(
  productKey: string,
  runs: { same: [StoredDoc, StoredDoc]; other: StoredDoc },
): Promise<{ same: FingerprintResult; other: FingerprintResult }> {
  const [a, b] = runs.same;
  // The two runs really differ in line numbers, else the check below proves nothing.
  expect(exceptionOf(a).stacktrace).not.toBe(exceptionOf(b).stacktrace);
  await rollUp();
  const issues = await issuesOf(productKey);
  const fa = fingerprintOf(a);
  const fb = fingerprintOf(b);
  const fo = fingerprintOf(runs.other);
  expect(fa.source).toBe('frames');
  expect(fb.fingerprint).toBe(fa.fingerprint);
  expect(fo.fingerprint).not.toBe(fa.fingerprint);
  expect([...issues.keys()].sort()).toEqual([fa.fingerprint, fo.fingerprint].sort());
  for (const [doc, f, count] of [
    [a, fa, 2],
    [runs.other, fo, 1],
  ] as const) {
    const issue = issues.get(f.fingerprint);
    expect(issue).toMatchObject({
      fingerprint: f.fingerprint,
      source: 'frames',
      type: exceptionOf(doc).type,
      title: f.title,
      culprit: f.culprit ?? null,
      count,
    });
  }
  return { same: fa, other: fo };
}
