/* Regenerates test/vectors/signing-v1.json from the reference signer: `npx tsx scripts/make-vectors.ts`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildStringToSign, computeSignature, hashBody, type SigningInput } from '../functions/src/ingest/signing';

interface Case {
  name: string;
  secret: string;
  method: string;
  path: string;
  productKey: string;
  clientId: string;
  counter: string;
  timestamp: string;
  bodyEncoding: string;
  body: Buffer;
}

const crash = JSON.stringify({
  reportId: '0b8f5f0e-4a43-4c1e-9d2b-6f1f6c3f2a10',
  occurredAt: '2026-11-22T08:00:00.000Z',
  exception: {
    type: 'ValueError',
    message: 'bad value',
    stacktrace:
      'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n    main()\nValueError: bad value',
  },
  app: { name: 'demo', version: '1.2.3' },
});

const cases: Case[] = [
  {
    name: 'minimal crash, identity encoding',
    secret: 'test-secret-0123456789abcdef',
    method: 'POST',
    path: '/v1/crashes',
    productKey: 'pk_demo_01234567',
    clientId: 'client_ABCdef-123',
    counter: '1',
    timestamp: '1763798400',
    bodyEncoding: 'identity',
    body: Buffer.from(crash, 'utf8'),
  },
  {
    name: 'empty body',
    secret: 's',
    method: 'POST',
    path: '/v1/crashes',
    productKey: 'abcdefgh',
    clientId: '12345678',
    counter: '9007199254740991',
    timestamp: '0',
    bodyEncoding: 'identity',
    body: Buffer.alloc(0),
  },
  {
    name: 'non-ASCII secret and body (UTF-8 bytes)',
    secret: 'sécret-ключ-秘密-🔑',
    method: 'POST',
    path: '/v1/crashes',
    productKey: 'pk-UTF8_key',
    clientId: 'cl-über_00',
    counter: '42',
    timestamp: '1763798401',
    bodyEncoding: 'identity',
    body: Buffer.from('{"exception":{"message":"naïve ✓ 😀 \\u0000"}}', 'utf8'),
  },
  {
    name: 'gzip body is hashed as sent, not decompressed',
    secret: 'gzip-secret',
    method: 'POST',
    path: '/v1/crashes',
    productKey: 'pk_gzip_0001',
    clientId: 'client_gzip_1',
    counter: '1000',
    timestamp: '1763798402',
    bodyEncoding: 'gzip',
    body: gzipSync(Buffer.from(crash, 'utf8')),
  },
  {
    name: 'usage path',
    secret: 'usage-secret',
    method: 'POST',
    path: '/v1/usage',
    productKey: 'pk_usage_0001',
    clientId: 'client_usage_1',
    counter: '7',
    timestamp: '1763798403',
    bodyEncoding: 'identity',
    body: Buffer.from('{"metrics":{"os":"linux"}}', 'utf8'),
  },
  {
    name: 'secret with newline and spaces',
    secret: ' a b\nc ',
    method: 'POST',
    path: '/v1/crashes',
    productKey: 'KEY_with-dash',
    clientId: 'CLIENT__--',
    counter: '18446744',
    timestamp: '1763798404',
    bodyEncoding: 'identity',
    body: Buffer.from('{}\n', 'utf8'),
  },
];

const vectors = cases.map((c) => {
  const input: SigningInput = {
    method: c.method,
    path: c.path,
    productKey: c.productKey,
    clientId: c.clientId,
    counter: c.counter,
    timestamp: c.timestamp,
    bodyEncoding: c.bodyEncoding,
    body: c.body,
  };
  return {
    name: c.name,
    secret: c.secret,
    method: c.method,
    path: c.path,
    productKey: c.productKey,
    clientId: c.clientId,
    counter: c.counter,
    timestamp: c.timestamp,
    bodyEncoding: c.bodyEncoding,
    bodyBase64: c.body.toString('base64'),
    bodySha256: hashBody(c.body),
    stringToSign: buildStringToSign(input),
    signature: computeSignature(c.secret, input),
  };
});

const doc = {
  description:
    'Dumpcatcher protocol v1 signing vectors. bodyBase64 holds the exact body bytes as sent; secret is UTF-8. See docs/protocol.md.',
  algorithm: 'DUMPCATCHER1-HMAC-SHA256',
  vectors,
};
writeFileSync(join(__dirname, '..', 'test', 'vectors', 'signing-v1.json'), JSON.stringify(doc, null, 2) + '\n');
console.log(`wrote ${vectors.length} vectors`);
