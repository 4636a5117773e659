import type { z } from 'zod';
import {
  ActivityCursorSchema,
  CrashCursorSchema,
  IssueCursorSchema,
  type ActivityCursor,
  type CrashCursor,
  type IssueCursor,
} from './schemas';
import { DumpcatcherError } from '../shared/errors';

/** A cursor as the api hands it out: base64url of its JSON. Opaque to callers. */
function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function badCursor(param: string, message: string): DumpcatcherError {
  return new DumpcatcherError('invalid_argument', `Invalid query: ${param}: ${message}.`, {
    details: { issues: [{ path: param, message }] },
  });
}

function decode<S extends z.ZodType>(schema: S, text: string, param: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badCursor(param, 'not a cursor this api handed out');
  }
  const result = schema.safeParse(json);
  // Base64url decoding skips stray characters; only the exact text we would write is accepted.
  if (!result.success || encode(result.data) !== text) throw badCursor(param, 'not a cursor this api handed out');
  return result.data;
}

/** The listing an issue cursor belongs to: a cursor of another product, sort, status or filter is refused. */
export interface IssueListing {
  productKey: string;
  sort: IssueCursor['s'];
  status: IssueCursor['st'];
  /** A hash of the search and filters; null for the unfiltered listing. */
  filter: string | null;
}

/** The `nextCursor` after a row with this sort value and id. */
export function encodeIssueCursor(listing: IssueListing, value: number, id: string): string {
  const cursor: IssueCursor = {
    k: listing.productKey,
    s: listing.sort,
    st: listing.status,
    ...(listing.filter === null ? {} : { f: listing.filter }),
    v: value,
    id,
  };
  return encode(cursor);
}

/** Reads a `cursor` parameter back: 400 invalid_argument naming `cursor` when malformed or foreign. */
export function decodeIssueCursor(text: string, listing: IssueListing): { value: number; id: string } {
  const cursor = decode(IssueCursorSchema, text, 'cursor');
  if (
    cursor.k !== listing.productKey ||
    cursor.s !== listing.sort ||
    cursor.st !== listing.status ||
    (cursor.f ?? null) !== listing.filter
  )
    throw badCursor('cursor', 'belongs to another listing (product, sort, status or filters)');
  return { value: cursor.v, id: cursor.id };
}

/** The crash feed's cursor for the newest crash seen (epoch 0 and no id before the first crash). */
export function encodeCrashCursor(productKey: string, receivedAtUs: number, id: string): string {
  const cursor: CrashCursor = { k: productKey, t: receivedAtUs, id };
  return encode(cursor);
}

/** Reads an `after` parameter back: 400 invalid_argument naming `after` when malformed or foreign. */
export function decodeCrashCursor(text: string, productKey: string): { receivedAtUs: number; id: string } {
  const cursor = decode(CrashCursorSchema, text, 'after');
  if (cursor.k !== productKey) throw badCursor('after', "belongs to another product's feed");
  return { receivedAtUs: cursor.t, id: cursor.id };
}

/** The activity cursor after an entry at `atMs` with this id. */
export function encodeActivityCursor(productKey: string, issueId: string, atMs: number, id: string): string {
  const cursor: ActivityCursor = { k: productKey, i: issueId, t: atMs, id };
  return encode(cursor);
}

/** Reads an activity `cursor` back: 400 invalid_argument naming `cursor` when malformed or of another issue. */
export function decodeActivityCursor(text: string, productKey: string, issueId: string): { atMs: number; id: string } {
  const cursor = decode(ActivityCursorSchema, text, 'cursor');
  if (cursor.k !== productKey || cursor.i !== issueId) throw badCursor('cursor', "belongs to another issue's activity");
  return { atMs: cursor.t, id: cursor.id };
}
