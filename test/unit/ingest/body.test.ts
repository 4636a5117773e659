import { gzipSync } from 'node:zlib';
import {
  decodeBody,
  jsonDepthExceeds,
  parseJsonBody,
  textDepthExceeds,
  MAX_BODY_BYTES,
} from '../../../functions/src/ingest/body';
import { reportDocumentId, reportShard, truncateStacktrace } from '../../../functions/src/ingest/stored-report';
import { INDEX_SHARDS } from '../../../functions/src/shared/paths';
import { DumpcatcherError } from '../../../functions/src/shared/errors';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DumpcatcherError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('decodeBody', () => {
  it('gunzips a gzip body', () => {
    expect(decodeBody(gzipSync('{"a":1}'), 'gzip').toString()).toBe('{"a":1}');
  });

  it('accepts a body that inflates to exactly the limit', () => {
    expect(decodeBody(gzipSync(Buffer.alloc(MAX_BODY_BYTES, 0x20)), 'gzip').length).toBe(MAX_BODY_BYTES);
  });

  it('stops a gzip bomb one byte past the limit with payload_too_large', () => {
    expect(codeOf(() => decodeBody(gzipSync(Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)), 'gzip'))).toBe(
      'payload_too_large',
    );
  });

  it('refuses bytes that are not gzip with invalid_body', () => {
    expect(codeOf(() => decodeBody(Buffer.from('not gzip'), 'gzip'))).toBe('invalid_body');
  });
});

describe('JSON depth', () => {
  const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('allows 32 levels and refuses 33', () => {
    expect(textDepthExceeds(Buffer.from(nested(32)), 32)).toBe(false);
    expect(textDepthExceeds(Buffer.from(nested(33)), 32)).toBe(true);
    expect(jsonDepthExceeds(JSON.parse(nested(32)), 32)).toBe(false);
    expect(jsonDepthExceeds(JSON.parse(nested(33)), 32)).toBe(true);
  });

  it('ignores brackets inside strings, including after escaped quotes', () => {
    const text = JSON.stringify({ s: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\\' + '{'.repeat(40) });
    expect(textDepthExceeds(Buffer.from(text), 32)).toBe(false);
  });

  it('refuses deep JSON before parsing it, and invalid JSON after', () => {
    expect(codeOf(() => parseJsonBody(Buffer.from(nested(100_000))))).toBe('too_deep');
    expect(codeOf(() => parseJsonBody(Buffer.from('{"a":')))).toBe('invalid_json');
  });
});

describe('truncateStacktrace', () => {
  it('keeps a trace that fits unchanged', () => {
    expect(truncateStacktrace('short', 100)).toEqual({ text: 'short', truncated: false });
  });

  it('cuts on a UTF-8 character boundary and says how much it omitted', () => {
    const text = '€'.repeat(1000); // 3 bytes each
    const cut = truncateStacktrace(text, 500);
    expect(cut.truncated).toBe(true);
    expect(Buffer.byteLength(cut.text)).toBeLessThanOrEqual(500);
    expect(cut.text).not.toContain('\uFFFD');
    const omitted = Number(cut.text.match(/(\d+) bytes omitted/)?.[1]);
    const kept = Buffer.byteLength(cut.text.slice(0, cut.text.indexOf('\n…')));
    expect(kept + omitted).toBe(3000);
  });
});

describe('reportShard', () => {
  it('spreads consecutive counters of one client over every shard, deterministically', () => {
    const shards = Array.from({ length: 400 }, (_, i) =>
      reportShard(reportDocumentId('client_abc_123', String(i + 1))),
    );
    expect(new Set(shards).size).toBe(INDEX_SHARDS);
    expect(Math.min(...shards)).toBe(0);
    expect(Math.max(...shards)).toBe(INDEX_SHARDS - 1);
    expect(reportShard(reportDocumentId('client_abc_123', '1'))).toBe(shards[0]);
  });
});
