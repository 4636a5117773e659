/**
 * End to end with the Java SDK: a real JVM program (test/e2e/java/CrashApp.java), compiled here
 * against the SDK's sources, crashes, reports and restarts against the test stack's ingest;
 * what lands in the Firestore emulator is checked, then grouped by the real rollup.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStacktrace } from '../../functions/src/rollup/stacktrace';
import {
  closedPortUrl,
  exceptionOf,
  expectCrashLoopLimited,
  expectExit,
  expectRateLimitedBurstDeliveredOnce,
  expectGroupedAsFixturesSay,
  listDir,
  makeTempDir,
  newQueueDir,
  optOutCases,
  readQueueFile,
  removeTempDirs,
  reportFiles,
  sleep,
  startProxy,
  storedDocs,
  waitForDocs,
} from '../e2e/harness';
import { JAVA_PROGRAM, JAVA_SHIFT, buildJavaPrograms, runJava } from '../e2e/programs';
import { newProduct, requireEnv } from './helpers';

const PROGRAM = JAVA_PROGRAM;

beforeAll(async () => {
  await buildJavaPrograms();
}, 180_000);
afterAll(removeTempDirs);

const UNCAUGHT = 'Exception in thread "main" java.lang.IllegalStateException: could not load the order';

describe('Java SDK end to end (java CrashApp)', () => {
  it.concurrent(
    'stores an uncaught exception with its cause once, scrubbed, with the program frames in-app; a second start stores nothing more',
    async () => {
      const product = await newProduct('e2e java crash');
      const queueDir = newQueueDir('java-crash');

      const crash = await runJava(product, ['crash'], { queueDir });
      expectExit(crash, 1);
      expect(crash.stderr).toContain(UNCAUGHT);
      expect(crash.stderr).toContain(
        'Caused by: java.lang.NumberFormatException: For input string: "alice@example.com"',
      );

      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      const doc = docs[0]!;
      const exception = exceptionOf(doc);
      expect(exception.type).toBe('java.lang.IllegalStateException');
      expect(exception.message).toBe('could not load the order');
      expect(exception.stacktrace).toContain('Caused by: java.lang.NumberFormatException: For input string: "<email>"');
      expect(exception.stacktrace).not.toContain('alice@example.com');
      expect(exception.stacktrace).not.toContain(product.secret);
      expect(doc).toMatchObject({ app: { name: 'e2e-java', version: '1.0.0' }, runtime: { name: 'java' } });

      const parsed = parseStacktrace(exception.stacktrace, { runtime: 'java' });
      expect(parsed.format).toBe('java');
      expect(parsed.exceptions.map((e) => [e.type, e.relation])).toEqual([
        ['java.lang.IllegalStateException', undefined],
        ['java.lang.NumberFormatException', 'cause'],
      ]);
      const inApp = (i: number) =>
        parsed.exceptions[i]!.frames.filter((f) => f.inApp).map((f) => `${f.module ?? '?'}.${f.function ?? '?'}`);
      expect(inApp(0)).toEqual(['CrashApp.loadOrder', 'CrashApp.main']);
      expect(inApp(1)).toEqual([
        'CrashApp.parsePrice',
        'CrashApp.applyDiscount',
        'CrashApp.checkout',
        'CrashApp.loadOrder',
        'CrashApp.main',
      ]);
      // The JDK's own frames above parsePrice are there, and not in-app.
      expect(parsed.exceptions[1]!.frames[0]).toMatchObject({
        module: 'java.lang.NumberFormatException',
        inApp: false,
      });

      const second = await runJava(product, ['start'], { queueDir });
      expectExit(second, 0);
      expect(reportFiles(queueDir)).toEqual([]);
      await sleep(500);
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(1);
    },
  );

  it.concurrent(
    'an uncaught exception in a worker thread is stored once; the program goes on and exits 0',
    async () => {
      const product = await newProduct('e2e java thread');
      const queueDir = newQueueDir('java-thread');

      const run = await runJava(product, ['thread'], { queueDir });
      expectExit(run, 0);
      expect(run.stderr).toContain(
        'Exception in thread "order-worker" java.lang.NumberFormatException: For input string: "alice@example.com"',
      );

      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      const exception = exceptionOf(docs[0]!);
      expect(exception.type).toBe('java.lang.NumberFormatException');
      const parsed = parseStacktrace(exception.stacktrace, { runtime: 'java' });
      expect(parsed.format).toBe('java');
      const inApp = parsed.exceptions[0]!.frames.filter((f) => f.inApp);
      expect(inApp.map((f) => `${f.module ?? '?'}.${f.function ?? '?'}`)).toEqual([
        'CrashApp.parsePrice',
        'CrashApp.applyDiscount',
        'CrashApp.checkout',
        'CrashApp.lambda$main$0',
      ]);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );

  it.concurrent(
    'keeps the crash in one queue file while the ingest is unreachable; the next start sends it once with the same client id and counter',
    async () => {
      const product = await newProduct('e2e java offline');
      const queueDir = newQueueDir('java-offline');

      const crash = await runJava(product, ['crash'], {
        queueDir,
        endpoint: await closedPortUrl(),
        // No need to spend the default 2 s retrying a closed port on the way out.
        extra: { E2E_SHUTDOWN_TIMEOUT_MS: '300' },
      });
      expectExit(crash, 1);
      expect(crash.stderr).toContain(UNCAUGHT);
      const files = reportFiles(queueDir);
      expect(files).toHaveLength(1);
      const queued = readQueueFile(queueDir, files[0]!);
      expect(queued).toMatchObject({ v: 1, path: '/v1/crashes' });
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);

      expectExit(await runJava(product, ['start'], { queueDir }), 0);
      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      expect(docs[0]).toMatchObject({
        clientId: queued.clientId,
        counter: queued.counter,
        reportId: queued.body.reportId,
      });
      expect(reportFiles(queueDir)).toEqual([]);

      expectExit(await runJava(product, ['start'], { queueDir }), 0);
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(1);
    },
  );

  it.concurrent('sends a usage report with the built-in metrics', async () => {
    const product = await newProduct('e2e java usage');
    const queueDir = newQueueDir('java-usage');

    expectExit(await runJava(product, ['usage'], { queueDir }), 0);
    const docs = await waitForDocs(product.productKey, 'usage', 1);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ app: { name: 'e2e-java', version: '1.0.0' } });
    const metrics = docs[0]!.metrics as Record<string, unknown>;
    expect(metrics).toMatchObject({
      'os.name': 'linux',
      'os.version': expect.any(String),
      'os.arch': expect.any(String),
      'runtime.name': 'java',
      'runtime.version': expect.stringMatching(/^\d+/),
      'app.version': '1.0.0',
      locale: expect.any(String),
      'cpu.count': expect.any(Number),
    });
    expect(metrics['cpu.count']).toBeGreaterThanOrEqual(1);
    expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
  });

  it.concurrent('the crashing JVM delivers its report once through a network that fails, then recovers', async () => {
    const product = await newProduct('e2e java flaky network');
    const queueDir = newQueueDir('java-flaky');
    const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'), { failFirst: 2 });
    try {
      const crash = await runJava(product, ['crash'], {
        queueDir,
        endpoint: proxy.url,
        extra: { E2E_SHUTDOWN_TIMEOUT_MS: '20000' },
      });
      expectExit(crash, 1);
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);
      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      expect(exceptionOf(docs[0]!).type).toBe('java.lang.IllegalStateException');
      expect(reportFiles(queueDir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it.concurrent("honours the ingest's 429 Retry-After: every report of a burst lands exactly once", async () => {
    const product = await newProduct('e2e java rate limit');
    await expectRateLimitedBurstDeliveredOnce(
      product,
      (queueDir, endpoint, count) =>
        runJava(product, ['burst', String(count)], { queueDir, endpoint, extra: { E2E_SHUTDOWN_TIMEOUT_MS: '60000' } }),
      { prefix: 'java-burst' },
    );
  });

  it.concurrent(
    'a crash loop of 5 processes stores only maxReportsPerFingerprint (3) reports: the limiter holds across restarts',
    async () => {
      const product = await newProduct('e2e java crash loop');
      await expectCrashLoopLimited(product, (queueDir, extra) => runJava(product, ['crash'], { queueDir, extra }), {
        prefix: 'java-loop',
      });
    },
  );

  it.concurrent(
    'a report sent after the ingest closed the idle kept-alive connection (6 s) still lands: both reports stored once',
    async () => {
      const product = await newProduct('e2e java idle connection');
      const queueDir = newQueueDir('java-idle');
      // A plain TCP proxy: it passes the ingest's close of the idle connection on, and counts connections.
      const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'));
      try {
        const run = await runJava(product, ['idle', '6000'], { queueDir, endpoint: proxy.url });
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

  it.concurrent(
    'groups two runs with shifted line numbers into one issue of count 2 and another call path into another issue',
    async () => {
      const product = await newProduct('e2e java grouping');

      const [a, b, other] = await Promise.all([
        runJava(product, ['crash'], { queueDir: newQueueDir('java-group-a') }),
        runJava(product, ['crash'], { queueDir: newQueueDir('java-group-b'), shifted: true }),
        runJava(product, ['other-path'], { queueDir: newQueueDir('java-group-other') }),
      ]);
      for (const run of [a, b, other]) expectExit(run, 1);

      const docs = await waitForDocs(product.productKey, 'crashes', 3);
      expect(docs).toHaveLength(3);
      const find = (line: string, fn: string) =>
        docs.find((d) => {
          const trace = exceptionOf(d).stacktrace;
          return (
            trace.includes(`at CrashApp.parsePrice(CrashApp.java:${line})`) && trace.includes(`at CrashApp.${fn}(`)
          );
        });
      // parsePrice's line in the file as committed, and JAVA_SHIFT lines lower in the shifted copy.
      const line = String(
        readFileSync(PROGRAM, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('Integer.parseInt(text)')) + 1,
      );
      const docA = find(line, 'checkout');
      const docB = find(String(Number(line) + JAVA_SHIFT), 'checkout');
      const docOther = find(line, 'preview');
      expect(docA && docB && docOther).toBeDefined();

      const { same, other: otherIssue } = await expectGroupedAsFixturesSay(product.productKey, {
        same: [docA!, docB!],
        other: docOther!,
      });
      expect(same.culprit).toBe('CrashApp.loadOrder');
      expect(otherIssue.culprit).toBe('CrashApp.loadOrder');
    },
  );

  describe('opt-out', () => {
    const cases = optOutCases(join(makeTempDir('java-optout-config'), 'config'));
    it.concurrent.each(cases)(
      'with $name nothing is sent and nothing is queued; the program still crashes as usual',
      async ({ env, prepare }) => {
        const product = await newProduct('e2e java opt-out');
        const queueDir = newQueueDir('java-optout');
        prepare?.(queueDir);
        const [crash, usage] = await Promise.all([
          runJava(product, ['crash'], { queueDir, extra: env }),
          runJava(product, ['usage'], { queueDir, extra: env }),
        ]);
        expectExit(crash, 1);
        expect(crash.stderr).toContain(UNCAUGHT);
        expectExit(usage, 0);
        expect(listDir(queueDir)).toEqual([]);
        await sleep(1000);
        expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
        expect(await storedDocs(product.productKey, 'usage')).toHaveLength(0);
      },
    );
  });
});
