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

describe('createScrubber name=value rule', () => {
  it.each([
    [
      'a bare value stops at ) ] }',
      'Config(pwd=d) [token=x] {auth=y}',
      'Config(pwd=<redacted>) [token=<redacted>] {auth=<redacted>}',
    ],
    ['quoted values keep their quotes', `password='a b' token="c"`, `password='<redacted>' token="<redacted>"`],
    ['a value already starting with <redacted> is redacted whole', 'token=<redacted>tail', 'token=<redacted>'],
    ['a bare value stops at , ; &', 'password=a,b;c&d', 'password=<redacted>,b;c&d'],
    [
      'names in any ASCII case, with or without _ or -',
      'APIKEY : v1 Access-Key=v2',
      'APIKEY : <redacted> Access-Key=<redacted>',
    ],
    ['only the listed names, not look-alikes', 'pass tassword=x suth=y', 'pass tassword=x suth=y'],
    ['no Unicode case folding of the names', 'secret \u017fecret=x', 'secret \u017fecret=x'],
    ['only ASCII white space ends a bare value', 'token=a\u00a0b', 'token=<redacted>'],
    ['only ASCII white space may stand before the =', 'token\u00a0=x', 'token\u00a0=x'],
    ['no value, nothing to redact', 'password= ', 'password= '],
    ['an unterminated quote is no value', 'token="unterminated', 'token="unterminated'],
  ])('%s', (_name, input, expected) => {
    expect(scrub(input)).toBe(expected);
  });
});

describe('createScrubber JWT rule', () => {
  // The rule of docs/sdks.md as a regex, which the scrubber applies by a linear scan.
  const WRITTEN = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
  const onlyJwts = createScrubber({ homeDir: '', userName: '', secret: '' });

  it('gives what the written pattern gives on random text', () => {
    const parts = ['eyJ', 'e', 'yJ', 'a', '9', '_', '-', '.', ' ', 'x.y', 'eyJa.b.c', '/', '\u00e9'];
    let seed = 11;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 50_000; i += 1) {
      let text = '';
      const count = 1 + next(12);
      for (let j = 0; j < count; j += 1) text += parts[next(parts.length)] ?? '';
      expect(onlyJwts(text)).toBe(text.replace(WRITTEN, '<token>'));
    }
  });

  it('treats a non-ASCII letter before it as a word start', () => {
    expect(scrub('\u00e9eyJa.b.c')).toBe('\u00e9<token>');
  });
});

describe('createScrubber e-mail rule', () => {
  // The rule of docs/privacy.md as a regex (\w: a letter, mark or number of any script, or _),
  // which the scrubber applies as "@domain, then a walk left".
  const WRITTEN = /[\p{L}\p{M}\p{N}_.+-]+@[\p{L}\p{M}\p{N}_-]+(?:\.[\p{L}\p{M}\p{N}_-]+)+/gu;
  const onlyEmails = createScrubber({ homeDir: '', userName: '', secret: '' });

  it('gives what the written pattern gives on random text', () => {
    const parts = ['a', 'b1', '\u00e9', 'e\u0301', '\ud835\udc9c', '\u0660', '\u00b2', '\u2010', '_', '.', '+', '-'];
    parts.push('@', '@x.io', 'example', '.com', ' ', '<', 'x@y', '\u0930\u093e');
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 50_000; i += 1) {
      let text = '';
      const count = 1 + next(12);
      for (let j = 0; j < count; j += 1) text += parts[next(parts.length)] ?? '';
      expect(onlyEmails(text)).toBe(text.replace(WRITTEN, '<email>'));
    }
  });
});

// Name, input, what the output starts with, what it ends with. The same inputs as
// sdks/python/tests/test_scrub.py and sdks/java/src/test/java/dev/dumpcatcher/ScrubberHostileInputTest.java,
// with this file's machine (home /home/alice, user alice).
const RUN = 'a'.repeat(500_000) + '@' + 'b'.repeat(500_000);
const HOSTILE: [string, string, string, string][] = [
  ['word run', 'a'.repeat(1_000_000), 'aaa', 'aaa'],
  ['word run then at', 'a'.repeat(1_000_000) + '@', 'aaa', 'a@'],
  ['local part run', 'a.b+'.repeat(250_000) + '@x', 'a.b+', '+@x'],
  ['domain run', '@' + 'a'.repeat(999_999), '@aaa', 'aaa'],
  ['many names', 'token '.repeat(170_000), 'token token', 'token '],
  ['name then spaces', 'password' + ' '.repeat(999_000), 'password ', '   '],
  ['many schemes', 'Bearer '.repeat(140_000), 'Bearer <redacted> Bearer <redacted> ', '<redacted> '],
  ['long mixed run', 'a1'.repeat(500_000), '<token>', '<token>'],
  ['long path', '/' + 'a1/'.repeat(330_000), '/a1/a1/', 'a1/'],
  ['many user names', 'alice '.repeat(166_000), '<user> <user> ', '<user> '],
  ['word runs around an at, then a password', RUN + ' password=' + 'c'.repeat(10_000), 'aaa', 'b password=<redacted>'],
  ['many JWT starts after dashes', 'eyJ-'.repeat(250_000), 'eyJ-eyJ-', 'eyJ-'],
  ['many JWT starts after dashes, then a dot', 'eyJ-'.repeat(250_000) + '.', 'eyJ-eyJ-', 'eyJ-.'],
  ['many JWT starts after dashes, then two dots', 'eyJ-'.repeat(250_000) + '.a.b', '<token>', '<token>'],
  ['many JWT starts after dots', 'eyJa.'.repeat(200_000), '<token>.<token>.', '<token>'],
  ['many JWT starts after spaces', 'eyJ '.repeat(250_000), 'eyJ eyJ ', 'eyJ '],
  ['many JWT starts inside a word', 'xeyJ'.repeat(250_000), 'xeyJxeyJ', 'xeyJ'],
  ['many JWT headers without a payload', 'eyJa..'.repeat(166_000), 'eyJa..eyJa..', 'eyJa..'],
  ['name, spaces, equals, spaces', 'password' + ' '.repeat(500_000) + '=' + ' '.repeat(500_000), 'password ', '   '],
  [
    'many names with an open quote',
    'token="'.repeat(140_000),
    'token="<redacted>"token="<redacted>"',
    'token="<redacted>"',
  ],
  ['many homes', '/home/alice'.repeat(90_000), '~~~', '~~'],
  ['many home prefixes', '/home/aliceX'.repeat(80_000), '/home/aliceX/home', 'eX'],
  ['many addresses sharing dots', 'x@a.'.repeat(250_000), '<email>@<email>', '.'],
  ['many domains without local part', '@a-'.repeat(330_000), '@a-@a-', '@a-'],
  ['many short paths', ('/' + 'a1'.repeat(16) + ' ').repeat(31_250), '/<token> /<token> ', '/<token> '],
  ['dotted word run then at', 'a.'.repeat(500_000) + '@', 'a.a.', '.@'],
];

describe('createScrubber on hostile input', () => {
  // A megabyte an attacker may shape (an exception message quoting a request) is scrubbed in
  // linear time: well under a second here, where a quadratic rule takes minutes. The bound is generous.
  it.each(HOSTILE)('scrubs a megabyte quickly: %s', (_name, input, starts, ends) => {
    const started = process.hrtime.bigint();
    const out = scrub(input);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeLessThan(5000);
    expect(out.slice(0, starts.length)).toBe(starts);
    expect(out.slice(-ends.length)).toBe(ends);
  });
});
