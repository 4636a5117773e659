import { gzipSync } from 'node:zlib';
import { decodeMappingUpload, isUploadTokenHeader, splitChunks } from '../../../functions/src/api/mappings';
import { DumpcatcherError } from '../../../functions/src/shared/errors';
import { MAX_MAPPING_BYTES } from '../../../functions/src/grouping/retrace/schemas';

function codeOf(fn: () => unknown): [string, number] | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    if (!(err instanceof DumpcatcherError)) throw err;
    return [err.code, err.httpStatus];
  }
}

const MAPPING = 'com.acme.A -> a:\n    1:1:void run():5:5 -> a\n';

describe('decodeMappingUpload', () => {
  it('takes text as sent and gunzips a gzip body', () => {
    expect(
      decodeMappingUpload({
        bytes: Buffer.from(MAPPING),
        contentType: 'text/plain; charset=utf-8',
        contentEncoding: undefined,
      }),
    ).toBe(MAPPING);
    expect(
      decodeMappingUpload({ bytes: gzipSync(MAPPING), contentType: 'application/gzip', contentEncoding: undefined }),
    ).toBe(MAPPING);
  });

  it('refuses a gzip bomb past the limit without inflating it all (413)', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_MAPPING_BYTES + 1024, 0x20));
    expect(
      codeOf(() => decodeMappingUpload({ bytes: bomb, contentType: 'application/gzip', contentEncoding: undefined })),
    ).toEqual(['payload_too_large', 413]);
  });

  it.each([
    ['an empty body', Buffer.alloc(0), 'text/plain', undefined, ['invalid_body', 400]],
    ['a broken gzip stream', Buffer.from([0x1f, 0x8b, 0, 0]), 'application/gzip', undefined, ['invalid_body', 400]],
    ['Content-Encoding', gzipSync(MAPPING), 'text/plain', 'gzip', ['unsupported_encoding', 415]],
    ['no Content-Type', Buffer.from(MAPPING), undefined, undefined, ['unsupported_encoding', 415]],
    ['a JSON Content-Type', Buffer.from(MAPPING), 'application/json', undefined, ['unsupported_encoding', 415]],
  ] as const)('refuses %s', (_name, bytes, contentType, contentEncoding, expected) => {
    expect(codeOf(() => decodeMappingUpload({ bytes, contentType, contentEncoding }))).toEqual(expected);
  });
});

describe('splitChunks', () => {
  it('cuts a buffer into chunks that join back to it', () => {
    const data = Buffer.from('abcdefghij');
    const chunks = splitChunks(data, 4);
    expect(chunks.map((c) => c.toString())).toEqual(['abcd', 'efgh', 'ij']);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });
});

describe('isUploadTokenHeader', () => {
  it.each([
    ['Bearer dcu_0123456789abcdef_x', true],
    ['bearer  dcu_abc', true],
    ['Bearer eyJhbGciOi.x.y', false],
    [undefined, false],
  ])('reads %s', (header, expected) => {
    expect(isUploadTokenHeader(header)).toBe(expected);
  });
});
