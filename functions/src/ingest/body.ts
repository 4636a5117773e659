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

/** Depth of the deepest object/array in already-parsed JSON, stopping once past `limit`. */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth > limit) return true;
    const children = Array.isArray(item.value) ? item.value : Object.values(item.value as object);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: item.depth + 1 });
    }
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
