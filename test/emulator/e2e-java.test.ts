/**
 * End to end with the Java SDK: a real JVM program (test/sdk-programs/java/CrashApp.java), compiled here
 * against the SDK's sources, crashes, reports and restarts against the test stack's ingest;
 * what lands in the Firestore emulator is checked, then grouped by the real rollup.
 */
import { readFileSync } from 'node:fs';
import { parseStacktrace } from '../../functions/src/grouping/stacktrace';
import {
  exceptionOf,
  expectExit,
  expectOneStoredCrash,
  expectNextStartSendsNothingMore,
  newQueueDir,
  removeTempDirs,
  reportFiles,
} from '../sdk-programs/harness';
import { JAVA_PROGRAM, JAVA_SHIFT, buildJavaPrograms, runJava } from '../sdk-programs/programs';
import {
  describeOptOut,
  itDeliversTheCrashThroughAFlakyNetwork,
  itGroupsShiftedRunsIntoOneIssue,
  itHonoursRetryAfter,
  itLimitsACrashLoopAcrossRestarts,
  itQueuesTheCrashWhileTheIngestIsUnreachable,
  itReportsAfterTheIngestClosedAnIdleConnection,
  itSaysWhenTheEndpointIsNotTheIngest,
  itSendsUsageWithBuiltInMetrics,
  type RuntimeUnderTest,
} from '../sdk-programs/scenarios';
import { newProduct } from './helpers';

const PROGRAM = JAVA_PROGRAM;

beforeAll(async () => {
  await buildJavaPrograms();
}, 180_000);
afterAll(removeTempDirs);

const UNCAUGHT = 'Exception in thread "main" java.lang.IllegalStateException: could not load the order';

const JAVA: RuntimeUnderTest = {
  name: 'java',
  run: runJava,
  sendsCrashOnNextStart: false,
  uncaught: UNCAUGHT,
  crashType: 'java.lang.IllegalStateException',
};

/** parsePrice's line in CrashApp.java as committed (the shifted copy has it JAVA_SHIFT lines lower). */
const PARSE_PRICE_LINE =
  readFileSync(PROGRAM, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('Integer.parseInt(text)')) + 1;

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

      const doc = await expectOneStoredCrash(product);
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

      await expectNextStartSendsNothingMore(product, queueDir, 1, () => runJava(product, ['start'], { queueDir }));
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

      const exception = exceptionOf(await expectOneStoredCrash(product));
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

  // Scenarios shared with the other SDKs (test/sdk-programs/scenarios.ts).
  itQueuesTheCrashWhileTheIngestIsUnreachable(JAVA);
  itSendsUsageWithBuiltInMetrics(JAVA, {
    'os.arch': process.arch, // the name Node gives this machine (test/vectors/arch-v1.json)
    'runtime.version': expect.stringMatching(/^\d+/),
  });
  itDeliversTheCrashThroughAFlakyNetwork(JAVA);
  itSaysWhenTheEndpointIsNotTheIngest(JAVA, 'crash');
  itHonoursRetryAfter(JAVA);
  itLimitsACrashLoopAcrossRestarts(JAVA);
  itReportsAfterTheIngestClosedAnIdleConnection(JAVA);
  itGroupsShiftedRunsIntoOneIssue(JAVA, {
    isTraceOf: (trace, run) =>
      trace.includes(`at CrashApp.parsePrice(CrashApp.java:${PARSE_PRICE_LINE + (run.shifted ? JAVA_SHIFT : 0)})`) &&
      trace.includes(`at CrashApp.${run.through}(`),
    culprit: 'CrashApp.loadOrder',
  });
  describeOptOut(JAVA);
});
