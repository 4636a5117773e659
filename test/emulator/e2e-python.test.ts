/**
 * End to end with the Python SDK: a real `python3` program (test/sdk-programs/python/crash_app.py)
 * crashes, reports and restarts against the test stack's ingest; what lands in the Firestore
 * emulator is checked, then grouped by the real rollup.
 */
import { parseStacktrace } from '../../functions/src/grouping/stacktrace';
import {
  exceptionOf,
  expectExit,
  expectOneStoredCrash,
  expectNextStartSendsNothingMore,
  newQueueDir,
  removeTempDirs,
  reportFiles,
  sleep,
  startRecordingProxy,
  storedDocs,
} from '../sdk-programs/harness';
import { PYTHON_PROGRAM, runPython, shiftedPythonProgram } from '../sdk-programs/programs';
import {
  describeOptOut,
  itDeliversTheCrashThroughAFlakyNetwork,
  itGroupsShiftedRunsIntoOneIssue,
  itHonoursRetryAfter,
  itLimitsACrashLoopAcrossRestarts,
  itQueuesTheCrashWhileTheIngestIsUnreachable,
  itSaysWhenTheEndpointIsNotTheIngest,
  itSendsUsageWithBuiltInMetrics,
  type RuntimeUnderTest,
} from '../sdk-programs/scenarios';
import { newProduct, requireEnv } from './helpers';

const PROGRAM = PYTHON_PROGRAM;

const IN_APP_CHECKOUT = ['parse_price', 'apply_discount', 'checkout', 'main', '<module>'];

afterAll(removeTempDirs);

const PYTHON: RuntimeUnderTest = {
  name: 'python',
  run: runPython,
  sendsCrashOnNextStart: false,
  uncaught: "ValueError: invalid literal for int() with base 10: 'alice@example.com'",
  crashType: 'ValueError',
};

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

      const doc = await expectOneStoredCrash(product);
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

      await expectNextStartSendsNothingMore(product, queueDir, 1, () => runPython(product, ['start'], { queueDir }));
    },
  );

  it.concurrent('keeps the cause of a chained exception (raise ... from ...)', async () => {
    const product = await newProduct('e2e python chained');
    const queueDir = newQueueDir('py-chained');

    const crash = await runPython(product, ['chained'], { queueDir });
    expectExit(crash, 1);
    expect(crash.stderr).toContain('The above exception was the direct cause of the following exception:');
    expect(crash.stderr).toContain('RuntimeError: could not load the order');

    const exception = exceptionOf(await expectOneStoredCrash(product));
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

    await expectNextStartSendsNothingMore(product, queueDir, 1, () => runPython(product, ['start'], { queueDir }));
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

      const exception = exceptionOf(await expectOneStoredCrash(product));
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
      await expectOneStoredCrash(product);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );

  // Scenarios shared with the other SDKs (test/sdk-programs/scenarios.ts).
  itQueuesTheCrashWhileTheIngestIsUnreachable(PYTHON);
  itSendsUsageWithBuiltInMetrics(PYTHON, {
    'os.arch': process.arch, // the name Node gives this machine (test/vectors/arch-v1.json)
    'runtime.version': expect.stringMatching(/^3\.\d+\.\d+/),
  });
  itDeliversTheCrashThroughAFlakyNetwork(PYTHON);
  itSaysWhenTheEndpointIsNotTheIngest(PYTHON, 'crash');
  itHonoursRetryAfter(PYTHON);
  itLimitsACrashLoopAcrossRestarts(PYTHON);
  itGroupsShiftedRunsIntoOneIssue(PYTHON, {
    isTraceOf: (trace, run) =>
      trace.includes(`"${run.shifted ? shiftedPythonProgram() : PROGRAM}"`) && trace.includes(`in ${run.through}\n`),
    culprit: 'crash_app.py in parse_price',
  });
  describeOptOut(PYTHON);
});
