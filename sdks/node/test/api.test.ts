import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addBreadcrumb,
  captureException,
  close,
  createClient,
  defineMetric,
  flush,
  getClient,
  init,
  reportUsage,
} from '../src/index.ts';
import { allFiles, makeTempDir, queueFiles, removeDir, testOptions, testRuntime } from './helpers/env.ts';

describe('module API', () => {
  it('is a harmless no-op before init', async () => {
    expect(getClient().mode).toBe('off');
    expect(captureException(new Error('early'))).toBeNull();
    expect(() => addBreadcrumb({ message: 'early' })).not.toThrow();
    expect(reportUsage()).toBeNull();
    await expect(flush(10)).resolves.toBe(true);
    await expect(close()).resolves.toBe(true);
  });

  it('captures after init and is a no-op again after close', async () => {
    const dir = makeTempDir();
    const saved = { ...process.env };
    process.env.DUMPCATCHER_CONFIG = join(dir, 'none.json');
    delete process.env.DO_NOT_TRACK;
    delete process.env.DUMPCATCHER_DISABLED;
    try {
      expect(defineMetric('before.init', () => 1)).toBe(true);
      const client = init(testOptions('http://127.0.0.1:9', dir, { shutdownTimeoutMs: 50 }));
      expect(client.mode).toBe('live');
      expect(getClient()).toBe(client);
      addBreadcrumb({ category: 'checkout', message: 'cart opened', data: { items: 3 } });
      // A bad argument is ignored, never thrown back at the app.
      addBreadcrumb('not an object' as never);
      expect(captureException(new Error('after init'))).not.toBeNull();
      expect(queueFiles(dir)).toHaveLength(1);
      const queued = JSON.parse(readFileSync(join(dir, queueFiles(dir)[0] as string), 'utf8')) as {
        body: { breadcrumbs?: Array<Record<string, unknown>> };
      };
      expect(queued.body.breadcrumbs?.map(({ timestamp: _t, ...rest }) => rest)).toEqual([
        { category: 'checkout', level: 'info', message: 'cart opened', data: { items: 3 } },
      ]);
      await close();
      expect(getClient().mode).toBe('off');
      expect(captureException(new Error('after close'))).toBeNull();
      expect(reportUsage()).toBeNull();
      expect(queueFiles(dir)).toHaveLength(1);
    } finally {
      process.env = saved;
      removeDir(dir);
    }
  });

  it('never throws for bad options and turns itself off', () => {
    const runtime = testRuntime();
    const bad = [
      {},
      { endpoint: 'not a url', productKey: 'pk_test_node_sdk', secret: 's', appName: 'a', appVersion: '1' },
      { endpoint: 'ftp://x', productKey: 'pk_test_node_sdk', secret: 's', appName: 'a', appVersion: '1' },
      { endpoint: 'http://x', productKey: 'short', secret: 's', appName: 'a', appVersion: '1' },
    ];
    for (const options of bad) {
      const client = createClient(options as never, runtime);
      expect(client.mode).toBe('off');
      expect(() => client.captureException(new Error('x'))).not.toThrow();
    }
    expect(() => init(null as never)).not.toThrow();
  });

  it('never throws from captureException, even when the queue folder cannot be written', async () => {
    const dir = makeTempDir();
    try {
      // A file where the queue folder should be: every write fails.
      const blocked = join(dir, 'blocked');
      writeFileSync(blocked, 'x');
      const runtime = testRuntime({ env: { DUMPCATCHER_CONFIG: '/nonexistent', NODE_DEBUG: 'dumpcatcher' } });
      const client = createClient(testOptions('http://127.0.0.1:9', join(blocked, 'queue')), runtime);
      expect(client.captureException(new Error('x'))).toBeNull();
      expect(runtime.stderr.join('')).toContain('captureException failed');
      await client.close();
      expect(allFiles(dir)).toEqual(['blocked']);
    } finally {
      removeDir(dir);
    }
  });
});

describe('process hooks (in-process, on a stand-in process object)', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('observes uncaught exceptions through uncaughtExceptionMonitor only', async () => {
    const runtime = testRuntime();
    const proc = runtime.proc;
    const client = createClient(
      testOptions('http://127.0.0.1:9', dir, { captureUncaught: true, shutdownTimeoutMs: 50 }),
      runtime,
    );
    expect(proc.listenerCount('uncaughtExceptionMonitor')).toBe(1);
    // No uncaughtException or unhandledRejection listener: Node's default exit behaviour stays.
    expect(proc.listenerCount('uncaughtException')).toBe(0);
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
    proc.emit('uncaughtExceptionMonitor', new Error('fatal'), 'uncaughtException');
    expect(queueFiles(dir)).toHaveLength(1);
    await client.close();
    expect(proc.listenerCount('uncaughtExceptionMonitor')).toBe(0);
    expect(proc.listenerCount('beforeExit')).toBe(0);
  });

  it("joins an app's own unhandledRejection handler, before it, and leaves when the app's last one goes", async () => {
    const runtime = testRuntime();
    const proc: EventEmitter = runtime.proc;
    const client = createClient(
      testOptions('http://127.0.0.1:9', dir, { captureUncaught: true, shutdownTimeoutMs: 50 }),
      runtime,
    );
    const seenByApp: unknown[] = [];
    const appHandler = (reason: unknown): void => {
      seenByApp.push(reason);
      // The SDK's listener ran first, so the report is already on disk.
      expect(queueFiles(dir)).toHaveLength(1);
    };
    proc.on('unhandledRejection', appHandler);
    expect(proc.listenerCount('unhandledRejection')).toBe(2);
    const reason = new Error('rejected');
    proc.emit('unhandledRejection', reason, Promise.resolve());
    expect(seenByApp).toEqual([reason]);
    // If the app's handler rethrows, the same error reaches the monitor; it is not reported twice.
    proc.emit('uncaughtExceptionMonitor', reason, 'uncaughtException');
    expect(queueFiles(dir)).toHaveLength(1);
    proc.removeListener('unhandledRejection', appHandler);
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
    await client.close();
  });

  it('installs no capture hooks when captureUncaught is false', async () => {
    const runtime = testRuntime();
    const client = createClient(
      testOptions('http://127.0.0.1:9', dir, { captureUncaught: false, shutdownTimeoutMs: 50 }),
      runtime,
    );
    expect(runtime.proc.listenerCount('uncaughtExceptionMonitor')).toBe(0);
    runtime.proc.on('unhandledRejection', () => undefined);
    expect(runtime.proc.listenerCount('unhandledRejection')).toBe(1);
    await client.close();
  });
});
