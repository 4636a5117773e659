import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildStringToSign,
  computeSignature,
  hashBody,
  verifySignature,
  type SigningInput,
} from '../../../functions/src/ingest/signing';

interface Vector {
  name: string;
  secret: string;
  method: string;
  path: string;
  productKey: string;
  clientId: string;
  counter: string;
  timestamp: string;
  bodyEncoding: string;
  bodyBase64: string;
  bodySha256: string;
  stringToSign: string;
  signature: string;
}

const vectors = (
  JSON.parse(readFileSync(join(__dirname, '../../vectors/signing-v1.json'), 'utf8')) as { vectors: Vector[] }
).vectors;

function inputOf(v: Vector): SigningInput {
  return {
    method: v.method,
    path: v.path,
    productKey: v.productKey,
    clientId: v.clientId,
    counter: v.counter,
    timestamp: v.timestamp,
    bodyEncoding: v.bodyEncoding,
    body: Buffer.from(v.bodyBase64, 'base64'),
  };
}

describe('signing-v1 vectors', () => {
  it('has at least six vectors, including gzip and non-ASCII ones', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(6);
    expect(vectors.some((v) => v.bodyEncoding === 'gzip')).toBe(true);
    expect(vectors.some((v) => [...v.secret].some((c) => c.charCodeAt(0) > 127))).toBe(true);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s: body hash, string to sign and signature match', (_name, v) => {
    const input = inputOf(v);
    expect(hashBody(input.body)).toBe(v.bodySha256);
    expect(buildStringToSign(input)).toBe(v.stringToSign);
    expect(computeSignature(v.secret, input)).toBe(v.signature);
    expect(verifySignature([v.secret], input, v.signature)).toBe(true);
  });
});

describe('verifySignature', () => {
  const v = vectors[0]!;
  const input = inputOf(v);

  it('rejects a body changed after signing', () => {
    expect(
      verifySignature([v.secret], { ...input, body: Buffer.concat([input.body, Buffer.from(' ')]) }, v.signature),
    ).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    expect(verifySignature(['another-secret'], input, v.signature)).toBe(false);
  });

  it('accepts a signature made with any of the live secrets (rotation overlap)', () => {
    expect(verifySignature(['new-secret', v.secret], input, v.signature)).toBe(true);
  });

  it('rejects a signature whose counter was changed', () => {
    expect(verifySignature([v.secret], { ...input, counter: '2' }, v.signature)).toBe(false);
  });

  it.each([
    ['uppercase hex', v.signature.toUpperCase().replace('V1=', 'v1=')],
    ['no prefix', v.signature.slice(3)],
    ['a short digest', v.signature.slice(0, 40)],
    ['an empty value', ''],
  ])('rejects a malformed signature: %s', (_name, signature) => {
    expect(verifySignature([v.secret], input, signature)).toBe(false);
  });
});
