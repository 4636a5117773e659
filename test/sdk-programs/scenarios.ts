/**
 * The end-to-end scenarios that are the same for every SDK: each function defines one test (or
 * one `describe`) for a runtime's program. A per-runtime test file calls the ones its SDK goes
 * through inside its own `describe`, beside the tests only its runtime has.
 */
import { join } from 'node:path';
import { newProduct, requireEnv } from '../emulator/helpers';
import {
  expectCrashLoopLimited,
  expectGroupedAsFixturesSay,
  expectOneStoredCrash,
  expectQueuedCrashSentOnceByNextStart,
  expectRateLimitedBurstDeliveredOnce,
} from './checks';
import { closedPortUrl, startProxy } from './network';
import type { ProgramOptions } from './programs';
import {
  expectExit,
  listDir,
  makeTempDir,
  newQueueDir,
  optOutCases,
  reportFiles,
  type RunResult,
  type Target,
} from './run';
import { exceptionOf, storedDocs, waitForDocs } from './stored';

/** What the shared scenarios need to know about one SDK's test program. */
export interface RuntimeUnderTest {
  /** `node`, `python` or `java`: the usage report's `runtime.name`, and in product and temp folder names. */
  name: string;
  /** Runs the program with `args` (its mode first). */
  run: (target: Target, args: string[], options: ProgramOptions) => Promise<RunResult>;
  /**
   * True when a crashing process only queues its report and leaves it to the next start; false
   * when it is sent on the way out (Python, Java) or by a sender the process leaves (Node).
   */
  sendsCrashOnNextStart: boolean;
  /** A line the `crash` mode's uncaught exception prints on stderr. */
  uncaught: string;
  /** The stored exception type of the `crash` mode. */
  crashType: string;
}

/**
 * The `usage` mode's report lands once with every built-in metric; `metrics` are the values that
 * depend on the runtime (`os.arch`, `runtime.version`).
 */
export function itSendsUsageWithBuiltInMetrics(
  runtime: RuntimeUnderTest,
  metrics: { 'os.arch': unknown; 'runtime.version': unknown },
): void {
  it.concurrent('sends a usage report with the built-in metrics', async () => {
    const product = await newProduct(`e2e ${runtime.name} usage`);
    const queueDir = newQueueDir(`${runtime.name}-usage`);

    expectExit(await runtime.run(product, ['usage'], { queueDir }), 0);
    const docs = await waitForDocs(product.productKey, 'usage', 1);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ app: { name: `e2e-${runtime.name}`, version: '1.0.0' } });
    const stored = docs[0]!.metrics as Record<string, unknown>;
    expect(stored).toMatchObject({
      'os.name': 'linux',
      'os.version': expect.any(String),
      'os.arch': metrics['os.arch'],
      'runtime.name': runtime.name,
      'runtime.version': metrics['runtime.version'],
      'app.version': '1.0.0',
      locale: expect.any(String),
      'cpu.count': expect.any(Number),
    });
    expect(stored['cpu.count']).toBeGreaterThanOrEqual(1);
    expect(reportFiles(queueDir)).toEqual([]);
    expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
  });
}

/** A crash while nothing listens on the ingest's port stays queued, and the next start sends it once. */
export function itQueuesTheCrashWhileTheIngestIsUnreachable(runtime: RuntimeUnderTest): void {
  it.concurrent(
    'keeps the crash in one queue file while the ingest is unreachable; the next start sends it once with the same client id and counter',
    async () => {
      const product = await newProduct(`e2e ${runtime.name} offline`);
      const queueDir = newQueueDir(`${runtime.name}-offline`);

      const crash = await runtime.run(product, ['crash'], {
        queueDir,
        endpoint: await closedPortUrl(),
        // No need to spend the default 2 s retrying a closed port on the way out.
        extra: { E2E_SHUTDOWN_TIMEOUT_MS: '300' },
      });
      expectExit(crash, 1);
      expect(crash.stderr).toContain(runtime.uncaught);
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);

      await expectQueuedCrashSentOnceByNextStart(product, queueDir, () =>
        runtime.run(product, ['start'], { queueDir }),
      );
    },
  );
}

/**
 * Pointed at the Firestore emulator instead of the ingest (the local port the Java docs once
 * gave), a run whose report is sent in the process (`mode`) says so on stderr, stores nothing
 * and leaves nothing queued (docs/sdks.md#no-silent-drop).
 */
export function itSaysWhenTheEndpointIsNotTheIngest(runtime: RuntimeUnderTest, mode: string): void {
  it.concurrent(
    'pointed at the Firestore emulator instead of the ingest, it asks on stderr whether this is the ingest URL',
    async () => {
      const product = await newProduct(`e2e ${runtime.name} not the ingest`);
      const queueDir = newQueueDir(`${runtime.name}-not-ingest`);
      const run = await runtime.run(product, [mode], {
        queueDir,
        endpoint: `http://${requireEnv('FIRESTORE_EMULATOR_HOST')}`,
      });
      expectExit(run, 1);
      // Python's logger prints the message without the `[dumpcatcher] ` of Node and Java.
      expect(run.stderr).toContain('a report was dropped: the endpoint answered HTTP 404; is this the ingest URL?');
      expect(reportFiles(queueDir)).toEqual([]);
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
    },
  );
}

/** For an SDK whose crashing process sends its report: it gets through two reset connections. */
export function itDeliversTheCrashThroughAFlakyNetwork(runtime: RuntimeUnderTest): void {
  it.concurrent(
    'the crashing process delivers its report once through a network that fails, then recovers',
    async () => {
      const product = await newProduct(`e2e ${runtime.name} flaky network`);
      const queueDir = newQueueDir(`${runtime.name}-flaky`);
      const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'), { failFirst: 2 });
      try {
        const crash = await runtime.run(product, ['crash'], {
          queueDir,
          endpoint: proxy.url,
          extra: { E2E_SHUTDOWN_TIMEOUT_MS: '20000' },
        });
        expectExit(crash, 1);
        expect(proxy.connections()).toBeGreaterThanOrEqual(3);
        const doc = await expectOneStoredCrash(product);
        expect(exceptionOf(doc).type).toBe(runtime.crashType);
        expect(reportFiles(queueDir)).toEqual([]);
      } finally {
        await proxy.close();
      }
    },
  );
}

/** Bursts of the `burst` mode against an ingest limited to 60 a minute (see expectRateLimitedBurstDeliveredOnce). */
export function itHonoursRetryAfter(runtime: RuntimeUnderTest): void {
  it.concurrent("honours the ingest's 429 Retry-After: every report of a burst lands exactly once", async () => {
    const product = await newProduct(`e2e ${runtime.name} rate limit`);
    await expectRateLimitedBurstDeliveredOnce(
      product,
      (queueDir, endpoint, count) =>
        runtime.run(product, ['burst', String(count)], {
          queueDir,
          endpoint,
          extra: { E2E_SHUTDOWN_TIMEOUT_MS: '60000' },
        }),
      { prefix: `${runtime.name}-burst` },
    );
  });
}

/** Five crashing processes in a row with maxReportsPerFingerprint 3 (see expectCrashLoopLimited). */
export function itLimitsACrashLoopAcrossRestarts(runtime: RuntimeUnderTest): void {
  it.concurrent(
    'a crash loop of 5 processes stores only maxReportsPerFingerprint (3) reports: the limiter holds across restarts',
    async () => {
      const product = await newProduct(`e2e ${runtime.name} crash loop`);
      await expectCrashLoopLimited(product, (queueDir, extra) => runtime.run(product, ['crash'], { queueDir, extra }), {
        prefix: `${runtime.name}-loop`,
        ...(runtime.sendsCrashOnNextStart
          ? { settle: (queueDir: string) => runtime.run(product, ['start'], { queueDir }) }
          : {}),
      });
    },
  );
}

/** The `idle` mode reports, waits 6 s with its connection kept alive, and reports again. */
export function itReportsAfterTheIngestClosedAnIdleConnection(runtime: RuntimeUnderTest): void {
  it.concurrent(
    'a report sent after the ingest closed the idle kept-alive connection (6 s) still lands: both reports stored once',
    async () => {
      const product = await newProduct(`e2e ${runtime.name} idle connection`);
      const queueDir = newQueueDir(`${runtime.name}-idle`);
      // A plain TCP proxy: it passes the ingest's close of the idle connection on, and counts connections.
      const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'));
      try {
        const run = await runtime.run(product, ['idle', '6000'], { queueDir, endpoint: proxy.url });
        expectExit(run, 0);
        expect(run.ms).toBeGreaterThanOrEqual(6000);
        // Node's HTTP server (the Functions Framework's) closes a connection idle for 5 s.
        expect(proxy.connections()).toBeGreaterThanOrEqual(2);
      } finally {
        await proxy.close();
      }
      const docs = await waitForDocs(product.productKey, 'crashes', 2);
      expect(docs.map((d) => exceptionOf(d).message).sort()).toEqual(['after idling', 'before idling']);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );
}

/** One of the grouping scenario's three runs: the program or its shifted copy, crashing through `checkout` or `preview`. */
export interface GroupingRun {
  shifted: boolean;
  through: 'checkout' | 'preview';
}

/**
 * Three runs, `crash` of the program and of its shifted copy and `other-path`, roll up into two
 * issues (see expectGroupedAsFixturesSay). `isTraceOf` tells which run a stored trace comes
 * from; `culprit` is what both issues must show.
 */
export function itGroupsShiftedRunsIntoOneIssue(
  runtime: RuntimeUnderTest,
  grouping: { isTraceOf: (trace: string, run: GroupingRun) => boolean; culprit: string },
): void {
  it.concurrent(
    'groups two runs with shifted line numbers into one issue of count 2 and another call path into another issue',
    async () => {
      const product = await newProduct(`e2e ${runtime.name} grouping`);
      const runs = [
        { args: ['crash'], shifted: false, queueDir: newQueueDir(`${runtime.name}-group-a`) },
        { args: ['crash'], shifted: true, queueDir: newQueueDir(`${runtime.name}-group-b`) },
        { args: ['other-path'], shifted: false, queueDir: newQueueDir(`${runtime.name}-group-other`) },
      ];
      for (const run of await Promise.all(runs.map((r) => runtime.run(product, r.args, r)))) expectExit(run, 1);
      if (runtime.sendsCrashOnNextStart) {
        for (const run of await Promise.all(runs.map((r) => runtime.run(product, ['start'], r)))) expectExit(run, 0);
      }

      const docs = await waitForDocs(product.productKey, 'crashes', 3);
      expect(docs).toHaveLength(3);
      const find = (run: GroupingRun) => docs.find((d) => grouping.isTraceOf(exceptionOf(d).stacktrace, run));
      const docA = find({ shifted: false, through: 'checkout' });
      const docB = find({ shifted: true, through: 'checkout' });
      const docOther = find({ shifted: false, through: 'preview' });
      expect(docA && docB && docOther).toBeDefined();

      const { same, other } = await expectGroupedAsFixturesSay(product.productKey, {
        same: [docA!, docB!],
        other: docOther!,
      });
      expect(same.culprit).toBe(grouping.culprit);
      expect(other.culprit).toBe(grouping.culprit);
    },
  );
}

/**
 * For each way of opting out (optOutCases), the `crash` and `usage` modes, and the modes in
 * `alsoCrashing`, behave as without the SDK, send nothing and queue nothing; a start that is
 * not opted out then finds nothing to send (and sends its own usage report, so it was live).
 */
export function describeOptOut(runtime: RuntimeUnderTest, options: { alsoCrashing?: string[] } = {}): void {
  describe('opt-out', () => {
    const cases = optOutCases(join(makeTempDir(`${runtime.name}-optout-config`), 'config'));
    it.concurrent.each(cases)(
      'with $name nothing is sent and nothing is queued; the program still crashes as usual',
      async ({ env, prepare }) => {
        const product = await newProduct(`e2e ${runtime.name} opt-out`);
        const queueDir = newQueueDir(`${runtime.name}-optout`);
        prepare?.(queueDir);
        const run = (mode: string) => runtime.run(product, [mode], { queueDir, extra: env });
        const [crash, usage, ...others] = await Promise.all([
          run('crash'),
          run('usage'),
          ...(options.alsoCrashing ?? []).map(run),
        ]);
        expectExit(crash, 1);
        expect(crash.stderr).toContain(runtime.uncaught);
        expectExit(usage, 0);
        for (const other of others) expectExit(other, 1);
        expect(listDir(queueDir)).toEqual([]);
        // A start that is not opted out finds nothing left to send. Its own config folder, since
        // the XDG case's opt-out file sits in the default one; its own usage report shows it is live.
        const live = { queueDir, xdgDir: makeTempDir(`${runtime.name}-optout-live`) };
        expectExit(await runtime.run(product, ['usage'], live), 0);
        expect(await waitForDocs(product.productKey, 'usage', 1)).toHaveLength(1);
        expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
      },
    );
  });
}
