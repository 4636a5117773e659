import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serveDashboard, type DashboardServer } from '../../../scripts/lib/dashboard';

/** One GET with the path exactly as given (no client-side normalising), answering status and body. */
function get(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local dashboard server', () => {
  let dist: string;
  let server: DashboardServer;
  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'dashboard-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
    server = await serveDashboard({
      apiUrl: 'http://127.0.0.1:9',
      projectId: 'demo-test',
      authEmulatorHost: '127.0.0.1:9099',
      ingestUrl: 'http://127.0.0.1:9',
      dist,
    });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  it.each([
    ['/%E0%A4%A', 400],
    ['/%E0%A4%A.js', 400],
    ['/%FF', 400],
    ['/%ED%A0%80', 400],
    ['/p/%C0%AF/issues', 400],
    ['/%00.js', 404],
    ['/..%2F..%2Fetc%2Fpasswd', 404],
    ['/assets/..%2F..%2F..%2Fetc%2Fhostname.txt', 404],
    ['/assets/app.js', 200],
    ['/p/abc/issues/%E2%9C%93', 200],
  ])('answers GET %s with %d and keeps serving', async (path, status) => {
    const answer = await get(server.url, path);
    expect(answer.status).toBe(status);
    if (status === 200 && !path.endsWith('.js')) expect(answer.body).toContain('<title>app</title>');
    expect(answer.body).not.toContain('root:');
    expect((await get(server.url, '/')).status).toBe(200);
  });

  it('answers an api path with 502 JSON when the api is down, and keeps serving', async () => {
    const answer = await get(server.url, '/v1/me');
    expect([answer.status, JSON.parse(answer.body)]).toEqual([
      502,
      { error: expect.objectContaining({ code: 'bad_gateway' }) },
    ]);
    expect((await get(server.url, '/assets/app.js')).status).toBe(200);
  });
});

describe('npm start survives an unexpected error in its own servers', () => {
  it('logs a throw from a callback and a rejected promise, and keeps running', async () => {
    const script = [
      "import { surviveUnexpectedErrors } from './scripts/lib/survive';",
      "surviveUnexpectedErrors((line) => console.error('logged: ' + line));",
      "setTimeout(() => { throw new Error('boom from a timer'); }, 10);",
      "setTimeout(() => { void Promise.reject(new Error('rejected')); }, 20);",
      "setTimeout(() => { console.log('still alive'); }, 100);",
    ].join('\n');
    const root = join(__dirname, '..', '..', '..');
    const { stdout, stderr } = await promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), ['-e', script], {
      cwd: root,
    });
    expect(stdout).toBe('still alive\n');
    expect(stderr).toContain('logged: unexpected error, still running: Error: boom from a timer');
    expect(stderr).toContain('logged: unhandled rejection, still running: Error: rejected');
  });
});
