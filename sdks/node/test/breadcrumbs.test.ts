import { readFileSync } from 'node:fs';
import { createServer, get as httpGet, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, get as httpsGet } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { listenForBreadcrumbs } from '../src/auto-breadcrumbs.ts';
import { createClient } from '../src/client.ts';
import type { DumpcatcherClient } from '../src/client.ts';
import type { DumpcatcherOptions } from '../src/options.ts';
import { createTransport } from '../src/transport.ts';
import type { Breadcrumb, BreadcrumbInput, CrashReport } from '../src/types.ts';
import { startFakeIngest } from './helpers/fake-ingest.ts';
import type { FakeIngest } from './helpers/fake-ingest.ts';
import { startTestProxy } from './helpers/proxy.ts';
import {
  freePort,
  makeTempDir,
  PRODUCT_KEY,
  removeDir,
  SECRET,
  testOptions,
  testRuntime,
  waitUntil,
} from './helpers/env.ts';

const TLS_DIR = join(__dirname, 'fixtures/tls');
const CERT = readFileSync(join(TLS_DIR, 'localhost-cert.pem'), 'utf8');
const KEY = readFileSync(join(TLS_DIR, 'localhost-key.pem'), 'utf8');
const NOWHERE = 'http://127.0.0.1:9';

/** A real loopback server: `/status/<n>` answers n, anything else 200. */
async function startServer(tls = false): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    const m = /^\/status\/(\d{3})/.exec(req.url ?? '');
    res.writeHead(m ? Number(m[1]) : 200, { 'Content-Type': 'text/plain' }).end('answer');
  };
  const server: Server = tls ? createHttpsServer({ cert: CERT, key: KEY }, handler) : createServer(handler);
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https://localhost' : 'http://127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An app's GET through node:http (or node:https), read to the end. */
function appGet(url: string, options: { ca?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const onAnswer = (res: IncomingMessage): void => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    };
    const req = url.startsWith('https:') ? httpsGet(url, options, onAnswer) : httpGet(url, onAnswer);
    req.on('error', reject);
  });
}

/** A client whose crash reports land in `reports` instead of being sent (beforeSend keeps them). */
function reportingClient(
  dir: string,
  extra: Partial<DumpcatcherOptions> = {},
): { client: DumpcatcherClient; reports: CrashReport[] } {
  const reports: CrashReport[] = [];
  const client = createClient(
    testOptions(NOWHERE, dir, {
      beforeSend: (report) => {
        reports.push(report);
        return null;
      },
      ...extra,
    }),
    testRuntime(),
  );
  return { client, reports };
}

function crumbsOf(report: CrashReport | undefined): Array<Omit<Breadcrumb, 'timestamp'>> {
  return (report?.breadcrumbs ?? []).map(({ timestamp: _t, ...rest }) => rest);
}

describe('automatic http breadcrumbs, against a real local server', () => {
  const cleanups: Array<() => unknown> = [];
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    removeDir(dir);
  });

  const start = async (tls = false): Promise<Awaited<ReturnType<typeof startServer>>> => {
    const server = await startServer(tls);
    cleanups.push(server.close);
    return server;
  };
  const client = (extra: Partial<DumpcatcherOptions> = {}): ReturnType<typeof reportingClient> => {
    const made = reportingClient(dir, { autoBreadcrumbs: { console: false }, ...extra });
    cleanups.push(() => made.client.close());
    return made;
  };

  it('records method, host, path and status, without the query string or fragment; 4xx is a warning, 5xx an error', async () => {
    const server = await start();
    const { client: c, reports } = client();
    expect(await appGet(`${server.url}/orders/42?token=abc123&mail=bob@example.com#top`)).toBe(200);
    expect(await appGet(`${server.url}/status/404?q=1`)).toBe(404);
    expect(await appGet(`${server.url}/status/503`)).toBe(503);
    c.captureException(new Error('after three requests'));
    const host = `127.0.0.1:${server.port}`;
    expect(crumbsOf(reports[0])).toEqual([
      {
        category: 'http',
        level: 'info',
        message: `GET ${host}/orders/42`,
        data: { method: 'GET', host, path: '/orders/42', status: 200 },
      },
      {
        category: 'http',
        level: 'warning',
        message: `GET ${host}/status/404`,
        data: { method: 'GET', host, path: '/status/404', status: 404 },
      },
      {
        category: 'http',
        level: 'error',
        message: `GET ${host}/status/503`,
        data: { method: 'GET', host, path: '/status/503', status: 503 },
      },
    ]);
    expect(JSON.stringify(reports[0]?.breadcrumbs)).not.toMatch(/token|abc123|example\.com|top/);
  });

  it('records https requests, and a POST with its method', async () => {
    const server = await start(true);
    const { client: c, reports } = client();
    expect(await appGet(`${server.url}/secure/path`, { ca: CERT })).toBe(200);
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/x' });
      // A plain-HTTP request to a TLS port gets no answer: still one breadcrumb, an error.
      req.on('error', () => resolve());
      req.on('response', () => reject(new Error('a TLS server answered plain HTTP')));
      req.end('body never recorded');
    });
    c.captureException(new Error('after https'));
    const crumbs = crumbsOf(reports[0]);
    expect(crumbs[0]).toEqual({
      category: 'http',
      level: 'info',
      message: `GET localhost:${server.port}/secure/path`,
      data: { method: 'GET', host: `localhost:${server.port}`, path: '/secure/path', status: 200 },
    });
    expect(crumbs[1]).toMatchObject({ level: 'error', data: { method: 'POST', path: '/x' } });
    expect(JSON.stringify(crumbs)).not.toContain('body never recorded');
  });

  it('records a request that got no answer as an error, and leaves the error to the app', async () => {
    const port = await freePort();
    const { client: c, reports } = client();
    const seen = await new Promise<{ code: string; errorListeners: number }>((resolve) => {
      const req = httpGet(`http://127.0.0.1:${port}/down?secret=1`);
      req.on('error', (err: NodeJS.ErrnoException) =>
        // The SDK watches with errorMonitor: the app's listener is still the only one.
        resolve({ code: err.code ?? '', errorListeners: req.listenerCount('error') }),
      );
    });
    expect(seen).toEqual({ code: 'ECONNREFUSED', errorListeners: 1 });
    c.captureException(new Error('after a refused request'));
    expect(crumbsOf(reports[0])).toEqual([
      {
        category: 'http',
        level: 'error',
        message: `GET 127.0.0.1:${port}/down`,
        data: { method: 'GET', host: `127.0.0.1:${port}`, path: '/down', error: 'ECONNREFUSED' },
      },
    ]);
  });

  it('records fetch requests', async () => {
    const server = await start();
    const { client: c, reports } = client();
    const answer = await fetch(`${server.url}/status/201?x=y`, { method: 'PUT', body: 'data' });
    expect(answer.status).toBe(201);
    await answer.text();
    c.captureException(new Error('after fetch'));
    expect(crumbsOf(reports[0])).toEqual([
      {
        category: 'http',
        level: 'info',
        message: `PUT 127.0.0.1:${server.port}/status/201`,
        data: { method: 'PUT', host: `127.0.0.1:${server.port}`, path: '/status/201', status: 201 },
      },
    ]);
  });

  it('records nothing with autoBreadcrumbs { http: false }, and nothing after close()', async () => {
    const server = await start();
    const off = client({ autoBreadcrumbs: { http: false, console: false } });
    const closed = client();
    await closed.client.close();
    await appGet(`${server.url}/unseen`);
    off.client.captureException(new Error('http off'));
    expect(off.reports[0]?.breadcrumbs).toBeUndefined();
    expect(closed.client.captureException(new Error('closed'))).toBeNull();
  });

  it("never records the SDK's own requests: direct, through an HTTP proxy, through a CONNECT tunnel", async () => {
    const plain = await start();
    const tls = await start(true);
    const proxy = await startTestProxy();
    cleanups.push(() => proxy.close());
    const crumbs: BreadcrumbInput[] = [];
    const stop = listenForBreadcrumbs({ kinds: { console: false, http: true }, add: (c) => crumbs.push(c) });
    cleanups.push(stop);
    const entry = {
      v: 1 as const,
      path: '/v1/crashes' as const,
      clientId: 'client-abcdefgh',
      counter: 1,
      createdAt: new Date().toISOString(),
      body: { reportId: 'r1' },
    };
    const settings = { productKey: PRODUCT_KEY, secret: SECRET, gzipThresholdBytes: 8192, requestTimeoutMs: 5000 };
    const transports = [
      createTransport({ ...settings, endpoint: plain.url, now: Date.now, env: {} }),
      createTransport({ ...settings, endpoint: plain.url, now: Date.now, env: { HTTP_PROXY: proxy.url } }),
      createTransport({ ...settings, endpoint: tls.url, now: Date.now, env: { HTTPS_PROXY: proxy.url }, ca: CERT }),
    ];
    for (const t of transports) {
      cleanups.push(() => t.destroy());
      expect(await t.send(entry, Math.floor(Date.now() / 1000))).toMatchObject({ kind: 'delivered' });
    }
    // The proxy carried both proxied ones, so the paths were taken.
    expect(proxy.seen).toEqual([`POST ${plain.url}/v1/crashes`, `CONNECT localhost:${tls.port}`]);
    expect(crumbs).toEqual([]);
    // The same listener does record the app's request to the same server.
    await appGet(`${plain.url}/app`);
    expect(crumbs.map((c) => c.message)).toEqual([`GET 127.0.0.1:${plain.port}/app`]);
  });

  describe('a live client and its ingest', () => {
    let ingest: FakeIngest | undefined;
    afterEach(async () => {
      await ingest?.close();
      ingest = undefined;
    });

    it("sends the app's requests with the next crash, never the requests that delivered the last one", async () => {
      ingest = await startFakeIngest({ secret: SECRET, productKey: PRODUCT_KEY });
      const server = await start();
      const c = createClient(testOptions(ingest.url, dir, { autoBreadcrumbs: { console: false } }), testRuntime());
      cleanups.push(() => c.close());
      await appGet(`${server.url}/first`);
      c.captureException(new Error('first'));
      expect(await c.flush(3000)).toBe(true);
      await appGet(`${server.url}/second`);
      c.captureException(new Error('second'));
      expect(await c.flush(3000)).toBe(true);
      await waitUntil(() => ingest?.requests.length === 2, 3000, 'two reports');
      const second = ingest.requests.find((r) => (r.body.exception as { message?: string }).message === 'second');
      const paths = ((second?.body.breadcrumbs ?? []) as Breadcrumb[]).map((b) => b.data?.path);
      expect(paths).toEqual(['/first', '/second']);
    });
  });
});

describe('automatic console breadcrumbs', () => {
  const METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;
  type Method = (typeof METHODS)[number];
  const target = console as unknown as Record<Method, (...args: unknown[]) => void>;
  let saved: Record<Method, (...args: unknown[]) => void>;
  let printed: Array<{ method: Method; self: unknown; args: unknown[] }>;
  let appConsole: Record<Method, (...args: unknown[]) => void>;
  let dir: string;
  const clients: DumpcatcherClient[] = [];

  beforeEach(() => {
    dir = makeTempDir();
    saved = { ...target };
    printed = [];
    // The app's console: what it would have printed, recorded instead.
    appConsole = {} as typeof appConsole;
    for (const method of METHODS) {
      appConsole[method] = function (this: unknown, ...args: unknown[]) {
        printed.push({ method, self: this, args });
      };
      target[method] = appConsole[method];
    }
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    Object.assign(target, saved);
    removeDir(dir);
  });

  const client = (extra: Partial<DumpcatcherOptions> = {}): ReturnType<typeof reportingClient> => {
    const made = reportingClient(dir, { autoBreadcrumbs: { http: false }, ...extra });
    clients.push(made.client);
    return made;
  };

  it('records each method at its level with the util.format message, scrubbed; the app prints the same', () => {
    const { client: c, reports } = client();
    const obj = { id: 7 };
    console.log('order %d for %s', 42, 'alice@example.com');
    console.info('object', obj);
    console.warn('low stock');
    console.error(new RangeError('bad range').message);
    console.debug('cache %s', 'miss');
    c.captureException(new Error('after logging'));
    expect(crumbsOf(reports[0])).toEqual([
      { category: 'console', level: 'info', message: 'order 42 for <email>' },
      { category: 'console', level: 'info', message: 'object { id: 7 }' },
      { category: 'console', level: 'warning', message: 'low stock' },
      { category: 'console', level: 'error', message: 'bad range' },
      { category: 'console', level: 'debug', message: 'cache miss' },
    ]);
    // The app's console got exactly its own arguments (not scrubbed, not formatted) and `this`.
    expect(printed.map((p) => [p.method, p.args])).toEqual([
      ['log', ['order %d for %s', 42, 'alice@example.com']],
      ['info', ['object', obj]],
      ['warn', ['low stock']],
      ['error', ['bad range']],
      ['debug', ['cache %s', 'miss']],
    ]);
    expect(printed.every((p) => p.self === console)).toBe(true);
  });

  it('records a console method that calls another once', () => {
    target.error = function (this: unknown, ...args: unknown[]) {
      // Some loggers route error() through log().
      console.log('[error]', ...args);
    };
    const { client: c, reports } = client();
    console.error('disk full');
    c.captureException(new Error('after one call'));
    expect(crumbsOf(reports[0])).toEqual([{ category: 'console', level: 'error', message: 'disk full' }]);
    expect(printed.map((p) => p.args)).toEqual([['[error]', 'disk full']]);
  });

  it("puts the app's console back at close(), and never wraps it with { console: false }", async () => {
    const off = client({ autoBreadcrumbs: { console: false } });
    expect(target.log).toBe(appConsole.log);
    const on = client();
    expect(target.log).not.toBe(appConsole.log);
    await on.client.close();
    expect(target.log).toBe(appConsole.log);
    console.log('not recorded');
    off.client.captureException(new Error('console off'));
    expect(off.reports[0]?.breadcrumbs).toBeUndefined();
  });

  it('never wraps the console with maxBreadcrumbs 0', () => {
    client({ maxBreadcrumbs: 0 });
    expect(target.log).toBe(appConsole.log);
  });

  it("keeps working when another library wraps the console on top of the SDK's wrapper", async () => {
    const first = client();
    const wrappedByOther = target.log;
    const other = (...args: unknown[]): void => wrappedByOther.apply(console, ['[other]', ...args]);
    target.log = other;
    await first.client.close();
    // Not ours to take away: the other library's wrapper stays, and ours under it does nothing.
    expect(target.log).toBe(other);
    // Wrapped again on top: the call goes through both of the SDK's wrappers, recorded once.
    const second = client();
    console.log('once');
    second.client.captureException(new Error('after the other wrapper'));
    expect(crumbsOf(second.reports[0])).toEqual([{ category: 'console', level: 'info', message: 'once' }]);
    expect(printed.map((p) => p.args)).toEqual([['[other]', 'once']]);
  });

  it("does not record the SDK's own debug lines on the real stderr", () => {
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const reports: CrashReport[] = [];
      // The real runtime's stderr writer, not the test one.
      const { writeStderr: _test, ...runtime } = testRuntime();
      const c = createClient(
        testOptions(NOWHERE, dir, {
          debug: true,
          autoBreadcrumbs: { http: false },
          beforeSend: (report) => {
            reports.push(report);
            return report;
          },
        }),
        runtime,
      );
      clients.push(c);
      c.captureException(new Error('first, printed'));
      console.log('the app logs once');
      c.captureException(new Error('second, printed'));
      expect(written.join('')).toContain('[dumpcatcher] debug: would send POST /v1/crashes');
      expect(crumbsOf(reports[1])).toEqual([{ category: 'console', level: 'info', message: 'the app logs once' }]);
    } finally {
      stderr.mockRestore();
    }
  });
});
