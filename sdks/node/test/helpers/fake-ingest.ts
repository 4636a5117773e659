import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { verifySignature } from '../../../../functions/src/ingest/signing';

// The ingest's limit, as sent and after gunzip (docs/protocol.md#limits).
const MAX_BODY_BYTES = 1024 * 1024;

/** One request as the fake ingest saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  body: Record<string, unknown>;
  signatureValid: boolean;
  timestampSkewOk: boolean;
  receivedAt: number;
  answeredStatus: number;
}

/** A scripted answer. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeIngestOptions {
  secret: string;
  productKey: string;
  /** The ingest's clock, ms; lets a test give the server a different time than the client. */
  serverNow?: () => number;
  /** Answers used in order before the normal behaviour. */
  script?: Answer[];
  /** Called when a request arrives, before answering (e.g. to look at the queue folder). */
  onRequest?: (req: RecordedRequest) => void;
  port?: number;
}

/** A loopback HTTP server that checks v1 signatures and answers like the real ingest. */
export interface FakeIngest {
  url: string;
  port: number;
  requests: RecordedRequest[];
  script: Answer[];
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** Starts the fake ingest on 127.0.0.1 (a random port unless one is given). */
export async function startFakeIngest(options: FakeIngestOptions): Promise<FakeIngest> {
  const serverNow = options.serverNow ?? (() => Date.now());
  const requests: RecordedRequest[] = [];
  const script = [...(options.script ?? [])];
  const stored = new Map<string, string>();
  const waiters: Array<() => void> = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const h = req.headers;
      const encoding = header(h, 'x-dumpcatcher-body-encoding') || 'identity';
      const path = req.url ?? '';
      const timestamp = header(h, 'x-dumpcatcher-timestamp');
      const signatureValid = verifySignature(
        [options.secret],
        {
          method: req.method ?? '',
          path,
          productKey: header(h, 'x-dumpcatcher-key'),
          clientId: header(h, 'x-dumpcatcher-client'),
          counter: header(h, 'x-dumpcatcher-counter'),
          timestamp,
          bodyEncoding: encoding,
          body: rawBody,
        },
        header(h, 'x-dumpcatcher-signature'),
      );
      const timestampSkewOk = Math.abs(Number(timestamp) - serverNow() / 1000) <= 300;
      let body: Record<string, unknown>;
      let plainBytes = rawBody.length;
      try {
        const plain = encoding === 'gzip' ? gunzipSync(rawBody) : rawBody;
        plainBytes = plain.length;
        body = JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
      } catch {
        body = {};
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path,
        headers: h,
        rawBody,
        body,
        signatureValid,
        timestampSkewOk,
        receivedAt: Date.now(),
        answeredStatus: 0,
      };
      options.onRequest?.(recorded);
      let answer: Answer;
      const scripted = script.shift();
      if (scripted) {
        answer = scripted;
      } else if (rawBody.length > MAX_BODY_BYTES || plainBytes > MAX_BODY_BYTES) {
        answer = {
          status: 413,
          body: { error: { code: 'payload_too_large', details: { limitBytes: MAX_BODY_BYTES } } },
        };
      } else if (!signatureValid || !timestampSkewOk || header(h, 'x-dumpcatcher-key') !== options.productKey) {
        answer = { status: 401, body: { error: { code: 'unauthenticated', message: 'unauthenticated' } } };
      } else {
        const key = `${header(h, 'x-dumpcatcher-client')}/${header(h, 'x-dumpcatcher-counter')}`;
        const reportId = String(body.reportId);
        const earlier = stored.get(key);
        if (earlier === undefined) {
          stored.set(key, reportId);
          answer = { status: 202, body: { id: key } };
        } else if (earlier === reportId) {
          answer = { status: 200, body: { id: key, duplicate: true } };
        } else {
          answer = { status: 409, body: { error: { code: 'counter_reused', message: 'counter reused' } } };
        }
      }
      recorded.answeredStatus = answer.status;
      requests.push(recorded);
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        Date: new Date(serverNow()).toUTCString(),
        ...answer.headers,
      };
      res.writeHead(answer.status, headers);
      res.end(JSON.stringify(answer.body ?? {}));
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script,
    async waitForRequests(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline)
          throw new Error(`fake ingest: ${requests.length} of ${count} requests after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
