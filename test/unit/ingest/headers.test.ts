import { DumpcatcherError } from '../../../functions/src/shared/errors';
import { parseIngestHeaders } from '../../../functions/src/ingest/headers';

const good = {
  'x-dumpcatcher-key': 'pk_abcdefgh',
  'x-dumpcatcher-client': 'client_12345',
  'x-dumpcatcher-counter': '42',
  'x-dumpcatcher-timestamp': '1763798400',
  'x-dumpcatcher-signature': 'v1=' + 'a'.repeat(64),
};

function errorOf(headers: Record<string, string | string[] | undefined>): DumpcatcherError {
  try {
    parseIngestHeaders(headers);
  } catch (err) {
    if (err instanceof DumpcatcherError) return err;
    throw err;
  }
  throw new Error('expected parseIngestHeaders to refuse the headers');
}

describe('parseIngestHeaders', () => {
  it('reads well-formed headers, defaulting the body encoding to identity', () => {
    expect(parseIngestHeaders(good)).toEqual({
      productKey: 'pk_abcdefgh',
      clientId: 'client_12345',
      counter: '42',
      timestamp: '1763798400',
      timestampSeconds: 1763798400,
      bodyEncoding: 'identity',
      signature: 'v1=' + 'a'.repeat(64),
    });
  });

  it('accepts the largest counter, 2^53-1', () => {
    expect(parseIngestHeaders({ ...good, 'x-dumpcatcher-counter': '9007199254740991' }).counter).toBe(
      '9007199254740991',
    );
  });

  it.each([
    ['a missing key', { 'x-dumpcatcher-key': undefined }, 'x-dumpcatcher-key', 400],
    ['a key of 7 chars', { 'x-dumpcatcher-key': 'abcdefg' }, 'x-dumpcatcher-key', 400],
    ['a key of 65 chars', { 'x-dumpcatcher-key': 'k'.repeat(65) }, 'x-dumpcatcher-key', 400],
    ['a client id with a space', { 'x-dumpcatcher-client': 'client 12345' }, 'x-dumpcatcher-client', 400],
    ['a counter of 0', { 'x-dumpcatcher-counter': '0' }, 'x-dumpcatcher-counter', 400],
    ['a counter with a leading zero', { 'x-dumpcatcher-counter': '07' }, 'x-dumpcatcher-counter', 400],
    ['a negative counter', { 'x-dumpcatcher-counter': '-1' }, 'x-dumpcatcher-counter', 400],
    ['a counter of 2^53', { 'x-dumpcatcher-counter': '9007199254740992' }, 'x-dumpcatcher-counter', 400],
    ['a timestamp with a fraction', { 'x-dumpcatcher-timestamp': '1763798400.5' }, 'x-dumpcatcher-timestamp', 400],
    ['a counter sent twice', { 'x-dumpcatcher-counter': ['1', '2'] }, 'x-dumpcatcher-counter', 400],
    ['an unknown body encoding', { 'x-dumpcatcher-body-encoding': 'deflate' }, 'x-dumpcatcher-body-encoding', 415],
    ['a Content-Encoding header', { 'content-encoding': 'gzip' }, 'content-encoding', 415],
  ] as Array<[string, Record<string, string | string[] | undefined>, string, number]>)(
    'refuses %s, naming the header',
    (_name, change, header, status) => {
      const err = errorOf({ ...good, ...change });
      expect(err.httpStatus).toBe(status);
      expect(err.details).toEqual({ header });
    },
  );
});
