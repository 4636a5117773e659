import { randomBytes, randomUUID } from 'node:crypto';

/** Pattern of client ids, install ids and product keys on the wire. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** A fresh random id: 16 random bytes, base64url without padding (22 chars). */
export function makeRandomId(bytes: (n: number) => Buffer = randomBytes): string {
  return bytes(16).toString('base64url');
}

/** A random UUID v4 for `reportId`. */
export function makeReportId(): string {
  return randomUUID();
}
