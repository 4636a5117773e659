import { request as httpRequest } from 'node:http';
import { markOwnRequest } from './auto-breadcrumbs.ts';
import type { ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AgentOptions as HttpsAgentOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';

/**
 * The proxy to use for `target`, read from the environment as curl and Python's urllib do:
 * `https_proxy`/`HTTPS_PROXY` for https, `http_proxy`/`HTTP_PROXY` for http (the lower-case
 * name first), unless `no_proxy`/`NO_PROXY` names the host. Null for a direct connection.
 */
export function proxyFor(target: URL, env: Record<string, string | undefined>): URL | null {
  const names = target.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const value = names.map((name) => env[name]).find((v) => v !== undefined && v.trim() !== '');
  if (value === undefined) return null;
  if (bypassesProxy(target, env.no_proxy ?? env.NO_PROXY ?? '')) return null;
  try {
    // `proxy:3128` without a scheme means an HTTP proxy, as in curl.
    const proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? value.trim() : `http://${value.trim()}`);
    return proxy.protocol === 'http:' ? proxy : null;
  } catch {
    return null;
  }
}

/**
 * Whether `no_proxy` names the target: `*`, or a comma- or space-separated list of host
 * names (each also matching its subdomains; a leading `.` or `*.` is allowed), IP literals,
 * each optionally with `:port`.
 */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort = '';
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1] ?? '';
      entryPort = bracketed[2] ?? '';
    } else if (/^[^:]+:\d+$/.test(entry)) {
      [entry, entryPort] = entry.split(':') as [string, string];
    }
    if (entryPort !== '' && entryPort !== port) continue;
    entry = entry.replace(/^\*?\.+/, '');
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** `Proxy-Authorization` for a proxy URL that carries `user:password@`, else nothing. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === '' && proxy.password === '') return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` };
}

/**
 * An https agent whose connections go through an HTTP proxy's CONNECT tunnel: TLS (with the
 * usual certificate and host name checks) runs end to end inside the tunnel, so the proxy
 * sees only the host and port. Kept-alive like any agent's sockets.
 */
export class TunnelingAgent extends HttpsAgent {
  private readonly proxy: URL;
  private readonly connectTimeoutMs: number;

  /** `proxy` is an `http://` proxy URL; `connectTimeoutMs` bounds the proxy's answer to CONNECT. */
  constructor(proxy: URL, connectTimeoutMs: number, options: HttpsAgentOptions) {
    super(options);
    this.proxy = proxy;
    this.connectTimeoutMs = connectTimeoutMs;
  }

  /** Opens the tunnel, then TLS over it; the agent waits for the callback. */
  override createConnection(
    requestOptions: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const options = requestOptions as ClientRequestArgs & ConnectionOptions;
    const host = String(options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 443);
    const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    let done = false;
    const finish = (err: Error | null, socket?: Duplex): void => {
      if (done) return;
      done = true;
      // The agent handles a failed connection as it would a refused one.
      if (err) callback?.(err, undefined as unknown as Duplex);
      else if (socket) callback?.(null, socket);
    };
    const connect = httpRequest({
      hostname: this.proxy.hostname.replace(/^\[|\]$/g, ''),
      port: this.proxy.port === '' ? 80 : Number(this.proxy.port),
      method: 'CONNECT',
      path: authority,
      headers: { Host: authority, ...proxyAuthorization(this.proxy) },
      agent: false,
    });
    markOwnRequest(connect);
    // The SDK never keeps the process alive by itself, not even while a tunnel opens.
    connect.on('socket', (socket) => socket.unref());
    connect.setTimeout(this.connectTimeoutMs, () => {
      connect.destroy(new Error(`proxy gave no answer to CONNECT within ${this.connectTimeoutMs} ms`));
    });
    connect.once('connect', (res, socket: Socket) => {
      connect.setTimeout(0);
      if (res.statusCode !== 200) {
        socket.destroy();
        finish(new Error(`proxy answered ${res.statusCode ?? '?'} to CONNECT ${authority}`));
        return;
      }
      socket.unref();
      const tlsSocket = tlsConnect({ ...options, socket, servername: options.servername ?? host });
      finish(null, tlsSocket);
    });
    connect.once('error', (err) => finish(err));
    connect.end();
    return undefined;
  }
}
