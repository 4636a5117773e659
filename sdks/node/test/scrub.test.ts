import { createScrubber } from '../src/scrub.ts';

const scrub = createScrubber({ homeDir: '/home/alice', userName: 'alice', secret: 'S3cr3t-product-Value' });

describe('createScrubber', () => {
  it.each([
    ['home directory becomes ~', 'at run (/home/alice/app/index.js:3:9)', 'at run (~/app/index.js:3:9)'],
    ['user name as a whole word', 'user alice logged in', 'user <user> logged in'],
    ['user name inside a longer word is kept', 'malice aforethought', 'malice aforethought'],
    ['e-mail address', 'mail bob.smith+x@example.co.uk now', 'mail <email> now'],
    ['e-mail address with a very long local part', `${'a'.repeat(100)}@example.com`, '<email>'],
    ['an @ without a local part is kept', 'see @example.com', 'see @example.com'],
    ['password=value keeps the name', 'db password=hunter2 failed', 'db password=<redacted> failed'],
    ['api_key: value', 'api_key: abc123', 'api_key: <redacted>'],
    ['JSON-ish "token": "value"', '{"token": "abc"}', '{"token": "<redacted>"}'],
    ['oauth_token in a query string', '?oauth_token=zzz&x=1', '?oauth_token=<redacted>&x=1'],
    ['Bearer token', 'Authorization: Bearer abc.def-123', 'Authorization: Bearer <redacted>'],
    ['Basic token', 'header Basic dXNlcjpwYXNz', 'header Basic <redacted>'],
    ['JWT', 'got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here', 'got <token> here'],
    ['long secret with letters and digits', 'key AKIA0123456789ABCDEFGHIJKLMNOPQRS used', 'key <token> used'],
    [
      'long run of letters only is kept',
      'abcdefghijklmnopqrstuvwxyzabcdefghij',
      'abcdefghijklmnopqrstuvwxyzabcdefghij',
    ],
    ['the product secret itself', 'signing with S3cr3t-product-Value', 'signing with <redacted>'],
  ])('%s', (_name, input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  it('keeps an absolute file path with digits but catches a token inside a URL path', () => {
    expect(scrub('at x (/srv/releases/20261122093000/dist/server/index.js:1:2)')).toBe(
      'at x (/srv/releases/20261122093000/dist/server/index.js:1:2)',
    );
    expect(scrub('GET /v1/keys/Zk29fh38Gh39dk20Fj39dk29Fk30dk29Fk30/info')).toBe('GET /v1/keys/<token>/info');
  });

  it('does not treat a path that merely starts with the home directory as home', () => {
    expect(scrub('/home/alicex/file')).toBe('/home/alicex/file');
  });

  it('ignores a user name shorter than 3 characters', () => {
    const s = createScrubber({ homeDir: '/home/al', userName: 'al', secret: 'x' });
    expect(s('al went to al-anon')).toBe('al went to al-anon');
  });
});

describe('createScrubber on hostile input', () => {
  it('stays linear on a megabyte of word characters (no catastrophic backtracking)', () => {
    const hostile = 'a'.repeat(500_000) + '@' + 'b'.repeat(500_000) + ' password=' + 'c'.repeat(10_000);
    const started = process.hrtime.bigint();
    const out = scrub(hostile);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(out.endsWith('password=<redacted>')).toBe(true);
    expect(elapsedMs).toBeLessThan(1000);
  });
});
