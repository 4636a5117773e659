/**
 * The network between a program and the ingest, for the end-to-end tests: a closed port, a TCP
 * proxy that resets or slows connections, and an HTTP proxy that records every exchange.
 */
import { request as httpRequest, createServer as createHttpServer } from 'node:http';
import { createServer, Socket } from 'node:net';

/** An http URL on 127.0.0.1 where nothing listens (a port that was just free). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetUrl`: its first `failFirst` connections are reset
 * as soon as they are accepted (a network that fails, then recovers), and every forwarded
 * connection waits `delayMs` before its first byte goes through (a slow network).
 */
export async function startProxy(targetUrl: string, options: { failFirst?: number; delayMs?: number } = {}) {
  const target = new URL(targetUrl);
  let connections = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    connections += 1;
    track(client);
    if (connections <= (options.failFirst ?? 0)) {
      client.resetAndDestroy();
      return;
    }
    client.pause();
    const upstream = new Socket();
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const timer = setTimeout(() => {
      upstream.connect(Number(target.port), target.hostname, () => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    }, options.delayMs ?? 0);
    client.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One request that went through a recording proxy, and the status the ingest answered. */
export interface Exchange {
  clientId: string;
  counter: string;
  at: number;
  /** `X-Dumpcatcher-Body-Encoding` as sent (`identity` when absent). */
  encoding: string;
  status: number;
  retryAfter: string | undefined;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of `targetUrl` that forwards every request byte for
 * byte and records, per request, the client id and counter headers, when it arrived and what
 * the ingest answered.
 */
export async function startRecordingProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const exchanges: Exchange[] = [];
  const server = createHttpServer((req, res) => {
    const at = Date.now();
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        exchanges.push({
          clientId: String(req.headers['x-dumpcatcher-client']),
          counter: String(req.headers['x-dumpcatcher-counter']),
          encoding: String(req.headers['x-dumpcatcher-body-encoding'] ?? 'identity'),
          at,
          status: answer.statusCode ?? 0,
          retryAfter: answer.headers['retry-after'],
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    exchanges,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
