import * as crypto from 'node:crypto';

type OneShotHash = (algorithm: string, data: string | Uint8Array, outputEncoding: 'hex') => string;

/** `crypto.hash` (Node 20.12+): one call, no Hash object for the garbage collector to finalize. */
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

/** Lowercase hex SHA-256 of `data` (a string is hashed as UTF-8). */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot !== undefined
    ? oneShot('sha256', data, 'hex')
    : crypto.createHash('sha256').update(data).digest('hex');
}
