import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { markOwnRequest } from '../../src/auto-breadcrumbs.ts';

/** A real HTTP proxy on loopback: CONNECT tunnels and absolute-URL forwarding, recorded. */
export interface TestProxy {
  url: string;
  /** `CONNECT host:port` or `POST http://…` for each request it carried, in order. */
  seen: string[];
  /** `Proxy-Authorization` of each request, or '' when absent. */
  authorizations: string[];
  close(): Promise<void>;
}

/** Starts the proxy; `refuseConnect` makes it answer 403 to every CONNECT. */
export async function startTestProxy(options: { refuseConnect?: boolean } = {}): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const proxy: TestProxy = { url: '', seen: [], authorizations: [], close: async () => {} };
  const record = (req: IncomingMessage): void => {
    proxy.seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    proxy.authorizations.push(req.headers['proxy-authorization'] ?? '');
  };
  const server: Server = createServer((req, res) => {
    record(req);
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // A real proxy is another machine: what it forwards is not the app's request, and no
    // breadcrumb of the test's client may record it.
    markOwnRequest(upstream);
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    record(req);
    client.on('error', () => undefined);
    if (options.refuseConnect) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/) as [string, string];
    const upstream = connect(Number(port), host.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
