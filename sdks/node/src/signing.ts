import { createHash, createHmac } from 'node:crypto';

/** First line of every v1 string to sign; names the algorithm and version. */
export const SIGNING_ALGORITHM = 'DUMPCATCHER1-HMAC-SHA256';

/** The signed facts of one request, exactly as they appear on the wire. */
export interface SigningInput {
  method: string;
  path: string;
  productKey: string;
  clientId: string;
  counter: string;
  timestamp: string;
  bodyEncoding: 'identity' | 'gzip';
  body: Uint8Array;
}

/** Lowercase hex SHA-256 of the body bytes as sent. */
export function hashBody(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
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

/** Computes the `X-Dumpcatcher-Signature` header value (`v1=` + hex HMAC-SHA256). */
export function computeSignature(secret: string, input: SigningInput): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(buildStringToSign(input), 'utf8');
  return 'v1=' + mac.digest('hex');
}
