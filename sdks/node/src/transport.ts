import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gzip } from 'node:zlib';
import type { SendResult } from './answers.ts';
import { markOwnRequest } from './auto-breadcrumbs.ts';
import { classifyAnswer } from './answers.ts';
import { computeSignature } from './signing.ts';
import { timerDelay } from './timers.ts';
import type { QueueEntry } from './queue.ts';
import { proxyAuthorization, proxyFor, TunnelingAgent } from './proxy.ts';

/** Sends queued reports to the ingest; signs each attempt afresh. */
export interface Transport {
  /** `bodyJson` is `JSON.stringify(entry.body)` when the caller already has it. */
  send(entry: QueueEntry, timestampSeconds: number, bodyJson?: string): Promise<SendResult>;
  /** Closes idle keep-alive sockets. */
  destroy(): void;
}

/** Settings the transport needs from the client options. */
export interface TransportSettings {
  endpoint: string;
  productKey: string;
  secret: string;
  gzipThresholdBytes: number;
  requestTimeoutMs: number;
  now: () => number;
  /** Where proxy variables are read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Trusted certificates instead of Node's default store (tests only). */
  ca?: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;

function gzipAsync(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(data, (err, out) => (err ? reject(err) : resolve(out))));
}

/** Requests in flight at once (and sockets open at once) per client. */
export const MAX_SOCKETS = 4;

/**
 * A kept-alive socket idle for this long is closed rather than reused: Node servers (the
 * Functions Framework's included) close idle ones after 5 s, and a request written onto a
 * socket the server is closing is lost.
 */
export const IDLE_SOCKET_MS = 4000;

type Post = (path: string, headers: Record<string, string>, body: Buffer) => Promise<SendResult>;

/** The agent and request target for `base`: direct, through an HTTP proxy, or through a CONNECT tunnel. */
function createRoute(
  base: URL,
  settings: TransportSettings,
): {
  agent: HttpAgent;
  isHttps: boolean;
  target: Record<string, unknown>;
  pathPrefix: string;
  extraHeaders: Record<string, string>;
} {
  const isHttps = base.protocol === 'https:';
  const proxy = proxyFor(base, settings.env ?? process.env);
  const agentOptions = {
    keepAlive: true,
    maxSockets: MAX_SOCKETS,
    // The agent applies this to idle sockets only; a request in flight has its own timeout.
    timeout: IDLE_SOCKET_MS,
    ...(settings.ca ? { ca: settings.ca } : {}),
  };
  const basePath = base.pathname.replace(/\/+$/, '');
  const direct = {
    hostname: base.hostname.replace(/^\[|\]$/g, ''),
    port: base.port === '' ? (isHttps ? 443 : 80) : Number(base.port),
  };
  if (proxy && isHttps) {
    // TLS end to end inside the tunnel: the request itself is the same as a direct one.
    return {
      agent: new TunnelingAgent(proxy, timerDelay(settings.requestTimeoutMs), agentOptions),
      isHttps,
      target: direct,
      pathPrefix: basePath,
      extraHeaders: {},
    };
  }
  if (proxy) {
    // Plain HTTP through a proxy: the absolute URL as the request target, as every proxy expects.
    return {
      agent: new HttpAgent(agentOptions),
      isHttps: false,
      target: { hostname: proxy.hostname.replace(/^\[|\]$/g, ''), port: proxy.port === '' ? 80 : Number(proxy.port) },
      pathPrefix: `${base.protocol}//${base.host}${basePath}`,
      extraHeaders: { Host: base.host, ...proxyAuthorization(proxy) },
    };
  }
  return {
    agent: isHttps ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions),
    isHttps,
    target: direct,
    pathPrefix: basePath,
    extraHeaders: {},
  };
}

/** One POST over node:http / node:https with a keep-alive agent. */
function createAgentPost(base: URL, settings: TransportSettings): { post: Post; destroy: () => void } {
  const { agent, isHttps, target, pathPrefix, extraHeaders } = createRoute(base, settings);
  // Built once: a URL object per request costs more than the rest of the request setup.
  const requestBase = { ...target, method: 'POST', agent };
  const timeoutMs = timerDelay(settings.requestTimeoutMs);

  const attempt = (
    path: string,
    headers: Record<string, string>,
    body: Buffer,
    mayResend: boolean,
  ): Promise<SendResult> =>
    new Promise((resolve) => {
      let settled = false;
      let answered = false;
      const done = (result: SendResult): void => {
        if (!settled) {
          settled = true;
          resolve(result);
        }
      };
      const options = { ...requestBase, path: pathPrefix + path, headers: { ...extraHeaders, ...headers } };
      const onAnswer = (res: IncomingMessage): void => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
        });
        res.on('end', () =>
          done(
            classifyAnswer(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'), settings.now()),
          ),
        );
        res.on('error', (err) => done({ kind: 'retry', reason: `answer error: ${err.message}` }));
      };
      try {
        const req = isHttps ? httpsRequest(options, onAnswer) : httpRequest(options, onAnswer);
        // The ingest's requests are not the app's: no breadcrumb records them.
        markOwnRequest(req);
        // The SDK must never keep the process alive: the exit hook holds it open when it wants to.
        req.on('socket', (socket) => socket.unref());
        req.setTimeout(timeoutMs, () => {
          req.destroy(new Error(`no answer within ${timeoutMs} ms`));
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (settled) return;
          // A kept-alive socket the server closed just as it was reused: nothing of the answer
          // came, so the same request goes once more on a new socket (the ingest answers
          // `200 duplicate` should it have stored the first one after all).
          if (mayResend && req.reusedSocket && !answered && err.code === 'ECONNRESET') {
            attempt(path, headers, body, false).then(done, () =>
              done({ kind: 'retry', reason: `network: ${err.message}` }),
            );
            return;
          }
          done({ kind: 'retry', reason: `network: ${err.message}` });
        });
        req.end(body);
      } catch (err) {
        done({ kind: 'retry', reason: `request failed: ${err instanceof Error ? err.message : String(err)}` });
      }
    });

  return {
    post: (path, headers, body) => {
      headers['Content-Length'] = String(body.length);
      return attempt(path, headers, body, true);
    },
    destroy: () => agent.destroy(),
  };
}

/**
 * Creates the HTTP transport: node:http / node:https with a keep-alive agent, through the
 * proxy the environment names (docs/sdk-node.md); its sockets never hold the process.
 */
export function createTransport(settings: TransportSettings): Transport {
  const base = new URL(settings.endpoint);
  const { post, destroy } = createAgentPost(base, settings);

  return {
    async send(entry, timestampSeconds, bodyJson) {
      let body: Buffer = Buffer.from(bodyJson ?? JSON.stringify(entry.body), 'utf8');
      let encoding: 'identity' | 'gzip' = 'identity';
      if (body.length >= settings.gzipThresholdBytes) {
        body = await gzipAsync(body);
        encoding = 'gzip';
      }
      const counter = String(entry.counter);
      const timestamp = String(timestampSeconds);
      const signature = computeSignature(settings.secret, {
        method: 'POST',
        path: entry.path,
        productKey: settings.productKey,
        clientId: entry.clientId,
        counter,
        timestamp,
        bodyEncoding: encoding,
        body,
      });
      const headers: Record<string, string> = {
        'Content-Type': encoding === 'gzip' ? 'application/octet-stream' : 'application/json',
        'X-Dumpcatcher-Key': settings.productKey,
        'X-Dumpcatcher-Client': entry.clientId,
        'X-Dumpcatcher-Counter': counter,
        'X-Dumpcatcher-Timestamp': timestamp,
        'X-Dumpcatcher-Body-Encoding': encoding,
        'X-Dumpcatcher-Signature': signature,
        'User-Agent': 'dumpcatcher-node/0.1.0',
      };
      return post(entry.path, headers, body);
    },
    destroy,
  };
}
