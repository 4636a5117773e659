import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { MAX_RETRY_AFTER_MS } from '../src/answers.ts';
import { bypassesProxy, proxyFor } from '../src/proxy.ts';
import type { QueueEntry } from '../src/queue.ts';
import { createTransport } from '../src/transport.ts';
import type { Transport, TransportSettings } from '../src/transport.ts';
import { PRODUCT_KEY, SECRET } from './helpers/env.ts';
import { startTestProxy } from './helpers/proxy.ts';
import type { TestProxy } from './helpers/proxy.ts';

// A self-signed certificate for DNS name `localhost` only (valid until 2125; test use only).
const TLS_DIR = join(__dirname, 'fixtures/tls');
const CERT = readFileSync(join(TLS_DIR, 'localhost-cert.pem'), 'utf8');
const KEY = readFileSync(join(TLS_DIR, 'localhost-key.pem'), 'utf8');

const entry: QueueEntry = {
  v: 1,
  path: '/v1/crashes',
  clientId: 'client-abcdefgh',
  counter: 7,
  createdAt: '2026-11-22T08:00:00.000Z',
  body: { reportId: 'r1' },
};

type Handler = (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void;

interface TestServer {
  url: string;
  port: number;
  /** Requests seen: method, URL, headers, body, and the number of the connection each came on. */
  requests: Array<{
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
    connection: number;
  }>;
  connections: number;
}

const accept: Handler = (_req, res) => res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"id":"x"}');

describe('createTransport (node:http / node:https)', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const serve = async (handler: Handler = accept, tls = false): Promise<TestServer> => {
    const state: TestServer = { url: '', port: 0, requests: [], connections: 0 };
    const sockets = new Set<Socket>();
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const connection = (req.socket as Socket & { connectionNumber?: number }).connectionNumber ?? 0;
        state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, connection });
        handler(req, res, body, state.requests.length);
      });
    };
    const server: Server = tls ? createHttpsServer({ cert: CERT, key: KEY }, onRequest) : createServer(onRequest);
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket & { connectionNumber?: number }) => {
      state.connections += 1;
      socket.connectionNumber = state.connections;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.port = (server.address() as AddressInfo).port;
    state.url = `${tls ? 'https' : 'http'}://${tls ? 'localhost' : '127.0.0.1'}:${state.port}`;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    return state;
  };

  const transportFor = (endpoint: string, extra: Partial<TransportSettings> = {}): Transport => {
    const t = createTransport({
      endpoint,
      productKey: PRODUCT_KEY,
      secret: SECRET,
      gzipThresholdBytes: 8192,
      requestTimeoutMs: 5000,
      now: () => Date.parse('2026-11-22T08:00:00Z'),
      env: {},
      ...extra,
    });
    cleanups.push(() => t.destroy());
    return t;
  };

  const proxy = async (options: { refuseConnect?: boolean } = {}): Promise<TestProxy> => {
    const p = await startTestProxy(options);
    cleanups.push(() => p.close());
    return p;
  };

  it('sends the signed request under the base path and reuses the kept-alive connection', async () => {
    const server = await serve();
    const transport = transportFor(`${server.url}/base/`);
    expect(await transport.send(entry, 1_800_000_000)).toEqual({ kind: 'delivered', status: 202, duplicate: false });
    expect(await transport.send({ ...entry, counter: 8 }, 1_800_000_000)).toMatchObject({ kind: 'delivered' });
    const [first] = server.requests;
    expect(first).toMatchObject({ method: 'POST', url: '/base/v1/crashes', body: '{"reportId":"r1"}' });
    expect(first?.headers).toMatchObject({
      host: `127.0.0.1:${server.port}`,
      'content-type': 'application/json',
      'content-length': '17',
      'x-dumpcatcher-key': PRODUCT_KEY,
      'x-dumpcatcher-client': 'client-abcdefgh',
      'x-dumpcatcher-counter': '7',
      'x-dumpcatcher-timestamp': '1800000000',
      'x-dumpcatcher-body-encoding': 'identity',
      'user-agent': 'dumpcatcher-node/0.1.0',
    });
    expect(first?.headers['x-dumpcatcher-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(server.connections).toBe(1);
  });

  it('hands a 429 its Retry-After, a 503 its HTTP-date Retry-After and a 401 its Date', async () => {
    const server = await serve((_req, res, _body, n) => {
      if (n === 1) res.writeHead(429, { 'Retry-After': '3' }).end('{"error":{"code":"rate_limited"}}');
      else if (n === 2)
        res
          .writeHead(503, { 'Retry-After': 'Sun, 22 Nov 2026 08:00:40 GMT', Date: 'Sun, 22 Nov 2026 08:00:10 GMT' })
          .end();
      else res.writeHead(401, { Date: 'Sun, 22 Nov 2026 10:00:00 GMT' }).end('{"error":{"code":"unauthenticated"}}');
    });
    const transport = transportFor(server.url);
    expect(await transport.send(entry, 1)).toEqual({ kind: 'retry', reason: 'HTTP 429', retryAfterMs: 3000 });
    // Counted from the answer's own Date, not the local clock.
    expect(await transport.send(entry, 1)).toEqual({ kind: 'retry', reason: 'HTTP 503', retryAfterMs: 30_000 });
    expect(await transport.send(entry, 1)).toEqual({
      kind: 'unauthorized',
      serverDateMs: Date.parse('2026-11-22T10:00:00Z'),
      fromIngest: true,
    });
  });

  it('caps a huge Retry-After at one hour', async () => {
    const server = await serve((_req, res) => res.writeHead(429, { 'Retry-After': '99999999999999999999' }).end());
    const transport = transportFor(server.url);
    expect(await transport.send(entry, 1)).toEqual({
      kind: 'retry',
      reason: 'HTTP 429',
      retryAfterMs: MAX_RETRY_AFTER_MS,
    });
  });

  it('gives up on a request with no answer within requestTimeoutMs, and the next one uses a new connection', async () => {
    const server = await serve((req, res, _body, n) => {
      if (n > 1) accept(req, res, '', n);
    });
    const transport = transportFor(server.url, { requestTimeoutMs: 150 });
    expect(await transport.send(entry, 1)).toEqual({ kind: 'retry', reason: 'network: no answer within 150 ms' });
    expect(await transport.send(entry, 1)).toMatchObject({ kind: 'delivered' });
    expect(server.requests.map((r) => r.connection)).toEqual([1, 2]);
  });

  it('reports a refused connection as a network failure to retry', async () => {
    const server = await serve();
    await cleanups.pop()?.();
    const result = await transportFor(server.url).send(entry, 1);
    expect(result).toMatchObject({ kind: 'retry' });
    expect(result.kind === 'retry' && result.reason).toMatch(/^network: connect ECONNREFUSED/);
  });

  it('sends a request once more on a new connection when the server dropped the kept-alive one', async () => {
    const server = await serve((req, res, body, n) => {
      // The second request arrives on the kept-alive connection, which the server drops unanswered.
      if (n === 2) req.socket.destroy();
      else accept(req, res, body, n);
    });
    const transport = transportFor(server.url);
    expect(await transport.send(entry, 1)).toMatchObject({ kind: 'delivered' });
    expect(await transport.send({ ...entry, counter: 8 }, 1)).toMatchObject({ kind: 'delivered' });
    expect(server.requests.map((r) => [r.connection, r.headers['x-dumpcatcher-counter']])).toEqual([
      [1, '7'],
      [1, '8'],
      [2, '8'],
    ]);
  });

  it('gzips a body at or above gzipThresholdBytes and says so in the headers', async () => {
    const server = await serve();
    const transport = transportFor(server.url, { gzipThresholdBytes: 10 });
    expect(await transport.send(entry, 1)).toMatchObject({ kind: 'delivered' });
    expect(server.requests[0]?.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'x-dumpcatcher-body-encoding': 'gzip',
    });
  });

  describe('over TLS', () => {
    it('talks to a server whose certificate it trusts, for the name in the certificate', async () => {
      const server = await serve(accept, true);
      expect(await transportFor(server.url, { ca: CERT }).send(entry, 1)).toMatchObject({ kind: 'delivered' });
    });

    it('refuses a certificate it does not trust', async () => {
      const server = await serve(accept, true);
      const result = await transportFor(server.url).send(entry, 1);
      expect(result.kind === 'retry' && result.reason).toMatch(/self[- ]signed certificate/);
      expect(server.requests).toHaveLength(0);
    });

    it('refuses a trusted certificate for another name', async () => {
      const server = await serve(accept, true);
      const result = await transportFor(`https://127.0.0.1:${server.port}`, { ca: CERT }).send(entry, 1);
      expect(result.kind === 'retry' && result.reason).toMatch(/does not match certificate's altnames/);
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('through a proxy', () => {
    it('tunnels https through HTTPS_PROXY with CONNECT, TLS checked end to end', async () => {
      const server = await serve(accept, true);
      const p = await proxy();
      const transport = transportFor(server.url, { ca: CERT, env: { HTTPS_PROXY: p.url } });
      expect(await transport.send(entry, 1)).toMatchObject({ kind: 'delivered', status: 202 });
      expect(await transport.send({ ...entry, counter: 8 }, 1)).toMatchObject({ kind: 'delivered' });
      // One tunnel, kept alive for the second request.
      expect(p.seen).toEqual([`CONNECT localhost:${server.port}`]);
      expect(server.requests.map((r) => r.headers['x-dumpcatcher-counter'])).toEqual(['7', '8']);
    });

    it('still refuses an untrusted certificate inside the tunnel', async () => {
      const server = await serve(accept, true);
      const p = await proxy();
      const result = await transportFor(server.url, { env: { https_proxy: p.url } }).send(entry, 1);
      expect(result.kind === 'retry' && result.reason).toMatch(/self[- ]signed certificate/);
      expect(p.seen).toHaveLength(1);
      expect(server.requests).toHaveLength(0);
    });

    it('sends plain http to HTTP_PROXY with the absolute URL, and proxy credentials', async () => {
      const server = await serve();
      const p = await proxy();
      const proxyUrl = p.url.replace('http://', 'http://user:p%40ss@');
      const transport = transportFor(`${server.url}/base`, { env: { HTTP_PROXY: proxyUrl } });
      expect(await transport.send(entry, 1)).toMatchObject({ kind: 'delivered' });
      expect(p.seen).toEqual([`POST ${server.url}/base/v1/crashes`]);
      expect(p.authorizations).toEqual([`Basic ${Buffer.from('user:p@ss').toString('base64')}`]);
      expect(server.requests[0]?.headers.host).toBe(`127.0.0.1:${server.port}`);
      expect(server.requests[0]?.headers['x-dumpcatcher-counter']).toBe('7');
    });

    it('goes direct when NO_PROXY names the host', async () => {
      const server = await serve(accept, true);
      const p = await proxy();
      const transport = transportFor(server.url, {
        ca: CERT,
        env: { HTTPS_PROXY: p.url, NO_PROXY: 'example.com, localhost' },
      });
      expect(await transport.send(entry, 1)).toMatchObject({ kind: 'delivered' });
      expect(p.seen).toEqual([]);
      expect(server.requests).toHaveLength(1);
    });

    it('keeps the report for a retry when the proxy refuses the tunnel', async () => {
      const server = await serve(accept, true);
      const p = await proxy({ refuseConnect: true });
      const result = await transportFor(server.url, { ca: CERT, env: { HTTPS_PROXY: p.url } }).send(entry, 1);
      expect(result).toEqual({
        kind: 'retry',
        reason: `network: proxy answered 403 to CONNECT localhost:${server.port}`,
      });
      expect(server.requests).toHaveLength(0);
    });
  });
});

describe('proxyFor', () => {
  it.each([
    [
      'https uses HTTPS_PROXY',
      'https://ingest.example.com',
      { HTTPS_PROXY: 'http://proxy:3128' },
      'http://proxy:3128/',
    ],
    ['https ignores HTTP_PROXY', 'https://ingest.example.com', { HTTP_PROXY: 'http://proxy:3128' }, null],
    ['http uses HTTP_PROXY', 'http://ingest.example.com', { HTTP_PROXY: 'http://proxy:3128' }, 'http://proxy:3128/'],
    [
      'the lower-case name wins',
      'https://ingest.example.com',
      { https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:2' },
      'http://low:1/',
    ],
    [
      'a proxy without a scheme is http',
      'https://ingest.example.com',
      { HTTPS_PROXY: 'proxy:3128' },
      'http://proxy:3128/',
    ],
    ['an empty variable is no proxy', 'https://ingest.example.com', { HTTPS_PROXY: '' }, null],
    [
      'NO_PROXY names the host',
      'https://ingest.example.com',
      { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'ingest.example.com' },
      null,
    ],
    [
      'no_proxy names a parent domain',
      'https://a.b.example.com',
      { HTTPS_PROXY: 'http://p:1', no_proxy: '.example.com' },
      null,
    ],
    ['NO_PROXY=*', 'https://ingest.example.com', { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }, null],
    [
      'NO_PROXY with another port',
      'https://ingest.example.com',
      { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'ingest.example.com:8443' },
      'http://p:1/',
    ],
    [
      'NO_PROXY is not a substring match',
      'https://badexample.com',
      { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.com' },
      'http://p:1/',
    ],
    ['an https:// proxy is not supported', 'https://ingest.example.com', { HTTPS_PROXY: 'https://p:1' }, null],
  ])('%s', (_name, target, env, expected) => {
    expect(proxyFor(new URL(target), env)?.href ?? null).toBe(expected);
  });

  it('matches IPv6 literals in NO_PROXY', () => {
    expect(bypassesProxy(new URL('http://[::1]:8080'), '[::1]')).toBe(true);
    expect(bypassesProxy(new URL('http://[::1]:8080'), '[::1]:8080')).toBe(true);
    expect(bypassesProxy(new URL('http://[::1]:8080'), '[::2]')).toBe(false);
  });
});
