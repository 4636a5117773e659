import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { QueueEntry } from '../src/queue.ts';
import { startFakeIngest } from './helpers/fake-ingest.ts';
import { startTestProxy } from './helpers/proxy.ts';
import type { FakeIngest } from './helpers/fake-ingest.ts';
import { freePort, makeTempDir, PRODUCT_KEY, queueFiles, removeDir, SECRET, waitUntil } from './helpers/env.ts';

// Real processes started through tsx: seconds each when the machine is busy (CI runs every
// suite at once), so these tests get more than jest's default 5 s.
jest.setTimeout(30_000);

const TSX = join(__dirname, '../../../node_modules/.bin/tsx');
const CHILD = join(__dirname, 'fixtures/child-app.ts');

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  clientId: string;
}

function runChild(
  mode: string,
  endpoint: string,
  queueDir: string,
  extraEnv: Record<string, string> = {},
): Promise<ChildResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.DO_NOT_TRACK;
  delete env.DUMPCATCHER_DISABLED;
  delete env.NODE_DEBUG;
  Object.assign(env, {
    DUMPCATCHER_CONFIG: join(queueDir, '..', 'no-config.json'),
    DC_ENDPOINT: endpoint,
    DC_PRODUCT_KEY: PRODUCT_KEY,
    DC_SECRET: SECRET,
    DC_QUEUE_DIR: queueDir,
    ...extraEnv,
  });
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CHILD, mode], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const first = stdout.split('\n')[0] ?? '';
      let clientId: string;
      try {
        clientId = String((JSON.parse(first) as { clientId?: unknown }).clientId);
      } catch {
        clientId = '';
      }
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started, clientId });
    });
  });
}

function readEntry(dir: string, name: string): QueueEntry {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as QueueEntry;
}

describe('a real Node process', () => {
  let root: string;
  let queueDir: string;
  let ingest: FakeIngest;
  beforeEach(async () => {
    root = makeTempDir();
    queueDir = join(root, 'queue');
    ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
  });
  afterEach(async () => {
    await ingest.close();
    removeDir(root);
  });

  it("dies of an uncaught exception as usual (exit 1, Node's stderr); a detached sender it leaves behind delivers the report within seconds, once", async () => {
    const crashed = await runChild('uncaught', ingest.url, queueDir);
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toContain("throw new Error('child crashed on purpose');");
    expect(crashed.stderr).toMatch(/^Error: child crashed on purpose$/m);
    expect(crashed.stderr).toMatch(/Node\.js v\d+\.\d+\.\d+/);
    expect(crashed.stderr).not.toContain('dumpcatcher');
    expect(crashed.clientId).toMatch(/^[A-Za-z0-9_-]{22}$/);

    // The process is gone; its report arrives from the sender it left (no next start).
    await waitUntil(() => ingest.requests.length >= 1, 10_000, 'the crash to arrive');
    const req = ingest.requests[0];
    expect(req?.signatureValid).toBe(true);
    expect(req?.answeredStatus).toBe(202);
    expect(req?.headers['x-dumpcatcher-client']).toBe(crashed.clientId);
    expect(req?.headers['x-dumpcatcher-counter']).toBe('1');
    expect(req?.body).toMatchObject({ exception: { type: 'Error', message: 'child crashed on purpose' } });
    await waitUntil(() => queueFiles(queueDir).length === 0, 5000, 'the queue to empty');

    // A next start finds nothing left to send.
    const next = await runChild('send', ingest.url, queueDir);
    expect(next.stdout).toContain('{"flushed":true}');
    expect(ingest.requests).toHaveLength(1);
  });

  it('a crash the detached sender cannot deliver (ingest down) stays queued, and the next start sends it once with the same client id and counter', async () => {
    const port = await freePort();
    const crashed = await runChild('uncaught', `http://127.0.0.1:${port}`, queueDir, { DC_SHUTDOWN_MS: '200' });
    expect(crashed.code).toBe(1);
    const files = queueFiles(queueDir);
    expect(files).toHaveLength(1);
    const entry = readEntry(queueDir, files[0] as string);
    expect(entry).toMatchObject({ path: '/v1/crashes', clientId: crashed.clientId, counter: 1 });
    // Let the sender it left try and give up (200 ms + its grace), then start again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(queueFiles(queueDir)).toEqual(files);

    const sender = await runChild('send', ingest.url, queueDir);
    expect(sender.code).toBe(0);
    expect(sender.stdout).toContain('{"flushed":true}');
    expect(ingest.requests).toHaveLength(1);
    expect(ingest.requests[0]?.headers['x-dumpcatcher-client']).toBe(crashed.clientId);
    expect(ingest.requests[0]?.headers['x-dumpcatcher-counter']).toBe('1');
    expect(ingest.requests[0]?.body.reportId).toBe((entry.body as { reportId: string }).reportId);
    expect(queueFiles(queueDir)).toEqual([]);
  });

  it('dies of an unhandled rejection as usual, and its report arrives from the detached sender', async () => {
    const crashed = await runChild('rejection', ingest.url, queueDir);
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toMatch(/^Error: child rejected on purpose$/m);
    expect(crashed.stderr).toMatch(/Node\.js v\d+/);
    await waitUntil(() => ingest.requests.length >= 1, 10_000, 'the rejection to arrive');
    expect(ingest.requests).toHaveLength(1);
    expect(ingest.requests[0]?.body).toMatchObject({ exception: { message: 'child rejected on purpose' } });
    expect(ingest.requests[0]?.headers['x-dumpcatcher-client']).toBe(crashed.clientId);
  });

  it("lets the app's own uncaughtException handler run and decide: here it survives with exit code 3, and the report goes out at exit", async () => {
    const result = await runChild('app-handler', ingest.url, queueDir);
    expect(result.stdout).toContain('app handler saw: handled by the app');
    expect(result.code).toBe(3);
    expect(result.stderr).not.toMatch(/Node\.js v/);
    expect(ingest.requests).toHaveLength(1);
    expect(ingest.requests[0]?.body).toMatchObject({ exception: { message: 'handled by the app' } });
    expect(ingest.requests[0]?.headers['x-dumpcatcher-client']).toBe(result.clientId);
    expect(queueFiles(queueDir)).toEqual([]);
  });

  it('reports a rejection the app handles itself, and the process keeps running as the app chose', async () => {
    const result = await runChild('app-rejection-handler', ingest.url, queueDir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('app saw rejection: rejection the app handles');
    expect(result.stdout).toContain('still running');
    expect(ingest.requests).toHaveLength(1);
    expect(ingest.requests[0]?.body).toMatchObject({ exception: { message: 'rejection the app handles' } });
  });

  it('sends through the proxy HTTP_PROXY names and exits as soon as the report is in, its kept-alive connection idle', async () => {
    const proxy = await startTestProxy();
    try {
      const result = await runChild('capture-and-exit', ingest.url, queueDir, {
        DC_SHUTDOWN_MS: '8000',
        HTTP_PROXY: proxy.url,
      });
      expect(result.code).toBe(0);
      expect(ingest.requests.map((r) => r.answeredStatus)).toEqual([202]);
      expect(proxy.seen).toEqual([`POST ${ingest.url}/v1/crashes`]);
      // The exit flush ends with the delivery, not at shutdownTimeoutMs; the idle socket to the
      // proxy does not hold the process either.
      expect(result.elapsedMs).toBeLessThan(6000);
      expect(queueFiles(queueDir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('never keeps the process alive beyond shutdownTimeoutMs when the ingest does not answer', async () => {
    // Accepts connections and never answers.
    const sockets: Socket[] = [];
    const blackHole: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blackHole.address() as AddressInfo).port;
      const result = await runChild('capture-and-exit', `http://127.0.0.1:${port}`, queueDir, {
        DC_SHUTDOWN_MS: '300',
      });
      expect(result.code).toBe(0);
      // requestTimeoutMs is 10 s; the process is gone long before that.
      expect(result.elapsedMs).toBeLessThan(5000);
      expect(sockets.length).toBeGreaterThanOrEqual(1);
      expect(queueFiles(queueDir)).toHaveLength(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });
});
