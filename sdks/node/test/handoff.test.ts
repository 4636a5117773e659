import { join } from 'node:path';
import { createClient } from '../src/client.ts';
import { sendHandedOff } from '../src/exit-sender.ts';
import { exitSenderScript, HANDOFF_ENV, HANDOFF_GRACE_MS, handoffEnv } from '../src/handoff.ts';
import type { HandoffConfig } from '../src/handoff.ts';
import { startFakeIngest } from './helpers/fake-ingest.ts';
import type { FakeIngest } from './helpers/fake-ingest.ts';
import {
  freePort,
  makeTempDir,
  PRODUCT_KEY,
  queueFiles,
  removeDir,
  SECRET,
  testOptions,
  testRuntime,
} from './helpers/env.ts';

describe('the hand-off at exit', () => {
  let dir: string;
  let ingest: FakeIngest;
  beforeEach(async () => {
    dir = makeTempDir();
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
  });
  afterEach(async () => {
    await ingest.close();
    removeDir(dir);
  });

  function recordingRuntime(): ReturnType<typeof testRuntime> & { handoffs: HandoffConfig[] } {
    const handoffs: HandoffConfig[] = [];
    const runtime = testRuntime({
      spawnExitSender: (config) => {
        handoffs.push(config);
        return true;
      },
    });
    return Object.assign(runtime, { handoffs });
  }

  it('starts one sender at exit after an uncaught crash, with the queue, the secret and shutdownTimeoutMs plus the grace', () => {
    const runtime = recordingRuntime();
    const client = createClient(
      testOptions(ingest.url, dir, { captureUncaught: true, shutdownTimeoutMs: 1500 }),
      runtime,
    );
    runtime.proc.emit('uncaughtExceptionMonitor', new Error('dying'), 'uncaughtException');
    runtime.proc.emit('exit', 1);
    expect(client.mode).toBe('live');
    expect(runtime.handoffs).toHaveLength(1);
    expect(runtime.handoffs[0]).toMatchObject({
      endpoint: ingest.url,
      productKey: PRODUCT_KEY,
      secret: SECRET,
      queueDir: dir,
      timeoutMs: 1500 + HANDOFF_GRACE_MS,
    });
    expect(queueFiles(dir)).toHaveLength(1);
  });

  it('starts none when every report of the process was already sent', async () => {
    const runtime = recordingRuntime();
    const client = createClient(testOptions(ingest.url, dir), runtime);
    client.captureException(new Error('sent in time'));
    expect(await client.flush(5000)).toBe(true);
    runtime.proc.emit('exit', 0);
    expect(runtime.handoffs).toEqual([]);
    await client.close();
  });

  it('starts none for reports already tried (they wait for the next start), nor in debug mode', async () => {
    const runtime = recordingRuntime();
    const client = createClient(testOptions(ingest.url, dir), runtime);
    ingest.script.push({ status: 503 });
    client.captureException(new Error('tried once'));
    await ingest.waitForRequests(1);
    runtime.proc.emit('exit', 0);
    expect(runtime.handoffs).toEqual([]);
    await client.close();

    const debugRuntime = recordingRuntime();
    const debugClient = createClient(testOptions(ingest.url, dir, { debug: true }), debugRuntime);
    debugClient.captureException(new Error('printed only'));
    debugRuntime.proc.emit('exit', 1);
    expect(debugRuntime.handoffs).toEqual([]);
    await debugClient.close();
  });

  it('the sender child delivers every file of the folder (the crash and what else the process queued) and empties it', async () => {
    const runtime = recordingRuntime();
    const client = createClient(testOptions(ingest.url, dir, { captureUncaught: true }), runtime);
    client.reportUsage();
    runtime.proc.emit('uncaughtExceptionMonitor', new Error('dying'), 'uncaughtException');
    runtime.proc.emit('exit', 1);
    await client.close();
    // close() above may have sent some already; the child sends what is left, duplicates answered 200.
    const config = runtime.handoffs[0] as HandoffConfig;
    expect(await sendHandedOff(config)).toBe(true);
    expect(queueFiles(dir)).toEqual([]);
    const paths = new Set(ingest.requests.map((r) => `${r.path} ${String(r.headers['x-dumpcatcher-counter'])}`));
    expect([...paths].sort()).toEqual(['/v1/crashes 2', '/v1/usage 1']);
  });

  it('says a refusal the sender child meets on the stderr it shares with the app, once, without the secret', async () => {
    // Queued by an app whose endpoint nothing answers, so the file is certainly left for the child.
    const offline = `http://127.0.0.1:${await freePort()}`;
    const runtime = recordingRuntime();
    const client = createClient(testOptions(offline, dir, { captureUncaught: true, shutdownTimeoutMs: 50 }), runtime);
    client.captureException(new Error('first'));
    client.captureException(new Error('second'));
    runtime.proc.emit('exit', 1);
    await client.close();
    expect(queueFiles(dir)).toHaveLength(2);
    const wrongSecret = 'sk_not_the_product_secret_0123456789';
    const config = { ...(runtime.handoffs[0] as HandoffConfig), endpoint: ingest.url, secret: wrongSecret };
    const said: string[] = [];
    expect(await sendHandedOff(config, (text) => said.push(text))).toBe(false);
    expect(said).toEqual([
      '[dumpcatcher] a report was dropped: the ingest answered 401, it does not know this productKey or secret\n',
    ]);
    expect(said.join('')).not.toContain(wrongSecret);
  });

  it('gives the child the config and the proxy and certificate variables, not the rest of the environment', () => {
    const config = { endpoint: 'http://x', queueDir: '/q' } as HandoffConfig;
    const env = handoffEnv(config, {
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: 'localhost',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      NODE_OPTIONS: '--require ./app-instrumentation.js',
      AWS_SECRET_ACCESS_KEY: 'not for us',
    });
    expect(Object.keys(env).sort()).toEqual([HANDOFF_ENV, 'HTTPS_PROXY', 'NODE_EXTRA_CA_CERTS', 'no_proxy'].sort());
    expect(JSON.parse(env[HANDOFF_ENV] as string)).toEqual(config);
  });

  it('finds the child script beside its own module', () => {
    expect(exitSenderScript()).toBe(join(__dirname, '../src/exit-sender.ts'));
  });
});
