/**
 * End to end with the Node SDK: a real `node` program (test/sdk-programs/node/crash-app.cjs) loads the
 * SDK's CommonJS build by package name, crashes, reports and restarts against the test stack's
 * ingest, also through a network that fails then recovers and against the ingest's own 429s;
 * what lands in the Firestore emulator is checked, then grouped by the real rollup.
 */
import { parseStacktrace } from '../../functions/src/grouping/stacktrace';
import {
  closedPortUrl,
  exceptionOf,
  expectExit,
  expectOneStoredCrash,
  expectNextStartSendsNothingMore,
  newQueueDir,
  removeTempDirs,
  reportFiles,
  startProxy,
  startRecordingProxy,
  theQueuedCrash,
  waitForEmptyQueue,
} from '../sdk-programs/harness';
import { NODE_PROGRAM, buildNodePackage, runNode, runNodeEsm, shiftedNodeProgram } from '../sdk-programs/programs';
import {
  describeOptOut,
  itGroupsShiftedRunsIntoOneIssue,
  itHonoursRetryAfter,
  itLimitsACrashLoopAcrossRestarts,
  itReportsAfterTheIngestClosedAnIdleConnection,
  itSaysWhenTheEndpointIsNotTheIngest,
  itSendsUsageWithBuiltInMetrics,
  type RuntimeUnderTest,
} from '../sdk-programs/scenarios';
import { newProduct, requireEnv } from './helpers';

const PROGRAM = NODE_PROGRAM;

beforeAll(async () => {
  await buildNodePackage();
}, 180_000);
afterAll(removeTempDirs);

const UNCAUGHT = `SyntaxError: Unexpected token 'a', "alice@example.com" is not valid JSON`;

const NODE: RuntimeUnderTest = {
  name: 'node',
  run: runNode,
  // The process dies of the crash as it would without the SDK; the sender it leaves sends the report.
  sendsCrashOnNextStart: false,
  uncaught: UNCAUGHT,
  crashType: 'SyntaxError',
};

describe('Node SDK end to end (node crash-app.cjs)', () => {
  it.concurrent(
    'a one-shot program dies of an uncaught exception as usual (exit 1) and its crash is stored once, scrubbed, with the program frames in-app, with no second run',
    async () => {
      const product = await newProduct('e2e node crash');
      const queueDir = newQueueDir('node-crash');

      const crash = await runNode(product, ['crash'], { queueDir });
      expectExit(crash, 1);
      expect(crash.stderr).toContain(UNCAUGHT);
      expect(crash.stderr).toMatch(/^Node\.js v\d+/m);

      // No next start: the detached sender the dying process left delivers it.
      const doc = await expectOneStoredCrash(product);
      expect(doc).toMatchObject({ counter: 1 });
      await waitForEmptyQueue(queueDir);
      await expectNextStartSendsNothingMore(product, queueDir, 1, () => runNode(product, ['start'], { queueDir }));
      const exception = exceptionOf(doc);
      expect(exception.type).toBe('SyntaxError');
      expect(exception.message).toBe(`Unexpected token 'a', "<email>" is not valid JSON`);
      expect(exception.stacktrace).not.toContain('alice@example.com');
      expect(exception.stacktrace).not.toContain(product.secret);
      expect(doc).toMatchObject({ app: { name: 'e2e-node', version: '1.0.0' }, runtime: { name: 'node' } });

      const parsed = parseStacktrace(exception.stacktrace, { runtime: 'node' });
      expect(parsed.format).toBe('v8');
      expect(parsed.exceptions).toHaveLength(1);
      const frames = parsed.exceptions[0]!.frames;
      expect(frames[0]).toMatchObject({ function: 'JSON.parse', inApp: false });
      const inApp = frames.filter((f) => f.inApp);
      expect(inApp.map((f) => f.function).slice(0, 4)).toEqual(['parsePrice', 'applyDiscount', 'checkout', 'main']);
      for (const frame of inApp) expect(frame.file).toBe(PROGRAM);
      expect(frames.some((f) => f.file?.startsWith('node:internal') && !f.inApp)).toBe(true);
    },
  );

  it.concurrent(
    'an unhandled rejection exits 1 as usual and is stored once, with its cause, with no second run',
    async () => {
      const product = await newProduct('e2e node rejection');
      const queueDir = newQueueDir('node-rejection');

      const crash = await runNode(product, ['rejection'], { queueDir });
      expectExit(crash, 1);
      expect(crash.stderr).toContain('Error: order service unavailable');

      const doc = await expectOneStoredCrash(product);
      await waitForEmptyQueue(queueDir);
      const exception = exceptionOf(doc);
      expect(exception).toMatchObject({ type: 'Error', message: 'order service unavailable' });
      expect(exception.stacktrace).toContain('\nCaused by: Error: connection reset by peer\n');
      const parsed = parseStacktrace(exception.stacktrace, { runtime: 'node' });
      expect(parsed.format).toBe('v8');
      expect(parsed.exceptions.map((e) => [e.type, e.message, e.relation])).toEqual([
        ['Error', 'order service unavailable', undefined],
        ['Error', 'connection reset by peer', 'cause'],
      ]);
      expect(parsed.exceptions[0]!.frames[0]).toMatchObject({ function: 'fetchOrder', file: PROGRAM, inApp: true });
    },
  );

  it.concurrent(
    'an ES-module app (import, top-level await) crashing is stored once too, with no second run',
    async () => {
      const product = await newProduct('e2e node esm');
      const queueDir = newQueueDir('node-esm');

      const crash = await runNodeEsm(product, ['crash'], { queueDir });
      expectExit(crash, 1);
      expect(crash.stderr).toContain(UNCAUGHT);

      const doc = await expectOneStoredCrash(product);
      expect(doc).toMatchObject({ counter: 1, app: { name: 'e2e-node-esm' } });
      await waitForEmptyQueue(queueDir);
      const parsed = parseStacktrace(exceptionOf(doc).stacktrace, { runtime: 'node' });
      expect(parsed.format).toBe('v8');
      const inApp = parsed.exceptions[0]!.frames.filter((f) => f.inApp);
      expect(inApp.map((f) => f.function).slice(0, 2)).toEqual(['parsePrice', 'checkout']);
      expect(inApp[0]!.file).toMatch(/^file:\/\/.*\/crash-app\.mjs$/);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );

  it.concurrent('delivers once through a network that fails, then recovers', async () => {
    const product = await newProduct('e2e node flaky network');
    const queueDir = newQueueDir('node-flaky');
    const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'), { failFirst: 2 });
    try {
      // The crashed process's own sender finds no ingest there, so the report waits for the next start.
      expectExit(await runNode(product, ['crash'], { queueDir, endpoint: await closedPortUrl() }), 1);
      const queued = theQueuedCrash(queueDir);

      const start = await runNode(product, ['start'], {
        queueDir,
        endpoint: proxy.url,
        extra: { NODE_DEBUG: 'dumpcatcher', E2E_SHUTDOWN_TIMEOUT_MS: '20000' },
      });
      expectExit(start, 0);
      // Both reset connections were seen by the SDK as network errors and retried.
      expect(start.stderr.match(/will retry \S+ in \d+ ms: network: /g)).toHaveLength(2);
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);

      const doc = await expectOneStoredCrash(product);
      expect(doc).toMatchObject({ clientId: queued.clientId, counter: queued.counter });
      expect(reportFiles(queueDir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it.concurrent(
    'the CLI pattern of docs/sdk-node.md (await flush(10000), then process.exit(1)) waits for a slow ingest and keeps its exit code',
    async () => {
      const product = await newProduct('e2e node cli flush');
      const queueDir = newQueueDir('node-cli');
      // Every connection to the ingest takes 3 s, longer than the default shutdownTimeoutMs (2 s).
      const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'), { delayMs: 3000 });
      try {
        const cli = await runNode(product, ['cli'], { queueDir, endpoint: proxy.url });
        expect({ code: cli.code, stdout: cli.stdout.trim() }).toEqual({ code: 1, stdout: '{"flushed":true}' });
        await expectOneStoredCrash(product);
        expect(reportFiles(queueDir)).toEqual([]);
      } finally {
        await proxy.close();
      }
    },
  );

  it.concurrent(
    "a clock 10 minutes slow: the SDK corrects it from the ingest's 401 Date header and the crash is stored once",
    async () => {
      const product = await newProduct('e2e node clock skew');
      const queueDir = newQueueDir('node-skew');
      const skew = { E2E_CLOCK_SKEW_MS: String(-600_000) };
      expectExit(await runNode(product, ['crash'], { queueDir, endpoint: await closedPortUrl(), extra: skew }), 1);
      const proxy = await startRecordingProxy(requireEnv('DUMPCATCHER_INGEST_URL'));
      try {
        const start = await runNode(product, ['start'], {
          queueDir,
          endpoint: proxy.url,
          extra: { ...skew, NODE_DEBUG: 'dumpcatcher' },
        });
        expectExit(start, 0);
        // The Date header counts whole seconds.
        expect(start.stderr).toMatch(/clock differs from the ingest's by (599|600|601) s/);
        expect(proxy.exchanges.map((e) => e.status)).toEqual([401, 202]);
      } finally {
        await proxy.close();
      }
      await expectOneStoredCrash(product);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );

  // Scenarios shared with the other SDKs (test/sdk-programs/scenarios.ts).
  itSendsUsageWithBuiltInMetrics(NODE, { 'os.arch': process.arch, 'runtime.version': process.versions.node });
  itSaysWhenTheEndpointIsNotTheIngest(NODE, 'cli');
  itHonoursRetryAfter(NODE);
  itLimitsACrashLoopAcrossRestarts(NODE);
  itReportsAfterTheIngestClosedAnIdleConnection(NODE);
  itGroupsShiftedRunsIntoOneIssue(NODE, {
    isTraceOf: (trace, run) =>
      trace.includes(`(${run.shifted ? shiftedNodeProgram() : PROGRAM}:`) && trace.includes(`at ${run.through} (`),
    culprit: 'crash-app.cjs in parsePrice',
  });
  describeOptOut(NODE, { alsoCrashing: ['rejection'] });
});
