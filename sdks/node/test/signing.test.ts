import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStringToSign, computeSignature, hashBody } from '../src/signing.ts';

interface Vector {
  name: string;
  secret: string;
  method: string;
  path: string;
  productKey: string;
  clientId: string;
  counter: string;
  timestamp: string;
  bodyEncoding: 'identity' | 'gzip';
  bodyBase64: string;
  bodySha256: string;
  stringToSign: string;
  signature: string;
}

const file = JSON.parse(readFileSync(join(__dirname, '../../../test/vectors/signing-v1.json'), 'utf8')) as {
  vectors: Vector[];
};

describe('signing (shared v1 vectors)', () => {
  it('has vectors to check', () => {
    expect(file.vectors.length).toBeGreaterThanOrEqual(5);
  });

  describe.each(file.vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const input = {
      method: v.method,
      path: v.path,
      productKey: v.productKey,
      clientId: v.clientId,
      counter: v.counter,
      timestamp: v.timestamp,
      bodyEncoding: v.bodyEncoding,
      body: Buffer.from(v.bodyBase64, 'base64'),
    };

    it('hashes the body as sent', () => {
      expect(hashBody(input.body)).toBe(v.bodySha256);
    });

    it('builds the string to sign', () => {
      expect(buildStringToSign(input)).toBe(v.stringToSign);
    });

    it('computes the signature', () => {
      expect(computeSignature(v.secret, input)).toBe(v.signature);
    });
  });
});
