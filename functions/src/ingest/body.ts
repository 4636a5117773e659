import { gunzipSync } from 'node:zlib';
import { DumpcatcherError } from '../shared/errors';

/** Largest body accepted, as sent and after decompression. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deepest nesting of objects and arrays accepted in a body. */
export const MAX_JSON_DEPTH = 32;

function tooLarge(what: string): DumpcatcherError {
  return new DumpcatcherError('payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes ${what}.`, {
    details: { limitBytes: MAX_BODY_BYTES },
  });
}

/** Rejects a body that is over the limit as sent. */
export function checkSentSize(body: Uint8Array): void {
  if (body.byteLength > MAX_BODY_BYTES) throw tooLarge('as sent');
}

/** Gunzips with a hard output bound, so a gzip bomb never inflates past the limit. */
export function decodeBody(body: Buffer, encoding: 'identity' | 'gzip'): Buffer {
  if (encoding === 'identity') return body;
  try {
    return gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge('after gunzip');
    }
    throw new DumpcatcherError('invalid_body', 'The body is not valid gzip.', { details: { encoding: 'gzip' } });
  }
}

/**
 * True when already-parsed JSON nests objects/arrays deeper than `limit`. Recursive, but it
 * stops one level past the limit, so it never goes deeper than `limit + 1` calls; it allocates
 * nothing (this runs on every request).
 */
export function jsonDepthExceeds(value: unknown, limit: number, depth = 1): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > limit) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (jsonDepthExceeds(value[i], limit, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (jsonDepthExceeds((value as Record<string, unknown>)[key], limit, depth + 1)) return true;
  }
  return false;
}

/** Nesting depth of JSON text, found by scanning brackets outside strings (no parse). */
export function textDepthExceeds(text: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function tooDeep(): DumpcatcherError {
  return new DumpcatcherError('too_deep', `JSON nesting is deeper than ${MAX_JSON_DEPTH} levels.`, {
    details: { maxDepth: MAX_JSON_DEPTH },
  });
}

/** Parses decoded body bytes as JSON, refusing nesting past the limit before parsing. */
export function parseJsonBody(text: Buffer): unknown {
  if (textDepthExceeds(text, MAX_JSON_DEPTH)) throw tooDeep();
  try {
    return JSON.parse(text.toString('utf8'));
  } catch {
    throw new DumpcatcherError('invalid_json', 'The body is not valid JSON.');
  }
}

/** Checks a body that the HTTP layer already parsed as JSON. */
export function checkParsedDepth(value: unknown): unknown {
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) throw tooDeep();
  return value;
}
