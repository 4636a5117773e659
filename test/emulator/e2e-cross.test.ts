/**
 * End to end with the three SDKs together: they share one file format and one default queue
 * folder per product ($XDG_CACHE_HOME/dumpcatcher/<productKey>), so what a crashed program of
 * one language left there is sent by the next start of a program in another language, exactly
 * once, with the client id and counter it was queued with.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  closedPortUrl,
  exceptionOf,
  expectExit,
  fingerprintOf,
  issuesOf,
  makeTempDir,
  newQueueDir,
  readQueueFile,
  removeTempDirs,
  reportFiles,
  rollUp,
  sleep,
  startRecordingProxy,
  storedDocs,
  waitForDocs,
  type RunOptions,
  type RunResult,
  type Target,
  waitForEmptyQueue,
} from '../sdk-programs/harness';
import { buildJavaPrograms, buildNodePackage, runJava, runNode, runPython } from '../sdk-programs/programs';
import { newProduct, requireEnv } from './helpers';

type Runtime = 'python' | 'java' | 'node';
const RUNNERS: Record<Runtime, (target: Target, args: string[], options: RunOptions) => Promise<RunResult>> = {
  python: runPython,
  java: runJava,
  node: runNode,
};
const RUNTIMES = Object.keys(RUNNERS) as Runtime[];

// Runs against a closed port need not spend the default 2 s retrying it on the way out.
const SHORT_EXIT_FLUSH = { E2E_SHUTDOWN_TIMEOUT_MS: '300' };
const LONG_EXIT_FLUSH = { E2E_SHUTDOWN_TIMEOUT_MS: '15000' };

beforeAll(async () => {
  await Promise.all([buildJavaPrograms(), buildNodePackage()]);
}, 180_000);
afterAll(removeTempDirs);

describe('the three SDKs on one machine', () => {
  it.concurrent.each(RUNTIMES)(
    "%s's next start sends the crashes the other two SDKs left in the product's default queue folder, each once",
    async (sender) => {
      const product = await newProduct(`e2e cross ${sender}`);
      const xdgDir = makeTempDir(`cross-${sender}`);
      const queueDir = join(xdgDir, 'cache', 'dumpcatcher', product.productKey);
      const others = RUNTIMES.filter((r) => r !== sender);

      const offline = await closedPortUrl();
      const crashes = await Promise.all(
        others.map((runtime) =>
          RUNNERS[runtime](product, ['crash'], { xdgDir, endpoint: offline, extra: SHORT_EXIT_FLUSH }),
        ),
      );
      for (const crash of crashes) expectExit(crash, 1);
      const files = reportFiles(queueDir);
      expect(files).toHaveLength(2);
      const queued = files.map((name) => readQueueFile(queueDir, name));

      // The exit flush is the only send of a 'start' run; give it room on a loaded machine (it ends
      // as soon as the queue is empty), so a stored report's file is not left behind by a timeout.
      expectExit(await RUNNERS[sender](product, ['start'], { xdgDir, extra: LONG_EXIT_FLUSH }), 0);
      const docs = await waitForDocs(product.productKey, 'crashes', 2);
      expect(docs).toHaveLength(2);
      for (const q of queued) {
        expect(
          docs.filter((d) => d.clientId === q.clientId && d.counter === q.counter && d.reportId === q.body.reportId),
        ).toHaveLength(1);
      }
      expect(docs.map((d) => (d.runtime as { name: string }).name).sort()).toEqual([...others].sort());
      expect(reportFiles(queueDir)).toEqual([]);

      // Each runtime's crash is an issue of its own, typed and located as grouping says.
      await rollUp();
      const issues = await issuesOf(product.productKey);
      expect(issues.size).toBe(2);
      for (const doc of docs) {
        const f = fingerprintOf(doc);
        expect(issues.get(f.fingerprint)).toMatchObject({ type: exceptionOf(doc).type, culprit: f.culprit, count: 1 });
      }
    },
  );

  it.concurrent(
    'six starts at once (two per SDK) on one queue folder store each crash the three SDKs left exactly once',
    async () => {
      const product = await newProduct('e2e cross concurrent starts');
      const xdgDir = makeTempDir('cross-concurrent');
      const queueDir = join(xdgDir, 'cache', 'dumpcatcher', product.productKey);
      const offline = await closedPortUrl();
      const crashes = await Promise.all(
        RUNTIMES.map((r) => RUNNERS[r](product, ['crash'], { xdgDir, endpoint: offline, extra: SHORT_EXIT_FLUSH })),
      );
      for (const crash of crashes) expectExit(crash, 1);
      const queued = reportFiles(queueDir).map((name) => readQueueFile(queueDir, name));
      expect(queued).toHaveLength(3);

      const starts = await Promise.all(
        [...RUNTIMES, ...RUNTIMES].map((r) => RUNNERS[r](product, ['start'], { xdgDir })),
      );
      for (const start of starts) expectExit(start, 0);
      const docs = await waitForDocs(product.productKey, 'crashes', 3);
      expect(docs).toHaveLength(3);
      for (const q of queued) {
        expect(docs.filter((d) => d.clientId === q.clientId && d.counter === q.counter)).toHaveLength(1);
      }
      expect(reportFiles(queueDir)).toEqual([]);
      await sleep(500);
      expect(await storedDocs(product.productKey, 'crashes')).toHaveLength(3);
    },
  );

  const BIG_MESSAGE = Array.from({ length: 1500 }, (_, i) => `row ${i}: bad price`).join('; ');

  it.concurrent.each(RUNTIMES)(
    'a %s crash with a 27 KB message goes gzipped and lands once, its message cut to 8 KiB and its trace whole',
    async (runtime) => {
      const product = await newProduct(`e2e big ${runtime}`);
      const queueDir = newQueueDir(`big-${runtime}`);
      const proxy = await startRecordingProxy(requireEnv('DUMPCATCHER_INGEST_URL'));
      try {
        expectExit(await RUNNERS[runtime](product, ['big'], { queueDir, endpoint: proxy.url }), 1);
        // No second run: Python and Java send on the way out, Node's dying process leaves a sender.
        const docs = await waitForDocs(product.productKey, 'crashes', 1);
        expect(docs).toHaveLength(1);
        const exception = exceptionOf(docs[0]!);
        expect(exception.message!.length).toBeGreaterThan(4000);
        expect(exception.message!.length).toBeLessThanOrEqual(8192);
        expect(BIG_MESSAGE.startsWith(exception.message!)).toBe(true);
        expect(exception.stacktrace).toContain(BIG_MESSAGE);
        expect(docs[0]!.exception).not.toHaveProperty('stacktraceTruncated');
        const crashRequests = proxy.exchanges.filter((e) => e.clientId === docs[0]!.clientId && e.status === 202);
        expect(crashRequests.map((e) => e.encoding)).toEqual(['gzip']);
        await waitForEmptyQueue(queueDir);
      } finally {
        await proxy.close();
      }
    },
  );

  it.concurrent.each(RUNTIMES)(
    '%s: DO_NOT_TRACK=0, DUMPCATCHER_DISABLED=false and a config file with {"enabled": true} are no opt-out',
    async (runtime) => {
      const product = await newProduct(`e2e not opted out ${runtime}`);
      const queueDir = newQueueDir(`opt-in-${runtime}`);
      const config = join(queueDir, '..', 'config.json');
      mkdirSync(join(config, '..'), { recursive: true });
      writeFileSync(config, JSON.stringify({ enabled: true }));
      const extra = { DO_NOT_TRACK: '0', DUMPCATCHER_DISABLED: 'false', DUMPCATCHER_CONFIG: config };
      expectExit(await RUNNERS[runtime](product, ['usage'], { queueDir, extra }), 0);
      const docs = await waitForDocs(product.productKey, 'usage', 1);
      expect(docs).toHaveLength(1);
      expect(docs[0]!.metrics).toMatchObject({ 'runtime.name': runtime });
    },
  );

  it.concurrent(
    'with installId on, the three SDKs of one product on one machine send the one install id kept in the shared queue folder',
    async () => {
      const product = await newProduct('e2e cross install id');
      const xdgDir = makeTempDir('cross-install-id');
      const queueDir = join(xdgDir, 'cache', 'dumpcatcher', product.productKey);
      const extra = { E2E_INSTALL_ID: '1' };
      // The first start makes the id; the others, at once, read it.
      expectExit(await runPython(product, ['usage'], { xdgDir, extra }), 0);
      const installId = readFileSync(join(queueDir, 'install-id'), 'utf8').trim();
      expect(installId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
      for (const run of await Promise.all([
        runJava(product, ['usage'], { xdgDir, extra }),
        runNode(product, ['usage'], { xdgDir, extra }),
      ]))
        expectExit(run, 0);
      const docs = await waitForDocs(product.productKey, 'usage', 3);
      expect(docs).toHaveLength(3);
      expect(docs.map((d) => [(d.metrics as Record<string, unknown>)['runtime.name'], d.installId]).sort()).toEqual([
        ['java', installId],
        ['node', installId],
        ['python', installId],
      ]);
    },
  );

  it.concurrent(
    "a crash loop alternating Python and Java processes on one queue folder keeps each SDK's limiter counts (limiter.json is shared)",
    async () => {
      const product = await newProduct('e2e cross limiter');
      const xdgDir = makeTempDir('cross-limiter');
      const queueDir = join(xdgDir, 'cache', 'dumpcatcher', product.productKey);
      const extra = { E2E_MAX_PER_FINGERPRINT: '3' };
      const loop: Runtime[] = ['python', 'python', 'java', 'python', 'python'];
      for (const runtime of loop) expectExit(await RUNNERS[runtime](product, ['crash'], { xdgDir, extra }), 1);
      await waitForDocs(product.productKey, 'crashes', 4);
      await sleep(500);
      const docs = await storedDocs(product.productKey, 'crashes');
      const byRuntime = (name: string) => docs.filter((d) => (d.runtime as { name: string }).name === name).length;
      // Python's fingerprint reached 3 on its fourth run, whatever Java wrote to limiter.json in between.
      expect({ python: byRuntime('python'), java: byRuntime('java') }).toEqual({ python: 3, java: 1 });
      expect(reportFiles(queueDir)).toEqual([]);
    },
  );
});
