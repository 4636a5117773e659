import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { createSocketPoster, MAX_IDLE_MS } from '../src/socket-transport.ts';
import type { Exchange, SocketPoster, SocketPosterSettings } from '../src/socket-transport.ts';
import { createTransport, socketClientUsable } from '../src/transport.ts';
import type { QueueEntry } from '../src/queue.ts';
import { PRODUCT_KEY, SECRET } from './helpers/env.ts';

// A self-signed certificate for DNS name `localhost` only (valid until 2125; test use only).
const TLS_DIR = join(__dirname, 'fixtures/tls');
const CERT = readFileSync(join(TLS_DIR, 'localhost-cert.pem'), 'utf8');
const KEY = readFileSync(join(TLS_DIR, 'localhost-key.pem'), 'utf8');

/** What a scripted server does with each request it reads: the raw bytes to answer, or an action. */
type Reply = string | string[] | 'hang' | 'close';

interface ScriptedServer {
  port: number;
  /** Requests seen, as raw text, with the number of the connection each came on. */
  requests: Array<{ connection: number; text: string }>;
  connections: number;
  maxOpenAtOnce: number;
  close(): Promise<void>;
}

/**
 * A raw TCP server speaking just enough HTTP/1.1: it reads one request at a time per
 * connection (head, then Content-Length bytes) and answers from `replies` in order.
 */
async function startScripted(
  replies: Reply[],
  fallback: Reply = 'HTTP/1.1 202 Accepted\r\nContent-Length: 10\r\n\r\n{"id":"x"}',
  host = '127.0.0.1',
): Promise<ScriptedServer> {
  const state: ScriptedServer = { port: 0, requests: [], connections: 0, maxOpenAtOnce: 0, close: async () => {} };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    state.connections += 1;
    const connection = state.connections;
    sockets.add(socket);
    state.maxOpenAtOnce = Math.max(state.maxOpenAtOnce, sockets.size);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        state.requests.push({ connection, text: buf.toString('latin1', 0, end + 4 + length) });
        buf = buf.subarray(end + 4 + length);
        const reply = replies.shift() ?? fallback;
        if (reply === 'close') socket.destroy();
        else if (reply === 'hang') continue;
        else if (Array.isArray(reply)) writeSlowly(socket, reply);
        else socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

/** Writes the parts one by one, each on a later turn, so the client reads them in pieces. */
function writeSlowly(socket: Socket, parts: string[]): void {
  const [first, ...rest] = parts;
  if (first === undefined) return;
  socket.write(first, () => setImmediate(() => writeSlowly(socket, rest)));
}

const HEAD = 'POST /v1/crashes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n';
const BODY = Buffer.from('{}');

function poster(port: number, extra: Partial<SocketPosterSettings> = {}): SocketPoster {
  return createSocketPoster({ host: '127.0.0.1', port, secure: false, timeoutMs: 5000, maxSockets: 4, ...extra });
}

function answer(status: number, body: string, headers: Record<string, string> = {}): Exchange {
  return { kind: 'answer', status, headers, body };
}

describe('createSocketPoster', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const scripted = async (...args: Parameters<typeof startScripted>): Promise<ScriptedServer> => {
    const s = await startScripted(...args);
    cleanups.push(() => s.close());
    return s;
  };
  const make = (port: number, extra: Partial<SocketPosterSettings> = {}): SocketPoster => {
    const p = poster(port, extra);
    cleanups.push(() => p.destroy());
    return p;
  };

  it('reads a Content-Length answer and sends the next request on the same connection', async () => {
    const server = await scripted([
      'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"id":"a"}',
    ]);
    const p = make(server.port);
    expect(await p.post(HEAD, BODY)).toEqual(answer(202, '{"id":"a"}'));
    expect(await p.post(HEAD, BODY)).toEqual(answer(202, '{"id":"x"}'));
    expect(server.connections).toBe(1);
    expect(server.requests.map((r) => r.text)).toEqual([HEAD + '{}', HEAD + '{}']);
  });

  it('reads a chunked answer that arrives in pieces, with a chunk extension and a trailer', async () => {
    const server = await scripted([
      [
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nDate: Sun, 22 Nov 2026 08:00:00 GMT\r\n\r\n',
        '5;ext=1\r\n{"id"',
        '\r',
        '\n5\r\n:"x",\r\n14\r\n"duplicate":true}   \r\n',
        '0\r\nX-Trailer: yes\r\n',
        '\r\n',
      ],
    ]);
    const p = make(server.port);
    expect(await p.post(HEAD, BODY)).toEqual(
      answer(200, '{"id":"x","duplicate":true}   ', { date: 'Sun, 22 Nov 2026 08:00:00 GMT' }),
    );
    // The connection is still good for the next request.
    expect(await p.post(HEAD, BODY)).toMatchObject({ kind: 'answer', status: 202 });
    expect(server.connections).toBe(1);
  });

  it('skips a 100 Continue and reads the answer after it', async () => {
    const server = await scripted([
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 2\r\n\r\n{}',
    ]);
    const p = make(server.port);
    expect(await p.post(HEAD, BODY)).toEqual(answer(429, '{}', { 'retry-after': '7' }));
  });

  it('reads an answer without a length to the end of the connection, then opens a new one', async () => {
    let connections = 0;
    // The server closes after writing: an answer delimited by the end of the connection.
    const raw = createServer((socket) => {
      connections += 1;
      socket.once('data', () => socket.end('HTTP/1.0 503 Service Unavailable\r\n\r\nbusy'));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => raw.close(resolve)));
    const p = make((raw.address() as AddressInfo).port);
    expect(await p.post(HEAD, BODY)).toEqual(answer(503, 'busy'));
    expect(await p.post(HEAD, BODY)).toEqual(answer(503, 'busy'));
    expect(connections).toBe(2);
  });

  it('closes a connection whose answer says Connection: close', async () => {
    const server = await scripted(['HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}']);
    const p = make(server.port);
    expect(await p.post(HEAD, BODY)).toEqual(answer(202, '{}'));
    expect(await p.post(HEAD, BODY)).toMatchObject({ kind: 'answer', status: 202 });
    expect(server.connections).toBe(2);
  });

  it('sends a request again on a new connection when the server had closed the kept-alive one', async () => {
    // First request answered on connection 1; the second arrives there and the server drops it.
    const server = await scripted([
      'HTTP/1.1 202 Accepted\r\nContent-Length: 10\r\n\r\n{"id":"1"}',
      'close',
      'HTTP/1.1 202 Accepted\r\nContent-Length: 10\r\n\r\n{"id":"2"}',
    ]);
    const p = make(server.port);
    expect(await p.post(HEAD, BODY)).toEqual(answer(202, '{"id":"1"}'));
    expect(await p.post(HEAD, BODY)).toEqual(answer(202, '{"id":"2"}'));
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1, 2]);
  });

  it('does not send again when a new connection closes without an answer', async () => {
    const server = await scripted(['close']);
    const p = make(server.port);
    expect(await p.post(HEAD, BODY)).toEqual({
      kind: 'failed',
      reason: 'network: connection closed before the answer',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('does not reuse a connection idle for longer than MAX_IDLE_MS', async () => {
    const server = await scripted([]);
    let t = 1000;
    const p = make(server.port, { clock: () => t });
    await p.post(HEAD, BODY);
    t += MAX_IDLE_MS - 1;
    await p.post(HEAD, BODY);
    t += MAX_IDLE_MS + 1;
    await p.post(HEAD, BODY);
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1, 2]);
  });

  it('gives up on a request that gets no answer within timeoutMs', async () => {
    const server = await scripted(['hang']);
    const p = make(server.port, { timeoutMs: 100 });
    expect(await p.post(HEAD, BODY)).toEqual({ kind: 'failed', reason: 'network: no answer within 100 ms' });
    // The silent connection is not used again.
    expect(await p.post(HEAD, BODY)).toMatchObject({ kind: 'answer', status: 202 });
    expect(server.connections).toBe(2);
  });

  it('reports a refused connection as a network failure', async () => {
    const server = await startScripted([]);
    await server.close();
    const p = make(server.port);
    const result = await p.post(HEAD, BODY);
    expect(result).toMatchObject({ kind: 'failed' });
    expect(result.kind === 'failed' && result.reason).toMatch(/^network: connect ECONNREFUSED/);
  });

  it.each([
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', 'network: not an HTTP/1.x answer'],
    [
      'two different lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      'network: bad Content-Length',
    ],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'network: bad chunk size'],
    [
      'a transfer coding it cannot read',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      'network: unsupported Transfer-Encoding gzip',
    ],
  ])('fails on an answer that is %s', async (_name, reply, reason) => {
    const server = await scripted([reply]);
    const p = make(server.port);
    expect(await p.post(HEAD, BODY)).toEqual({ kind: 'failed', reason });
    expect(await p.post(HEAD, BODY)).toMatchObject({ kind: 'answer', status: 202 });
    expect(server.connections).toBe(2);
  });

  it('keeps at most maxSockets connections open and queues the rest', async () => {
    const server = await scripted([]);
    const p = make(server.port, { maxSockets: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, () => p.post(HEAD, BODY)));
    expect(results.every((r) => r.kind === 'answer' && r.status === 202)).toBe(true);
    expect(server.requests).toHaveLength(10);
    expect(server.connections).toBeLessThanOrEqual(3);
  });

  it('fails what is in flight or waiting once destroyed', async () => {
    const server = await scripted(['hang', 'hang']);
    const p = make(server.port, { maxSockets: 1 });
    const first = p.post(HEAD, BODY);
    const second = p.post(HEAD, BODY);
    await new Promise<void>((resolve) => {
      const check = (): void => (server.requests.length > 0 ? resolve() : void setImmediate(check));
      check();
    });
    p.destroy();
    expect(await second).toEqual({ kind: 'failed', reason: 'network: transport closed' });
    expect(await first).toMatchObject({ kind: 'failed' });
  });

  it('reaches an IPv6 literal host', async () => {
    const server = await scripted([], undefined, '::1');
    const p = createSocketPoster({ host: '::1', port: server.port, secure: false, timeoutMs: 5000, maxSockets: 1 });
    cleanups.push(() => p.destroy());
    expect(await p.post(HEAD, BODY)).toMatchObject({ kind: 'answer', status: 202 });
  });

  describe('over TLS', () => {
    const startTls = async (): Promise<number> => {
      const server = createTlsServer({ cert: CERT, key: KEY }, (socket) => {
        socket.on('error', () => undefined);
        socket.on('data', () => socket.write('HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => server.close(resolve)));
      return (server.address() as AddressInfo).port;
    };

    it('talks to a server whose certificate it trusts, for the name in the certificate', async () => {
      const port = await startTls();
      const p = make(port, { host: 'localhost', secure: true, ca: CERT });
      expect(await p.post(HEAD, BODY)).toEqual(answer(202, '{}'));
    });

    it('refuses a certificate it does not trust', async () => {
      const port = await startTls();
      const p = make(port, { host: 'localhost', secure: true });
      const result = await p.post(HEAD, BODY);
      expect(result.kind === 'failed' && result.reason).toMatch(/self[- ]signed certificate/);
    });

    it('refuses a trusted certificate for another name', async () => {
      const port = await startTls();
      const p = make(port, { host: '127.0.0.1', secure: true, ca: CERT });
      const result = await p.post(HEAD, BODY);
      expect(result.kind === 'failed' && result.reason).toMatch(/does not match certificate's altnames/);
    });
  });
});

describe('createTransport', () => {
  const entry: QueueEntry = {
    v: 1,
    path: '/v1/crashes',
    clientId: 'client-abcdefgh',
    counter: 7,
    createdAt: '2026-11-22T08:00:00.000Z',
    body: { reportId: 'r1' },
  };
  const settings = (endpoint: string, env: Record<string, string> = {}) => ({
    endpoint,
    productKey: PRODUCT_KEY,
    secret: SECRET,
    gzipThresholdBytes: 8192,
    requestTimeoutMs: 5000,
    now: () => Date.parse('2026-11-22T08:00:00Z'),
    env,
  });
  let server: ScriptedServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('writes the signed request by hand: request line, Host, headers, Content-Length', async () => {
    server = await startScripted([]);
    const transport = createTransport(settings(`http://127.0.0.1:${server.port}/base/`));
    expect(await transport.send(entry, 1_800_000_000)).toEqual({ kind: 'delivered', status: 202, duplicate: false });
    transport.destroy();
    const text = server.requests[0]?.text ?? '';
    expect(text.startsWith(`POST /base/v1/crashes HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`)).toBe(true);
    expect(text).toContain('\r\nX-Dumpcatcher-Counter: 7\r\n');
    expect(text).toContain('\r\nX-Dumpcatcher-Timestamp: 1800000000\r\n');
    expect(text).toMatch(/\r\nX-Dumpcatcher-Signature: v1=[0-9a-f]{64}\r\n/);
    expect(text.endsWith('\r\nContent-Length: 17\r\nConnection: keep-alive\r\n\r\n{"reportId":"r1"}')).toBe(true);
  });

  it('hands a 429 its Retry-After and a 401 its Date', async () => {
    server = await startScripted([
      'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 401 Unauthorized\r\nDate: Sun, 22 Nov 2026 10:00:00 GMT\r\nContent-Length: 0\r\n\r\n',
    ]);
    const transport = createTransport(settings(`http://127.0.0.1:${server.port}`));
    expect(await transport.send(entry, 1)).toEqual({ kind: 'retry', reason: 'HTTP 429', retryAfterMs: 3000 });
    expect(await transport.send(entry, 1)).toEqual({
      kind: 'unauthorized',
      serverDateMs: Date.parse('2026-11-22T10:00:00Z'),
    });
    transport.destroy();
  });

  it('goes through node:http when a proxy variable is set (the same request on the wire)', async () => {
    const seen: string[] = [];
    const httpServer = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-dumpcatcher-counter']}`);
      req.resume();
      req.on('end', () => res.writeHead(202).end('{}'));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const port = (httpServer.address() as AddressInfo).port;
    // The agent's sockets never reach the proxy: node:http does not read the variables itself.
    const transport = createTransport(settings(`http://127.0.0.1:${port}`, { HTTPS_PROXY: 'http://127.0.0.1:9' }));
    expect(await transport.send(entry, 1)).toEqual({ kind: 'delivered', status: 202, duplicate: false });
    transport.destroy();
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
    expect(seen).toEqual(['POST /v1/crashes 7']);
  });
});

describe('socketClientUsable', () => {
  it.each([
    ['plain http', 'http://127.0.0.1:8080', {}, true],
    ['https', 'https://ingest.example.com/x', {}, true],
    ['an IPv6 literal', 'http://[::1]:8080', {}, true],
    ['HTTPS_PROXY set', 'https://ingest.example.com', { HTTPS_PROXY: 'http://proxy:3128' }, false],
    ['http_proxy set', 'http://ingest.example.com', { http_proxy: 'http://proxy:3128' }, false],
    ['an empty proxy variable', 'http://ingest.example.com', { HTTP_PROXY: '' }, true],
    ['credentials in the URL', 'http://user:pw@ingest.example.com', {}, false],
  ])('%s: %s', (_name, url, env, expected) => {
    expect(socketClientUsable(new URL(url), env)).toBe(expected);
  });
});
