import { createHmac, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../shared/sha256';

/** First line of every v1 string to sign; names the algorithm and version. */
export const SIGNING_ALGORITHM = 'DUMPCATCHER1-HMAC-SHA256';

/** Prefix of the signature header value for protocol v1. */
export const SIGNATURE_PREFIX = 'v1=';

/** The signed facts of one request, exactly as they appear on the wire. */
export interface SigningInput {
  method: string;
  path: string;
  productKey: string;
  clientId: string;
  counter: string;
  timestamp: string;
  bodyEncoding: string;
  body: Uint8Array;
}

/** Lowercase hex SHA-256 of the body bytes as sent. */
export function hashBody(body: Uint8Array): string {
  return sha256Hex(body);
}

/** Builds the nine-line v1 string to sign (no trailing newline). */
export function buildStringToSign(input: SigningInput): string {
  return [
    SIGNING_ALGORITHM,
    input.method,
    input.path,
    input.productKey,
    input.clientId,
    input.counter,
    input.timestamp,
    input.bodyEncoding,
    hashBody(input.body),
  ].join('\n');
}

/** Computes the `X-Dumpcatcher-Signature` header value for a request. */
export function computeSignature(secret: string, input: SigningInput): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(buildStringToSign(input), 'utf8');
  return SIGNATURE_PREFIX + mac.digest('hex');
}

const SIGNATURE_PATTERN = /^v1=[0-9a-f]{64}$/;

/** True when `signature` is a well-formed v1 signature of `input` under any of `secrets`. */
export function verifySignature(secrets: readonly string[], input: SigningInput, signature: string): boolean {
  if (!SIGNATURE_PATTERN.test(signature)) return false;
  const given = Buffer.from(signature.slice(SIGNATURE_PREFIX.length), 'hex');
  const stringToSign = buildStringToSign(input);
  let match = false;
  // Every secret is checked, so timing does not reveal which one (if any) matched.
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(stringToSign, 'utf8').digest();
    if (timingSafeEqual(expected, given)) match = true;
  }
  return match;
}
