import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSender, MAX_ANSWER_BYTES } from '../../functions/src/alerts/transport';

/** A receiver on 127.0.0.1 whose behaviour each test sets. */
let handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
let server: Server;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
const send = createSender({ allowLoopback: true, timeoutMs: 500 });

describe('createSender', () => {
  it('posts the body with its headers and answers a 2xx as delivered', async () => {
    let seen: { body: string; type: string | undefined; id: string | undefined } | null = null;
    handle = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = {
          body: Buffer.concat(chunks).toString(),
          type: req.headers['content-type'],
          id: req.headers['webhook-id'] as string,
        };
        res.writeHead(202).end();
      });
    };
    expect(await send(url('/ok'), '{"a":1}', { 'webhook-id': 'msg_1' })).toEqual({ ok: true, status: 202 });
    expect(seen).toEqual({ body: '{"a":1}', type: 'application/json', id: 'msg_1' });
  });
  it('does not follow a redirect', async () => {
    handle = (_req, res) => res.writeHead(302, { location: url('/elsewhere') }).end();
    expect(await send(url('/redirect'), '{}', {})).toEqual({
      ok: false,
      status: 302,
      reason: 'HTTP 302 (redirects are not followed)',
    });
    expect(hits).not.toContain('/elsewhere');
  });
  it('gives up on a receiver that does not answer in time', async () => {
    handle = () => undefined; // never answers
    const started = Date.now();
    expect(await send(url('/slow'), '{}', {})).toEqual({ ok: false, status: null, reason: 'timed out after 0.5 s' });
    expect(Date.now() - started).toBeLessThan(3000);
  });
  it('reads no more than a few KiB of an answer', async () => {
    let written = 0;
    handle = (_req, res) => {
      res.writeHead(500);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // Keep writing until the sender hangs up: it must not read the whole answer.
      const pump = () => {
        while (written < 64 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (written < 64 * 1024 * 1024 && !res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => undefined);
      pump();
    };
    const outcome = await send(url('/big'), '{}', {});
    expect(outcome).toEqual({ ok: false, status: 500, reason: 'HTTP 500' });
    expect(written).toBeLessThan(64 * 1024 * 1024);
    expect(MAX_ANSWER_BYTES).toBe(4096);
  });
  it('refuses a private address without connecting', async () => {
    expect(await send('https://10.9.8.7/hook', '{}', {})).toEqual({
      ok: false,
      status: null,
      reason: 'refused: the URL resolves to a private address',
    });
  });
  it('refuses loopback unless allowed', async () => {
    const strict = createSender({ allowLoopback: false });
    const before = hits.length;
    expect(await strict(url('/strict'), '{}', {})).toMatchObject({
      ok: false,
      reason: 'refused: the URL must use https',
    });
    expect(hits.length).toBe(before);
  });
});
