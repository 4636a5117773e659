/**
 * End to end with the Python SDK: a real `python3` program (test/e2e/python/crash_app.py)
 * crashes, reports and restarts against the test stack's ingest; what lands in the Firestore
 * emulator is checked, then grouped by the real rollup.
 */
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
  startRecordingProxy,
  storedDocs,
  waitForDocs,
  writeShiftedCopy,
} from '../e2e/harness';
import { PYTHON_PROGRAM, runPython } from '../e2e/programs';
import { newProduct, requireEnv } from './helpers';

const PROGRAM = PYTHON_PROGRAM;

const IN_APP_CHECKOUT = ['parse_price', 'apply_discount', 'checkout', 'main', '<module>'];

afterAll(removeTempDirs);

describe('Python SDK end to end (python3 crash_app.py)', () => {
  it.concurrent(
    'stores an uncaught exception once, scrubbed, with the program frames in-app; a second start stores nothing more',
    async () => {
      const product = await newProduct('e2e python crash');
      const queueDir = newQueueDir('py-crash');

      const crash = await runPython(product, ['crash'], { queueDir });
      expectExit(crash, 1);
      expect(crash.stderr).toContain('Traceback (most recent call last):');
      expect(crash.stderr).toContain("ValueError: invalid literal for int() with base 10: 'alice@example.com'");

      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      const doc = docs[0]!;
      const exception = exceptionOf(doc);
      expect(exception.type).toBe('ValueError');
      expect(exception.message).toBe("invalid literal for int() with base 10: '<email>'");
      expect(exception.stacktrace).toContain("ValueError: invalid literal for int() with base 10: '<email>'");
      expect(exception.stacktrace).not.toContain('alice@example.com');
      expect(exception.stacktrace).not.toContain(product.secret);
      expect(doc).toMatchObject({ app: { name: 'e2e-python', version: '1.0.0' }, runtime: { name: 'python' } });

      const parsed = parseStacktrace(exception.stacktrace, { runtime: 'python' });
      expect(parsed.format).toBe('python');
      expect(parsed.exceptions).toHaveLength(1);
      const inApp = parsed.exceptions[0]!.frames.filter((f) => f.inApp);
      expect(inApp.map((f) => f.function)).toEqual(IN_APP_CHECKOUT);
      for (const frame of inApp) expect(frame.file).toBe(PROGRAM);

      const second = await runPython(product, ['start'], { queueDir });
      expectExit(second, 0);
      expect(reportFiles(queueDir)).toEqual([]);
      await sleep(500);
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(1);
    },
  );

  it.concurrent('keeps the cause of a chained exception (raise ... from ...)', async () => {
    const product = await newProduct('e2e python chained');
    const queueDir = newQueueDir('py-chained');

    const crash = await runPython(product, ['chained'], { queueDir });
    expectExit(crash, 1);
    expect(crash.stderr).toContain('The above exception was the direct cause of the following exception:');
    expect(crash.stderr).toContain('RuntimeError: could not load the order');

    const docs = await waitForDocs(product.productKey, 'crashes', 1);
    expect(docs).toHaveLength(1);
    const exception = exceptionOf(docs[0]!);
    expect(exception.type).toBe('RuntimeError');
    expect(exception.message).toBe('could not load the order');
    const parsed = parseStacktrace(exception.stacktrace, { runtime: 'python' });
    expect(parsed.format).toBe('python');
    expect(parsed.exceptions.map((e) => [e.type, e.relation])).toEqual([
      ['RuntimeError', undefined],
      ['ValueError', 'cause'],
    ]);
    const inApp = (i: number) => parsed.exceptions[i]!.frames.filter((f) => f.inApp).map((f) => f.function);
    expect(inApp(0)).toEqual(['load_order', 'main', '<module>']);
    expect(inApp(1)).toEqual(['parse_price', 'apply_discount', 'checkout', 'load_order']);

    expectExit(await runPython(product, ['start'], { queueDir }), 0);
    expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(1);
  });

  it.concurrent(
    'an uncaught exception in a worker thread is stored once; the program goes on and exits 0',
    async () => {
      const product = await newProduct('e2e python thread');
      const queueDir = newQueueDir('py-thread');

      const run = await runPython(product, ['thread'], { queueDir });
      expectExit(run, 0);
      expect(run.stderr).toContain('Exception in thread order-worker');
      expect(run.stderr).toContain("ValueError: invalid literal for int() with base 10: 'alice@example.com'");

      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      const exception = exceptionOf(docs[0]!);
      expect(exception.type).toBe('ValueError');
      const parsed = parseStacktrace(exception.stacktrace, { runtime: 'python' });
      expect(parsed.format).toBe('python');
      const frames = parsed.exceptions[0]!.frames;
      expect(frames.filter((f) => f.inApp).map((f) => f.function)).toEqual([
        'parse_price',
        'apply_discount',
        'checkout',
      ]);
      // threading.py's own frames are there, and not in-app.
      expect(frames.some((f) => f.file?.endsWith('threading.py') && !f.inApp)).toBe(true);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );

  it.concurrent('Ctrl-C (KeyboardInterrupt) and sys.exit(3) are no crashes: nothing is stored or queued', async () => {
    const product = await newProduct('e2e python not crashes');
    const queueDir = newQueueDir('py-not-crash');
    const [interrupt, exit] = await Promise.all([
      runPython(product, ['interrupt'], { queueDir }),
      runPython(product, ['exit'], { queueDir }),
    ]);
    // Python ends an uncaught KeyboardInterrupt by killing itself with SIGINT (status 130 in a shell).
    expect({ code: interrupt.code, signal: interrupt.signal }).toEqual({ code: null, signal: 'SIGINT' });
    expect(interrupt.stderr).toContain('KeyboardInterrupt');
    expectExit(exit, 3);
    expect(reportFiles(queueDir)).toEqual([]);
    await sleep(500);
    expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
  });

  it.concurrent(
    'keeps the crash in one queue file while the ingest is unreachable; the next start sends it once with the same client id and counter',
    async () => {
      const product = await newProduct('e2e python offline');
      const queueDir = newQueueDir('py-offline');

      const crash = await runPython(product, ['crash'], {
        queueDir,
        endpoint: await closedPortUrl(),
        // No need to spend the default 2 s retrying a closed port on the way out.
        extra: { E2E_SHUTDOWN_TIMEOUT_MS: '300' },
      });
      expectExit(crash, 1);
      const files = reportFiles(queueDir);
      expect(files).toHaveLength(1);
      const queued = readQueueFile(queueDir, files[0]!);
      expect(queued).toMatchObject({ v: 1, path: '/v1/crashes' });
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);

      expectExit(await runPython(product, ['start'], { queueDir }), 0);
      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      expect(docs[0]).toMatchObject({
        clientId: queued.clientId,
        counter: queued.counter,
        reportId: queued.body.reportId,
      });
      expect(reportFiles(queueDir)).toEqual([]);

      expectExit(await runPython(product, ['start'], { queueDir }), 0);
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(1);
    },
  );

  it.concurrent('sends a usage report with the built-in metrics', async () => {
    const product = await newProduct('e2e python usage');
    const queueDir = newQueueDir('py-usage');

    expectExit(await runPython(product, ['usage'], { queueDir }), 0);
    const docs = await waitForDocs(product.productKey, 'usage', 1);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ app: { name: 'e2e-python', version: '1.0.0' } });
    const metrics = docs[0]!.metrics as Record<string, unknown>;
    expect(metrics).toMatchObject({
      'os.name': 'linux',
      'os.version': expect.any(String),
      'os.arch': expect.any(String),
      'runtime.name': 'python',
      'runtime.version': expect.stringMatching(/^3\.\d+\.\d+/),
      'app.version': '1.0.0',
      locale: expect.any(String),
      'cpu.count': expect.any(Number),
    });
    expect(metrics['cpu.count']).toBeGreaterThanOrEqual(1);
    expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
  });

  it.concurrent(
    'the crashing process delivers its report once through a network that fails, then recovers',
    async () => {
      const product = await newProduct('e2e python flaky network');
      const queueDir = newQueueDir('py-flaky');
      const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'), { failFirst: 2 });
      try {
        const crash = await runPython(product, ['crash'], {
          queueDir,
          endpoint: proxy.url,
          extra: { E2E_SHUTDOWN_TIMEOUT_MS: '20000' },
        });
        expectExit(crash, 1);
        expect(proxy.connections()).toBeGreaterThanOrEqual(3);
        const docs = await waitForDocs(product.productKey, 'crashes', 1);
        expect(docs).toHaveLength(1);
        expect(exceptionOf(docs[0]!).type).toBe('ValueError');
        expect(reportFiles(queueDir)).toEqual([]);
      } finally {
        await proxy.close();
      }
    },
  );

  it.concurrent("honours the ingest's 429 Retry-After: every report of a burst lands exactly once", async () => {
    const product = await newProduct('e2e python rate limit');
    await expectRateLimitedBurstDeliveredOnce(
      product,
      (queueDir, endpoint, count) =>
        runPython(product, ['burst', String(count)], {
          queueDir,
          endpoint,
          extra: { E2E_SHUTDOWN_TIMEOUT_MS: '60000' },
        }),
      { prefix: 'py-burst' },
    );
  });

  it.concurrent(
    'a crash loop of 5 processes stores only maxReportsPerFingerprint (3) reports: the limiter holds across restarts',
    async () => {
      const product = await newProduct('e2e python crash loop');
      await expectCrashLoopLimited(product, (queueDir, extra) => runPython(product, ['crash'], { queueDir, extra }), {
        prefix: 'python-loop',
      });
    },
  );

  it.concurrent(
    "a clock 10 minutes slow: the SDK corrects it from the ingest's 401 Date header and the crash is stored once",
    async () => {
      const product = await newProduct('e2e python clock skew');
      const queueDir = newQueueDir('python-skew');
      const proxy = await startRecordingProxy(requireEnv('DUMPCATCHER_INGEST_URL'));
      try {
        const run = await runPython(product, ['crash'], {
          queueDir,
          endpoint: proxy.url,
          extra: { E2E_CLOCK_SKEW_MS: String(-600_000) },
        });
        expectExit(run, 1);
        expect(proxy.exchanges.map((e) => e.status)).toEqual([401, 202]);
      } finally {
        await proxy.close();
      }
      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );

  it.concurrent(
    'groups two runs with shifted line numbers into one issue of count 2 and another call path into another issue',
    async () => {
      const product = await newProduct('e2e python grouping');
      const shifted = join(makeTempDir('py-shifted'), 'app-1.0.1', 'crash_app.py');
      writeShiftedCopy(PROGRAM, shifted, 7, '#');

      const [a, b, other] = await Promise.all([
        runPython(product, ['crash'], { queueDir: newQueueDir('py-group-a') }),
        runPython(product, ['crash'], { queueDir: newQueueDir('py-group-b'), program: shifted }),
        runPython(product, ['other-path'], { queueDir: newQueueDir('py-group-other') }),
      ]);
      for (const run of [a, b, other]) expectExit(run, 1);

      const docs = await waitForDocs(product.productKey, 'crashes', 3);
      expect(docs).toHaveLength(3);
      const byFile = (file: string, fn: string) =>
        docs.find((d) => {
          const trace = exceptionOf(d).stacktrace;
          return trace.includes(`"${file}"`) && trace.includes(`in ${fn}\n`);
        });
      const docA = byFile(PROGRAM, 'checkout');
      const docB = byFile(shifted, 'checkout');
      const docOther = byFile(PROGRAM, 'preview');
      expect(docA && docB && docOther).toBeDefined();

      const { same, other: otherIssue } = await expectGroupedAsFixturesSay(product.productKey, {
        same: [docA!, docB!],
        other: docOther!,
      });
      expect(same.culprit).toBe('crash_app.py in parse_price');
      expect(otherIssue.culprit).toBe('crash_app.py in parse_price');
    },
  );

  describe('opt-out', () => {
    const cases = optOutCases(join(makeTempDir('py-optout-config'), 'config'));
    it.concurrent.each(cases)(
      'with $name nothing is sent and nothing is queued; the program still crashes as usual',
      async ({ env, prepare }) => {
        const product = await newProduct('e2e python opt-out');
        const queueDir = newQueueDir('py-optout');
        prepare?.(queueDir);
        const crash = await runPython(product, ['crash'], { queueDir, extra: env });
        expectExit(crash, 1);
        expect(crash.stderr).toContain("ValueError: invalid literal for int() with base 10: 'alice@example.com'");
        expect(listDir(queueDir)).toEqual([]);
        expectExit(await runPython(product, ['usage'], { queueDir, extra: env }), 0);
        expect(listDir(queueDir)).toEqual([]);
        await sleep(1000);
        expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
        expect(await storedDocs(product.productKey, 'usage')).toHaveLength(0);
      },
    );
  });
});
