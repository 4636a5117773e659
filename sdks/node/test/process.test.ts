import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { QueueEntry } from '../src/queue.ts';
import type { CrashReport } from '../src/types.ts';
import { startFakeIngest } from './helpers/fake-ingest.ts';
import { startTestProxy } from './helpers/proxy.ts';
import type { FakeIngest } from './helpers/fake-ingest.ts';
import {
  allFiles,
  freePort,
  makeTempDir,
  PRODUCT_KEY,
  queueFiles,
  removeDir,
  SECRET,
  waitUntil,
} from './helpers/env.ts';

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
    const crashed = await runChild('uncaught', ingest.url, queueDir, { DUMPCATCHER_ENVIRONMENT: 'staging' });
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toContain("throw new Error('child crashed on purpose');");
    expect(crashed.stderr).toContain('about to crash, order 42');
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
    // Written in the dying process: its environment, what it logged, and the line that threw.
    const body = req?.body as unknown as CrashReport;
    expect(body.environment).toBe('staging');
    expect(body.breadcrumbs?.map(({ timestamp: _t, ...rest }) => rest)).toEqual([
      { category: 'console', level: 'warning', message: 'about to crash, order 42' },
    ]);
    const [thrower] = body.exception.sourceContext ?? [];
    expect(thrower?.file).toBe(CHILD);
    expect(thrower?.context).toBe("      throw new Error('child crashed on purpose');");
    expect(thrower?.pre).toEqual(["    console.warn('about to crash, order %d', 42);", '    setTimeout(() => {']);
    expect(body.exception.stacktrace).toContain(`${CHILD}:${thrower?.line}:`);
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

  describe('release health sessions of real Node processes', () => {
    const SESSIONS = { DC_SESSIONS: '1' };
    const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13) + ':00:00Z';
    const sessionBodies = (): Array<Record<string, unknown>> =>
      ingest.requests.filter((r) => r.path === '/v1/sessions').map((r) => r.body);
    const installId = (): string => readFileSync(join(queueDir, 'install-id'), 'utf8').trim();
    const markers = (): string[] => allFiles(queueDir).filter((n) => n.startsWith('session-'));
    const counts = (ok: number, errored: number, crashed: number, abnormal: number) => ({
      ok,
      errored,
      crashed,
      abnormal,
    });

    /** Starts the child in `hang` mode; resolves with its app process (tsx runs it in a child of its own) once its session has started. */
    function startHanging(): Promise<{ child: ChildProcess; pid: number }> {
      const env: Record<string, string | undefined> = { ...process.env, ...SESSIONS };
      delete env.DO_NOT_TRACK;
      delete env.DUMPCATCHER_DISABLED;
      Object.assign(env, {
        DUMPCATCHER_CONFIG: join(queueDir, '..', 'no-config.json'),
        DC_ENDPOINT: ingest.url,
        DC_PRODUCT_KEY: PRODUCT_KEY,
        DC_SECRET: SECRET,
        DC_QUEUE_DIR: queueDir,
      });
      const child = spawn(TSX, [CHILD, 'hang'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      return new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString('utf8');
          const m = /running (\d+)\n/.exec(out);
          if (m) resolve({ child, pid: Number(m[1]) });
        });
        child.on('error', reject);
        child.on('close', (code) => reject(new Error(`hang child ended early (${String(code)})`)));
      });
    }

    function killHard({ child, pid }: { child: ChildProcess; pid: number }): Promise<void> {
      return new Promise((resolve) => {
        child.removeAllListeners('close');
        child.on('close', () => resolve());
        process.kill(pid, 'SIGKILL');
      });
    }

    it('a clean run sends one signed ok session of its release and install at exit', async () => {
      const before = Date.now();
      const run = await runChild('clean', ingest.url, queueDir, SESSIONS);
      expect(run.code).toBe(0);
      expect(ingest.requests.every((r) => r.signatureValid)).toBe(true);
      expect(sessionBodies()).toEqual([
        {
          reportId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
          occurredAt: expect.any(String) as unknown,
          app: { name: 'child-app', version: '1.0.0' },
          installId: installId(),
          environment: 'production',
          sessions: [{ started: hourOf(before), ...counts(1, 0, 0, 0) }],
        },
      ]);
      expect(markers()).toEqual([]);
    });

    it('a run that captured a handled error sends an errored session', async () => {
      const before = Date.now();
      const run = await runChild('capture-and-exit', ingest.url, queueDir, SESSIONS);
      expect(run.code).toBe(0);
      expect(sessionBodies()).toHaveLength(1);
      expect(sessionBodies()[0]?.sessions).toEqual([{ started: hourOf(before), ...counts(0, 1, 0, 0) }]);
      expect(ingest.requests.filter((r) => r.path === '/v1/crashes')).toHaveLength(1);
    });

    it('an uncaught crash hands its crashed session report to the detached sender with the crash report; the next start sends nothing more', async () => {
      const before = Date.now();
      const crashed = await runChild('uncaught', ingest.url, queueDir, SESSIONS);
      expect(crashed.code).toBe(1);
      expect(markers()).toEqual([]);

      // No second run: both arrive from the sender the dying process left.
      await waitUntil(() => ingest.requests.length >= 2, 10_000, 'the crash and its session to arrive');
      await waitUntil(() => queueFiles(queueDir).length === 0, 5000, 'the queue to empty');
      expect(ingest.requests.map((r) => r.path).sort()).toEqual(['/v1/crashes', '/v1/sessions']);
      const sessions = ingest.requests.filter((r) => r.path === '/v1/sessions');
      expect(sessions[0]?.signatureValid).toBe(true);
      expect(sessions[0]?.headers['x-dumpcatcher-client']).toBe(crashed.clientId);
      expect(sessions[0]?.body).toMatchObject({ installId: installId() });
      expect(sessions[0]?.body.sessions).toEqual([{ started: hourOf(before), ...counts(0, 0, 1, 0) }]);

      const next = await runChild('send', ingest.url, queueDir);
      expect(next.stdout).toContain('{"flushed":true}');
      expect(ingest.requests).toHaveLength(2);
    });

    it('a SIGKILLed run is found abnormal by the next start and sent with its ok session, in one report', async () => {
      const before = Date.now();
      const victim = await startHanging();
      expect(markers()).toHaveLength(1);
      await killHard(victim);
      expect(markers()).toHaveLength(1);

      const next = await runChild('clean', ingest.url, queueDir, SESSIONS);
      expect(next.code).toBe(0);
      const bodies = sessionBodies();
      expect(bodies).toHaveLength(1);
      expect(bodies[0]?.installId).toBe(installId());
      const hour = hourOf(before);
      const after = hourOf(Date.now());
      // One bucket, or two when the test ran across the top of an hour.
      const total = (bodies[0]?.sessions as Array<Record<string, number>>).reduce(
        (sum, b) => ({ ok: (sum.ok ?? 0) + (b.ok ?? 0), abnormal: (sum.abnormal ?? 0) + (b.abnormal ?? 0) }),
        {} as Record<string, number>,
      );
      expect(total).toEqual({ ok: 1, abnormal: 1 });
      if (hour === after) expect(bodies[0]?.sessions).toEqual([{ started: hour, ...counts(1, 0, 0, 1) }]);
      expect(markers()).toEqual([]);
    });

    it('a running process is not found abnormal by another one sharing its folder', async () => {
      const live = await startHanging();
      try {
        const other = await runChild('clean', ingest.url, queueDir, SESSIONS);
        expect(other.code).toBe(0);
        expect(sessionBodies()).toHaveLength(1);
        expect(sessionBodies()[0]?.sessions).toEqual([expect.objectContaining(counts(1, 0, 0, 0))]);
        expect(markers()).toHaveLength(1);
      } finally {
        await killHard(live);
      }
    });
  });
});
