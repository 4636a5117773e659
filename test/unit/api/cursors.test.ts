import {
  decodeActivityCursor,
  decodeCrashCursor,
  decodeIssueCursor,
  encodeActivityCursor,
  encodeCrashCursor,
  encodeIssueCursor,
  type IssueListing,
} from '../../../functions/src/api/cursors';
import { DumpcatcherError } from '../../../functions/src/shared/errors';

const LISTING: IssueListing = { productKey: 'pk_product_1', sort: 'lastSeen', status: null, filter: null };
const ID = 'ab'.repeat(32);

function paramOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (!(err instanceof DumpcatcherError)) throw err;
    expect(err.httpStatus).toBe(400);
    return (err.details as { issues: Array<{ path: string }> }).issues.map((i) => i.path).join(',');
  }
  return 'accepted';
}

describe('issue listing cursor', () => {
  it('reads back the sort value and id it was made from', () => {
    const cursor = encodeIssueCursor(LISTING, 1_764_000_000_123, ID);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeIssueCursor(cursor, LISTING)).toEqual({ value: 1_764_000_000_123, id: ID });
  });

  it.each([
    ['another product', { ...LISTING, productKey: 'pk_product_2' }],
    ['another sort', { ...LISTING, sort: 'count' as const }],
    ['a status filter the cursor was not made with', { ...LISTING, status: 'resolved' as const }],
    ['a search or filter the cursor was not made with', { ...LISTING, filter: '0123456789abcdef' }],
  ])('is refused by %s, naming cursor', (_name, listing) => {
    const cursor = encodeIssueCursor(LISTING, 5, ID);
    expect(paramOf(() => decodeIssueCursor(cursor, listing))).toBe('cursor');
  });

  it('of a filtered listing reads back only with the same filters, and is refused unfiltered', () => {
    const filtered = { ...LISTING, filter: 'fedcba9876543210' };
    const cursor = encodeIssueCursor(filtered, 7, ID);
    expect(decodeIssueCursor(cursor, filtered)).toEqual({ value: 7, id: ID });
    expect(paramOf(() => decodeIssueCursor(cursor, LISTING))).toBe('cursor');
  });

  it.each([
    ['not base64url JSON', '!!!'],
    ['JSON of another shape', Buffer.from('{"a":1}').toString('base64url')],
    [
      'an id that is not an issue id',
      Buffer.from(JSON.stringify({ k: 'pk_product_1', s: 'lastSeen', st: null, v: 1, id: '../x' })).toString(
        'base64url',
      ),
    ],
    ['a valid cursor with a character added', encodeIssueCursor(LISTING, 5, ID) + '.'],
    [
      'a negative sort value',
      Buffer.from(JSON.stringify({ k: 'pk_product_1', s: 'lastSeen', st: null, v: -1, id: ID })).toString('base64url'),
    ],
  ])('refuses %s, naming cursor', (_name, text) => {
    expect(paramOf(() => decodeIssueCursor(text, LISTING))).toBe('cursor');
  });
});

describe('crash feed cursor', () => {
  it('reads back the time and id of the newest crash, or the start of the feed', () => {
    const id = 'c'.repeat(40);
    expect(decodeCrashCursor(encodeCrashCursor('pk_product_1', 1_764_000_000_123_456, id), 'pk_product_1')).toEqual({
      receivedAtUs: 1_764_000_000_123_456,
      id,
    });
    expect(decodeCrashCursor(encodeCrashCursor('pk_product_1', 0, ''), 'pk_product_1')).toEqual({
      receivedAtUs: 0,
      id: '',
    });
  });

  it("refuses another product's cursor, an issue cursor and garbage, naming after", () => {
    const other = encodeCrashCursor('pk_product_2', 1, 'a'.repeat(40));
    expect(paramOf(() => decodeCrashCursor(other, 'pk_product_1'))).toBe('after');
    expect(paramOf(() => decodeCrashCursor(encodeIssueCursor(LISTING, 5, ID), 'pk_product_1'))).toBe('after');
    expect(paramOf(() => decodeCrashCursor('e30', 'pk_product_1'))).toBe('after');
  });
});

describe('activity cursor', () => {
  it.each([
    ['a random id', 'Qm1xT0aB3cD4eF5gH6iJ'],
    ['a regression', 'regressed-1764000000123'],
    ['a merge', `merged-${'cd'.repeat(32)}`],
  ])('reads back the time and id of an entry with %s', (_kind, id) => {
    const cursor = encodeActivityCursor('pk_product_1', ID, 1_764_000_000_123, id);
    expect(decodeActivityCursor(cursor, 'pk_product_1', ID)).toEqual({ atMs: 1_764_000_000_123, id });
  });

  it("refuses another issue's cursor and an id no entry has, naming cursor", () => {
    const other = encodeActivityCursor('pk_product_1', 'cd'.repeat(32), 1, 'x');
    expect(paramOf(() => decodeActivityCursor(other, 'pk_product_1', ID))).toBe('cursor');
    const bad = encodeActivityCursor('pk_product_1', ID, 1, 'a/b');
    expect(paramOf(() => decodeActivityCursor(bad, 'pk_product_1', ID))).toBe('cursor');
  });
});
