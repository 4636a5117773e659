import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { computeSignature } from '../../functions/src/ingest/signing';

/** What a signed ingest request is made of; tests override single fields to break it. */
export interface SignedRequestInput {
  baseUrl: string;
  path?: string;
  productKey: string;
  secret: string;
  clientId: string;
  counter: number | string;
  body: Buffer | string | object;
  encoding?: 'identity' | 'gzip';
  timestamp?: number | string;
  headers?: Record<string, string>;
  signature?: string;
}

/** The headers and body bytes of a protocol v1 request. */
export function buildSignedRequest(input: SignedRequestInput): { url: string; headers: Record<string, string>; body: Buffer } {
  const path = input.path ?? '/v1/crashes';
  const encoding = input.encoding ?? 'identity';
  const json = Buffer.isBuffer(input.body) ? input.body : Buffer.from(typeof input.body === 'string' ? input.body : JSON.stringify(input.body), 'utf8');
  const body = encoding === 'gzip' && !Buffer.isBuffer(input.body) ? gzipSync(json) : json;
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const counter = String(input.counter);
  const signature =
    input.signature ??
    computeSignature(input.secret, { method: 'POST', path, productKey: input.productKey, clientId: input.clientId, counter, timestamp, bodyEncoding: encoding, body });
  const headers: Record<string, string> = {
    'Content-Type': encoding === 'gzip' ? 'application/octet-stream' : 'application/json',
    'X-Dumpcatcher-Key': input.productKey,
    'X-Dumpcatcher-Client': input.clientId,
    'X-Dumpcatcher-Counter': counter,
    'X-Dumpcatcher-Timestamp': timestamp,
    'X-Dumpcatcher-Body-Encoding': encoding,
    'X-Dumpcatcher-Signature': signature,
    ...input.headers,
  };
  return { url: input.baseUrl + path, headers, body };
}

/** Sends one signed request and returns status, headers and parsed JSON body. */
export async function sendSigned(input: SignedRequestInput): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const req = buildSignedRequest(input);
  const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, headers: res.headers, json };
}

/** A fresh random client id (22 URL-safe chars). */
export function newClientId(): string {
  return randomBytes(16).toString('base64url');
}

/** A small but realistic crash report (a real Python traceback). */
export function sampleCrash(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    reportId: randomUUID(),
    occurredAt: new Date().toISOString(),
    exception: {
      type: 'ZeroDivisionError',
      message: 'division by zero',
      stacktrace:
        'Traceback (most recent call last):\n  File "/srv/app/main.py", line 12, in <module>\n    main()\n  File "/srv/app/main.py", line 9, in main\n    ratio = total / count\n            ~~~~~~^~~~~~~\nZeroDivisionError: division by zero\n',
    },
    app: { name: 'demo-app', version: '1.0.0' },
    runtime: { name: 'python', version: '3.11.7' },
    os: { name: 'linux', arch: 'x64' },
    ...overrides,
  };
}
