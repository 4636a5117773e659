import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gzip } from 'node:zlib';
import { computeSignature } from './signing.ts';
import type { QueueEntry } from './queue.ts';
import { createSocketPoster } from './socket-transport.ts';

/** What one send attempt came to; expected outcomes are values, not exceptions. */
export type SendResult =
  | { kind: 'delivered'; status: number; duplicate: boolean }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'unauthorized'; serverDateMs?: number }
  | { kind: 'drop'; status: number; reason: string };

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

/** Milliseconds a `Retry-After` value (seconds or HTTP date) asks for, or undefined. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Classifies an ingest answer per docs/protocol.md ("Answers"). */
export function classifyAnswer(
  status: number,
  headers: { date?: string | undefined; 'retry-after'?: string | string[] | undefined },
  body: string,
  nowMs: number,
): SendResult {
  if (status === 200 || status === 202) {
    let duplicate = false;
    // Most answers are a new report's `{"id":…}`: no need to parse those.
    if (body.includes('duplicate')) {
      try {
        duplicate = (JSON.parse(body) as { duplicate?: unknown }).duplicate === true;
      } catch {
        // A delivered answer without a JSON body is still delivered.
      }
    }
    return { kind: 'delivered', status, duplicate };
  }
  if (status === 401) {
    const date = headers.date === undefined ? NaN : Date.parse(headers.date);
    return Number.isNaN(date) ? { kind: 'unauthorized' } : { kind: 'unauthorized', serverDateMs: date };
  }
  if (status === 429 || status >= 500) {
    const header = headers['retry-after'];
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfter(Array.isArray(header) ? header[0] : header, nowMs) : undefined;
    return retryAfterMs === undefined
      ? { kind: 'retry', reason: `HTTP ${status}` }
      : { kind: 'retry', reason: `HTTP ${status}`, retryAfterMs };
  }
  if (status >= 400) {
    let code = '';
    try {
      const parsed = JSON.parse(body) as { error?: { code?: unknown } };
      if (typeof parsed.error?.code === 'string') code = ` ${parsed.error.code}`;
    } catch {
      // No JSON error body.
    }
    return { kind: 'drop', status, reason: `HTTP ${status}${code}` };
  }
  return { kind: 'retry', reason: `unexpected HTTP ${status}` };
}

/** Proxy variables that make the transport go through node:http instead of its own sockets. */
export const PROXY_ENV_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

/** Requests in flight at once (and sockets open at once) per client. */
export const MAX_SOCKETS = 4;

/** Whether the lean socket client can carry requests to this endpoint with this environment. */
export function socketClientUsable(base: URL, env: Record<string, string | undefined>): boolean {
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return false;
  if (base.username !== '' || base.password !== '') return false;
  // node:http ignores these variables today, but an app (or a later Node) may make it honour
  // them; the lean client never would, so it stays out of the way whenever one is set.
  return PROXY_ENV_VARS.every((name) => !env[name]);
}

type Post = (path: string, headers: Record<string, string>, body: Buffer) => Promise<SendResult>;

/** One POST over node:http / node:https and a keep-alive agent (used where the socket client is not). */
function createAgentPost(base: URL, settings: TransportSettings): { post: Post; destroy: () => void } {
  const isHttps = base.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS, ...(settings.ca ? { ca: settings.ca } : {}) };
  const agent = isHttps ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const basePath = base.pathname.replace(/\/+$/, '');

  // Built once: a URL object per request costs more than the rest of the request setup.
  const requestBase = {
    protocol: base.protocol,
    hostname: base.hostname.replace(/^\[|\]$/g, ''),
    port: base.port === '' ? (isHttps ? 443 : 80) : Number(base.port),
    method: 'POST',
    agent,
  };

  const post: Post = (path, headers, body) =>
    new Promise((resolve) => {
      let settled = false;
      const done = (result: SendResult): void => {
        if (!settled) {
          settled = true;
          resolve(result);
        }
      };
      headers['Content-Length'] = String(body.length);
      const options = { ...requestBase, path: basePath + path, headers };
      const onAnswer = (res: IncomingMessage): void => {
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
        // The SDK must never keep the process alive: the exit hook holds it open when it wants to.
        req.on('socket', (socket) => socket.unref());
        req.setTimeout(settings.requestTimeoutMs, () => {
          req.destroy(new Error(`no answer within ${settings.requestTimeoutMs} ms`));
        });
        req.on('error', (err) => done({ kind: 'retry', reason: `network: ${err.message}` }));
        req.end(body);
      } catch (err) {
        done({ kind: 'retry', reason: `request failed: ${err instanceof Error ? err.message : String(err)}` });
      }
    });
  return { post, destroy: () => agent.destroy() };
}

/** One POST as a request head written by hand on the socket client's own kept-alive sockets. */
function createSocketPost(base: URL, settings: TransportSettings): { post: Post; destroy: () => void } {
  const secure = base.protocol === 'https:';
  const poster = createSocketPoster({
    host: base.hostname.replace(/^\[|\]$/g, ''),
    port: base.port === '' ? (secure ? 443 : 80) : Number(base.port),
    secure,
    timeoutMs: settings.requestTimeoutMs,
    maxSockets: MAX_SOCKETS,
    ...(settings.ca ? { ca: settings.ca } : {}),
  });
  const basePath = base.pathname.replace(/\/+$/, '');
  // URL.host is ASCII (punycode, percent-encoding), brackets kept for IPv6, port only when not the default.
  const hostLine = `Host: ${base.host}\r\n`;
  const post: Post = async (path, headers, body) => {
    let head = `POST ${basePath}${path} HTTP/1.1\r\n${hostLine}`;
    for (const name in headers) head += `${name}: ${headers[name] as string}\r\n`;
    head += `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`;
    const answer = await poster.post(head, body);
    return answer.kind === 'answer'
      ? classifyAnswer(answer.status, answer.headers, answer.body, settings.now())
      : { kind: 'retry', reason: answer.reason };
  };
  return { post, destroy: () => poster.destroy() };
}

/**
 * Creates the HTTP transport: its own HTTP/1.1 client on kept-alive node:net / node:tls
 * sockets, or node:http / node:https when a proxy variable is set; sockets never hold the process.
 */
export function createTransport(settings: TransportSettings): Transport {
  const base = new URL(settings.endpoint);
  const { post, destroy } = socketClientUsable(base, settings.env ?? process.env)
    ? createSocketPost(base, settings)
    : createAgentPost(base, settings);

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
