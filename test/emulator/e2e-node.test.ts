/**
 * End to end with the Node SDK: a real `node` program (test/e2e/node/crash-app.cjs) loads the
 * SDK's CommonJS build by package name, crashes, reports and restarts against the test stack's
 * ingest, also through a network that fails then recovers and against the ingest's own 429s;
 * what lands in the Firestore emulator is checked, then grouped by the real rollup.
 */
import { join } from 'node:path';
import { parseStacktrace } from '../../functions/src/rollup/stacktrace';
import {
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
  type StoredDoc,
  type Target,
} from '../e2e/harness';
import { NODE_PROGRAM, buildNodePackage, runNode, runNodeEsm } from '../e2e/programs';
import { newProduct, requireEnv } from './helpers';

const PROGRAM = NODE_PROGRAM;

beforeAll(async () => {
  await buildNodePackage();
}, 180_000);
afterAll(removeTempDirs);

const UNCAUGHT = `SyntaxError: Unexpected token 'a', "alice@example.com" is not valid JSON`;

/** Checks one queue file is left by a crashed run and returns it. */
function theQueuedReport(queueDir: string) {
  const files = reportFiles(queueDir);
  expect(files).toHaveLength(1);
  const queued = readQueueFile(queueDir, files[0]!);
  expect(queued).toMatchObject({ v: 1, path: '/v1/crashes' });
  return queued;
}

/** The next start sends what the crashed run queued: it lands once, as that run's client id and counter. */
async function expectSentOnceByNextStart(product: Target, queueDir: string): Promise<StoredDoc> {
  const queued = theQueuedReport(queueDir);
  expectExit(await runNode(product, ['start'], { queueDir }), 0);
  const docs = await waitForDocs(product.productKey, 'crashes', 1);
  expect(docs).toHaveLength(1);
  expect(docs[0]).toMatchObject({ clientId: queued.clientId, counter: queued.counter, reportId: queued.body.reportId });
  expect(reportFiles(queueDir)).toEqual([]);

  expectExit(await runNode(product, ['start'], { queueDir }), 0);
  await sleep(300);
  expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(1);
  return docs[0]!;
}

describe('Node SDK end to end (node crash-app.cjs)', () => {
  it.concurrent(
    'an uncaught exception exits 1 as usual and is queued; the next start stores it once, scrubbed, with the program frames in-app',
    async () => {
      const product = await newProduct('e2e node crash');
      const queueDir = newQueueDir('node-crash');

      const crash = await runNode(product, ['crash'], { queueDir });
      expectExit(crash, 1);
      expect(crash.stderr).toContain(UNCAUGHT);
      expect(crash.stderr).toMatch(/^Node\.js v\d+/m);

      const doc = await expectSentOnceByNextStart(product, queueDir);
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
    'an unhandled rejection exits 1 as usual and is queued; the next start stores it once, with its cause',
    async () => {
      const product = await newProduct('e2e node rejection');
      const queueDir = newQueueDir('node-rejection');

      const crash = await runNode(product, ['rejection'], { queueDir });
      expectExit(crash, 1);
      expect(crash.stderr).toContain('Error: order service unavailable');

      const doc = await expectSentOnceByNextStart(product, queueDir);
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
    'an ES-module app (import, top-level await) crashing is queued too, and its next start stores the crash once',
    async () => {
      const product = await newProduct('e2e node esm');
      const queueDir = newQueueDir('node-esm');

      const crash = await runNodeEsm(product, ['crash'], { queueDir });
      expectExit(crash, 1);
      expect(crash.stderr).toContain(UNCAUGHT);
      const queued = theQueuedReport(queueDir);

      expectExit(await runNodeEsm(product, ['start'], { queueDir }), 0);
      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      expect(docs[0]).toMatchObject({
        clientId: queued.clientId,
        counter: queued.counter,
        app: { name: 'e2e-node-esm' },
      });
      const parsed = parseStacktrace(exceptionOf(docs[0]!).stacktrace, { runtime: 'node' });
      expect(parsed.format).toBe('v8');
      const inApp = parsed.exceptions[0]!.frames.filter((f) => f.inApp);
      expect(inApp.map((f) => f.function).slice(0, 2)).toEqual(['parsePrice', 'checkout']);
      expect(inApp[0]!.file).toMatch(/^file:\/\/.*\/crash-app\.mjs$/);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );

  it.concurrent('sends a usage report with the built-in metrics', async () => {
    const product = await newProduct('e2e node usage');
    const queueDir = newQueueDir('node-usage');

    expectExit(await runNode(product, ['usage'], { queueDir }), 0);
    const docs = await waitForDocs(product.productKey, 'usage', 1);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ app: { name: 'e2e-node', version: '1.0.0' } });
    const metrics = docs[0]!.metrics as Record<string, unknown>;
    expect(metrics).toMatchObject({
      'os.name': 'linux',
      'os.version': expect.any(String),
      'os.arch': process.arch,
      'runtime.name': 'node',
      'runtime.version': process.versions.node,
      'app.version': '1.0.0',
      locale: expect.any(String),
      'cpu.count': expect.any(Number),
    });
    expect(metrics['cpu.count']).toBeGreaterThanOrEqual(1);
    expect(reportFiles(queueDir)).toEqual([]);
  });

  it.concurrent('delivers once through a network that fails, then recovers', async () => {
    const product = await newProduct('e2e node flaky network');
    const queueDir = newQueueDir('node-flaky');
    const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'), { failFirst: 2 });
    try {
      expectExit(await runNode(product, ['crash'], { queueDir, endpoint: proxy.url }), 1);
      const queued = theQueuedReport(queueDir);

      const start = await runNode(product, ['start'], {
        queueDir,
        endpoint: proxy.url,
        extra: { NODE_DEBUG: 'dumpcatcher', E2E_SHUTDOWN_TIMEOUT_MS: '20000' },
      });
      expectExit(start, 0);
      // Both reset connections were seen by the SDK as network errors and retried.
      expect(start.stderr.match(/will retry \S+ in \d+ ms: network: /g)).toHaveLength(2);
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);

      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      expect(docs[0]).toMatchObject({ clientId: queued.clientId, counter: queued.counter });
      expect(reportFiles(queueDir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it.concurrent("honours the ingest's 429 Retry-After: every report of a burst lands exactly once", async () => {
    const product = await newProduct('e2e node rate limit');
    await expectRateLimitedBurstDeliveredOnce(
      product,
      (queueDir, endpoint, count) =>
        runNode(product, ['burst', String(count)], { queueDir, endpoint, extra: { E2E_SHUTDOWN_TIMEOUT_MS: '60000' } }),
      { prefix: 'node-burst' },
    );
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
        const docs = await waitForDocs(product.productKey, 'crashes', 1);
        expect(docs).toHaveLength(1);
        expect(reportFiles(queueDir)).toEqual([]);
      } finally {
        await proxy.close();
      }
    },
  );

  it.concurrent(
    'a crash loop of 5 processes stores only maxReportsPerFingerprint (3) reports: the limiter holds across restarts',
    async () => {
      const product = await newProduct('e2e node crash loop');
      await expectCrashLoopLimited(product, (queueDir, extra) => runNode(product, ['crash'], { queueDir, extra }), {
        prefix: 'node-loop',
        settle: (queueDir) => runNode(product, ['start'], { queueDir }),
      });
    },
  );

  it.concurrent(
    "a clock 10 minutes slow: the SDK corrects it from the ingest's 401 Date header and the crash is stored once",
    async () => {
      const product = await newProduct('e2e node clock skew');
      const queueDir = newQueueDir('node-skew');
      const skew = { E2E_CLOCK_SKEW_MS: String(-600_000) };
      expectExit(await runNode(product, ['crash'], { queueDir, extra: skew }), 1);
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
      const docs = await waitForDocs(product.productKey, 'crashes', 1);
      expect(docs).toHaveLength(1);
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );

  it.concurrent(
    'a report sent after the ingest closed the idle kept-alive connection (6 s) still lands: both reports stored once',
    async () => {
      const product = await newProduct('e2e node idle connection');
      const queueDir = newQueueDir('node-idle');
      // A plain TCP proxy: it passes the ingest's close of the idle connection on, and counts connections.
      const proxy = await startProxy(requireEnv('DUMPCATCHER_INGEST_URL'));
      try {
        const run = await runNode(product, ['idle', '6000'], { queueDir, endpoint: proxy.url });
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
      const product = await newProduct('e2e node grouping');
      const shifted = join(makeTempDir('node-shifted'), 'app-1.0.1', 'crash-app.cjs');
      writeShiftedCopy(PROGRAM, shifted, 5, '//');
      const runs = [
        { args: ['crash'], program: PROGRAM, queueDir: newQueueDir('node-group-a') },
        { args: ['crash'], program: shifted, queueDir: newQueueDir('node-group-b') },
        { args: ['other-path'], program: PROGRAM, queueDir: newQueueDir('node-group-other') },
      ];
      for (const run of await Promise.all(runs.map((r) => runNode(product, r.args, r)))) expectExit(run, 1);
      for (const run of await Promise.all(runs.map((r) => runNode(product, ['start'], r)))) expectExit(run, 0);

      const docs = await waitForDocs(product.productKey, 'crashes', 3);
      expect(docs).toHaveLength(3);
      const find = (file: string, fn: string) =>
        docs.find((d) => {
          const trace = exceptionOf(d).stacktrace;
          return trace.includes(`(${file}:`) && trace.includes(`at ${fn} (`);
        });
      const docA = find(PROGRAM, 'checkout');
      const docB = find(shifted, 'checkout');
      const docOther = find(PROGRAM, 'preview');
      expect(docA && docB && docOther).toBeDefined();

      const { same, other } = await expectGroupedAsFixturesSay(product.productKey, {
        same: [docA!, docB!],
        other: docOther!,
      });
      expect(same.culprit).toBe('crash-app.cjs in parsePrice');
      expect(other.culprit).toBe('crash-app.cjs in parsePrice');
    },
  );

  describe('opt-out', () => {
    const cases = optOutCases(join(makeTempDir('node-optout-config'), 'config'));
    it.concurrent.each(cases)(
      'with $name nothing is sent and nothing is queued; the program still crashes as usual',
      async ({ env, prepare }) => {
        const product = await newProduct('e2e node opt-out');
        const queueDir = newQueueDir('node-optout');
        prepare?.(queueDir);
        const [crash, rejection, usage] = await Promise.all([
          runNode(product, ['crash'], { queueDir, extra: env }),
          runNode(product, ['rejection'], { queueDir, extra: env }),
          runNode(product, ['usage'], { queueDir, extra: env }),
        ]);
        expectExit(crash, 1);
        expect(crash.stderr).toContain(UNCAUGHT);
        expectExit(rejection, 1);
        expectExit(usage, 0);
        expect(listDir(queueDir)).toEqual([]);
        // A start that is not opted out finds nothing left to send.
        expectExit(await runNode(product, ['start'], { queueDir }), 0);
        await sleep(1000);
        expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(0);
        expect(await storedDocs(product.productKey, 'usage')).toHaveLength(0);
      },
    );
  });
});
