import {
  MAX_FACET_TOKENS,
  MAX_PREFIX,
  MAX_WORD_TOKENS,
  addCrashFacets,
  buildSearchTokens,
  canonicalFilter,
  createFacetSets,
  facetsOfTokens,
  indexedToken,
  isFiltered,
  matchesFilter,
  queryWords,
  searchWords,
  type FacetSets,
  type IssueFilter,
  type TokenSource,
} from '../../../functions/src/grouping/search-tokens';

const SOURCE: TokenSource = {
  title: 'TypeError: Cannot read properties of undefined (reading "priceOf")',
  culprit: 'CheckoutService.priceOf',
  type: 'TypeError',
  versions: ['1.0', '2.3.0'],
};

function facets(crashes: Parameters<typeof addCrashFacets>[1][]): FacetSets {
  const sets = createFacetSets();
  for (const c of crashes) addCrashFacets(sets, c);
  return sets;
}

const issueWith = (source: TokenSource, seen = facets([{ app: { name: 'shop' } }]), current: string[] = []) => ({
  ...source,
  searchTokens: buildSearchTokens(source, current, seen),
});

describe('searchWords', () => {
  it.each([
    [
      'camelCase and dots',
      'CheckoutService.priceOf',
      ['checkout', 'service', 'checkoutservice', 'price', 'of', 'priceof'],
    ],
    ['call parentheses', 'checkout()', ['checkout']],
    ['underscores and slashes', 'payment_gateway/charge', ['payment', 'gateway', 'charge']],
    ['an acronym before a word', 'HTTPServerError', ['http', 'server', 'error', 'httpservererror']],
    ['digits kept on their word', 'HTTP2Error in utf8', ['http2', 'error', 'http2error', 'in', 'utf8']],
    ['letters outside ASCII', 'Zahlung fehlgeschlagen: Größe', ['zahlung', 'fehlgeschlagen', 'größe']],
  ])('splits %s', (_name, text, words) => {
    expect(searchWords(text)).toEqual(words);
  });
});

describe('queryWords', () => {
  it('splits like the issue text, but without the joined compounds, so each part must match', () => {
    expect(queryWords('  CheckoutServ.priceOf ')).toEqual(['checkout', 'serv', 'price', 'of']);
    expect(queryWords('checkoutservice')).toEqual(['checkoutservice']);
    expect(queryWords('()')).toEqual([]);
  });
});

describe('buildSearchTokens', () => {
  it('keeps word prefixes from two letters up to MAX_PREFIX, and one token per filter value', () => {
    const tokens = buildSearchTokens(
      SOURCE,
      [],
      facets([{ environment: 'staging', label: 'pay', app: { name: 'shop' }, tags: { region: 'eu-west' } }]),
    );
    expect(tokens).toEqual(
      expect.arrayContaining(['ch', 'checkout', 'checkoutserv', 'pr', 'priceof', 'ty', 'typeerror']),
    );
    expect(tokens).not.toContain('c');
    expect(tokens).not.toContain('checkoutservi'); // 13 characters: past MAX_PREFIX
    expect(tokens.filter((t) => t.includes(':'))).toEqual([
      'type:TypeError',
      'v:1.0',
      'v:2.3.0',
      'env:staging',
      'label:pay',
      'app:shop',
      'tag:region:eu-west',
    ]);
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('leaves out a token Firestore could not index whole (past MAX_TOKEN_BYTES)', () => {
    const long = `Ошибка${'Ж'.repeat(700)}`;
    const tokens = buildSearchTokens({ ...SOURCE, type: long }, [], createFacetSets());
    expect(tokens).not.toContain(`type:${long}`);
    expect(tokens).toContain('ош');
    expect(buildSearchTokens({ ...SOURCE, type: 'E'.repeat(512) }, [], createFacetSets())).toContain(
      `type:${'E'.repeat(512)}`,
    );
  });

  it('reads a crash without an environment as production', () => {
    expect(buildSearchTokens(SOURCE, [], facets([{ app: {} }]))).toContain('env:production');
  });

  it('keeps the filter values of earlier batches and adds the new ones after them', () => {
    const first = buildSearchTokens(
      SOURCE,
      [],
      facets([{ environment: 'staging', label: 'a', app: { name: 'shop' } }]),
    );
    const second = buildSearchTokens(SOURCE, first, facets([{ label: 'b', app: { name: 'shop' } }]));
    expect(second.filter((t) => /^(env|label|app):/.test(t))).toEqual([
      'env:staging',
      'env:production',
      'label:a',
      'label:b',
      'app:shop',
    ]);
  });

  it('keeps the most recently seen values of a kind past its cap, dropping the oldest', () => {
    const many = Array.from({ length: MAX_FACET_TOKENS.tag + 5 }, (_, i) => ({ app: {}, tags: { n: String(i) } }));
    const tags = buildSearchTokens(SOURCE, [], facets(many)).filter((t) => t.startsWith('tag:'));
    expect(tags).toHaveLength(MAX_FACET_TOKENS.tag);
    expect(tags[0]).toBe('tag:n:5');
    expect(tags.at(-1)).toBe(`tag:n:${MAX_FACET_TOKENS.tag + 4}`);
    // Seen again, an old value moves to the newest end and survives the next overflow.
    const again = buildSearchTokens(
      SOURCE,
      tags,
      facets([
        { app: {}, tags: { n: '5' } },
        { app: {}, tags: { n: 'x' } },
      ]),
    );
    expect(again.filter((t) => t.startsWith('tag:')).slice(-2)).toEqual(['tag:n:5', 'tag:n:x']);
  });

  it('keeps the newest versions of the issue, in version order', () => {
    const versions = Array.from({ length: MAX_FACET_TOKENS.v + 10 }, (_, i) => `1.${i}`);
    const tokens = buildSearchTokens({ ...SOURCE, versions }, [], createFacetSets());
    const kept = tokens.filter((t) => t.startsWith('v:'));
    expect(kept).toHaveLength(MAX_FACET_TOKENS.v);
    expect(kept[0]).toBe('v:1.10');
  });

  it('stops at MAX_WORD_TOKENS, leaving out whole words rather than some of their prefixes', () => {
    const title = Array.from({ length: 60 }, (_, i) => `word${String.fromCharCode(97 + (i % 26))}${i}xyzzy`).join(' ');
    const words = buildSearchTokens({ ...SOURCE, title }, [], createFacetSets()).filter((t) => !t.includes(':'));
    expect(words.length).toBeLessThanOrEqual(MAX_WORD_TOKENS);
    expect(words.length).toBeGreaterThan(MAX_WORD_TOKENS - MAX_PREFIX);
    for (const w of words) expect(words).toContain(w.slice(0, 2));
  });
});

describe('facetsOfTokens', () => {
  it("gives back the crash-fed values of an issue's tokens, so merging it into another keeps them", () => {
    const seen = facets([
      { environment: 'staging', label: 'pay', app: { name: 'shop' }, tags: { region: 'eu', 'a:b': 'c:d' } },
    ]);
    const tokens = buildSearchTokens(SOURCE, [], seen);
    const again = buildSearchTokens({ ...SOURCE, title: 'Other' }, [], facetsOfTokens(tokens));
    expect(again.filter((t) => /^(env|label|app|tag):/.test(t))).toEqual(
      tokens.filter((t) => /^(env|label|app|tag):/.test(t)),
    );
    expect(again).toContain('tag:a:b:c:d');
  });
});

describe('matchesFilter', () => {
  const issue = issueWith(
    SOURCE,
    facets([{ environment: 'staging', label: 'pay', app: { name: 'shop' }, tags: { region: 'eu' } }]),
  );

  it.each<[string, IssueFilter, boolean]>([
    ['a word of the culprit', { q: 'checkout' }, true],
    ['a word prefix, any case', { q: 'CHECK' }, true],
    ['the joined identifier', { q: 'checkoutservice' }, true],
    ['a camelCase query', { q: 'checkoutService' }, true],
    ['all of several words', { q: 'price undefined' }, true],
    ['one word missing of several', { q: 'price refund' }, false],
    ['a word inside another word (not a prefix)', { q: 'out' }, false],
    ['a one-letter word that prefixes a word', { q: 'u' }, true],
    ['a one-letter word that prefixes none', { q: 'z' }, false],
    ['a word longer than MAX_PREFIX that matches', { q: 'checkoutservic' }, true],
    ['a word longer than MAX_PREFIX that differs past it', { q: 'checkoutservicz' }, false],
    ['its environment', { environment: 'staging' }, true],
    ['another environment', { environment: 'production' }, false],
    ['its version', { version: '2.3.0' }, true],
    ['a version prefix (versions are exact)', { version: '2.3' }, false],
    ['its label', { label: 'pay' }, true],
    ['its type, exactly', { type: 'TypeError' }, true],
    ['its type in another case', { type: 'typeerror' }, false],
    ['its app', { app: 'shop' }, true],
    ['its tag', { tags: [['region', 'eu']] }, true],
    [
      'its tag and another',
      {
        tags: [
          ['region', 'eu'],
          ['region', 'us'],
        ],
      },
      false,
    ],
    [
      'everything at once',
      {
        q: 'checkout',
        environment: 'staging',
        version: '1.0',
        label: 'pay',
        type: 'TypeError',
        app: 'shop',
        tags: [['region', 'eu']],
      },
      true,
    ],
  ])('%s', (_name, filter, expected) => {
    expect(matchesFilter(issue, filter)).toBe(expected);
  });

  it('matches nothing on an issue stored before tokens, and everything with no filter', () => {
    const { searchTokens: _unused, ...old } = issue;
    expect(matchesFilter(old, { q: 'checkout' })).toBe(false);
    expect(matchesFilter(old, {})).toBe(true);
  });
});

describe('indexedToken', () => {
  it.each<[string, IssueFilter, string | null]>([
    ['nothing for no filter', {}, null],
    ['nothing for one-letter words alone', { q: 'a b' }, null],
    ['a tag before anything else', { q: 'checkout', version: '1.0', tags: [['k', 'v']] }, 'tag:k:v'],
    ['the version before the label', { label: 'pay', version: '1.0' }, 'v:1.0'],
    [
      'the longest query word, cut at MAX_PREFIX',
      { q: 'of checkoutservice', environment: 'production' },
      'checkoutserv',
    ],
    [
      'a query word before type, app and environment',
      { q: 'pr', type: 'E', app: 'a', environment: 'production' },
      'pr',
    ],
    ['the environment last', { environment: 'production', app: 'shop' }, 'app:shop'],
  ])('asks for %s', (_name, filter, token) => {
    expect(indexedToken(filter)).toBe(token);
    expect(isFiltered(filter)).toBe(Object.keys(filter).length > 0);
  });
});

describe('canonicalFilter', () => {
  it('is the same for the same words and tags in another order or case, and differs for another filter', () => {
    const a = canonicalFilter({
      q: 'Price checkout',
      tags: [
        ['a', '1'],
        ['b', '2'],
      ],
    });
    expect(
      canonicalFilter({
        q: 'checkout price',
        tags: [
          ['b', '2'],
          ['a', '1'],
        ],
      }),
    ).toBe(a);
    expect(canonicalFilter({ q: 'checkout price', tags: [['b', '2']] })).not.toBe(a);
    expect(
      canonicalFilter({
        q: 'checkout price',
        label: 'x',
        tags: [
          ['a', '1'],
          ['b', '2'],
        ],
      }),
    ).not.toBe(a);
  });
});
