import { createHash } from 'node:crypto';
import {
  FINGERPRINT_FRAME_COUNT,
  TITLE_MAX_LENGTH,
  buildTitle,
  computeFingerprint,
  describeCulprit,
  describeFrameForGrouping,
  fingerprintParsed,
  normalizeFilePath,
  normalizeFunctionName,
  normalizeMessage,
  normalizeModuleName,
  selectGroupingFrames,
  shortenFilePath,
} from '../../../functions/src/grouping/fingerprint';
import { parseStacktrace, type Frame, type ParsedStacktrace } from '../../../functions/src/grouping/stacktrace';
import { loadFixtures } from './fixtures';

describe('normalizeFunctionName', () => {
  it.each([
    ['a JVM lambda number', 'lambda$main$0', 'lambda$main'],
    ['a nested JVM lambda', 'lambda$null$12', 'lambda$null'],
    ['a Kotlin lambda suffix', 'onCreate$lambda-3', 'onCreate$lambda'],
    ['V8 module wrapper', 'Object.<anonymous>', '?'],
    ['V8 anonymous', '<anonymous>', '?'],
    ['old V8 anonymous', 'I.e.fn.(anonymous function)', '?'],
    ['IE anonymous', 'Anonymous function', '?'],
    ['a V8 receiver', 'HTMLButtonElement.onClick', 'onClick'],
    ['a class method', 'Cart.total', 'total'],
    ['a V8 alias', 'Object.d [as add]', 'd'],
    ['an async frame', 'async loadPage', 'loadPage'],
    ['a Firefox async frame', 'async*boot', 'boot'],
    ['a constructor', 'new Invoice', 'Invoice'],
    ['a Firefox anonymous inner function', 'dispatchEvent/<', '?'],
    ['a Firefox named inner function', 'outer/inner', 'inner'],
    ['a browserify module id', '[2]</Bar.prototype._baz/</<', '?'],
    ['a Python comprehension', '<dictcomp>', '<dictcomp>'],
    ['a Python module body', '<module>', '<module>'],
    ['a memory address', 'handler at 0x7f3a2b1c', 'handler at'],
  ])('%s: %s → %s', (_name, input, output) => {
    expect(normalizeFunctionName(input)).toBe(output);
  });
});

describe('normalizeModuleName', () => {
  it.each([
    [
      'a JDK 9+ lambda proxy',
      'com.acme.Pricing$Calculator$$Lambda$1/0x0000000800c01000',
      'com.acme.Pricing$Calculator$$Lambda',
    ],
    ['a Java 8 lambda proxy', 'com.acme.Jobs$$Lambda$14/1170794006', 'com.acme.Jobs$$Lambda'],
    ['an anonymous inner class', 'com.acme.Jobs$1', 'com.acme.Jobs$'],
    ['a named inner class', 'com.acme.Outer$Inner', 'com.acme.Outer$Inner'],
    [
      'a Spring CGLIB proxy',
      'com.acme.Billing$$EnhancerBySpringCGLIB$$5f1c2a3b',
      'com.acme.Billing$$EnhancerBySpringCGLIB',
    ],
    ['a Spring 6 CGLIB proxy', 'com.acme.Billing$$SpringCGLIB$$0', 'com.acme.Billing$$SpringCGLIB'],
    ['a Hibernate proxy', 'com.acme.Order$HibernateProxy$Xk3dq8Lz', 'com.acme.Order$HibernateProxy'],
    ['a Python module', 'fakelib.core', 'fakelib.core'],
  ])('%s', (_name, input, output) => {
    expect(normalizeModuleName(input)).toBe(output);
  });
});

describe('normalizeFilePath', () => {
  it.each([
    ['a content hash in a bundle name', 'https://shop.example.com/static/js/main.3f2a9c1b.js', '/static/js/main.js'],
    ['a webpack chunk id and hash', 'https://x.io/static/js/2.8c3b6a1f.chunk.js', '/static/js/chunk.js'],
    ['a vite hash suffix', 'https://x.io/assets/index-BXxq9k2L.js', '/assets/index.js'],
    ['a hex hash suffix', 'https://x.io/assets/app-5e1f0c2b.js', '/assets/app.js'],
    ['a hashed worker name', 'examplescheme://examplehost/cd351f7250857e22ceaa.worker.js', '/worker.js'],
    ['query and fragment', 'https://x.io/app.js?v=12#top', '/app.js'],
    ['a versioned app directory', '/srv/app-1.2.3/checkout.py', '/srv/app/checkout.py'],
    [
      'a pnpm store directory',
      '/app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/lodash.js',
      '/app/node_modules/.pnpm/lodash/node_modules/lodash/lodash.js',
    ],
    [
      'a dist-info directory',
      '/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/x.py',
      '/venv/lib/pythonX/site-packages/requests.dist-info/x.py',
    ],
    ['the Python version directory', '/usr/lib/python3.11/json/decoder.py', '/usr/lib/pythonX/json/decoder.py'],
    ['a release timestamp directory', '/srv/releases/20261122080000/app.rb', '/srv/releases/N/app.rb'],
    ['Windows separators', 'C:\\app-2.0.1\\main.py', 'C:/app/main.py'],
    ['a plain name', '/srv/app/views.py', '/srv/app/views.py'],
    ['a name with a short word', '/srv/app/main-thread.js', '/srv/app/main-thread.js'],
  ])('%s', (_name, input, output) => {
    expect(normalizeFilePath(input)).toBe(output);
  });
});

describe('shortenFilePath', () => {
  it.each([
    ['an app file keeps its name only', '/srv/app-1.2.0/checkout.py', 'checkout.py'],
    [
      'a node_modules file keeps its package path',
      '/a/node_modules/.pnpm/x@1.0.0/node_modules/x/lib/i.js',
      'x/lib/i.js',
    ],
    [
      'a site-packages file keeps its package path',
      '/v/lib/python3.11/site-packages/fakelib/core.py',
      'fakelib/core.py',
    ],
    ['a Node internal keeps its full name', 'node:internal/modules/cjs/loader', 'node:internal/modules/cjs/loader'],
  ])('%s', (_name, input, output) => {
    expect(shortenFilePath(input)).toBe(output);
  });
});

describe('normalizeMessage', () => {
  it.each([
    ['numbers', 'user 42 not found after 3.5 s', 'user <num> not found after <num> s'],
    ['single-quoted strings', "KeyError: 'BOGUS'", 'KeyError: <str>'],
    ['apostrophes in words stay', "can't find 'x' in don't-list", "can't find <str> in don't-list"],
    ['double-quoted and backtick strings', 'no "a b" or `c`', 'no <str> or <str>'],
    ['UUIDs', 'order 6f1c2a3b-1d2e-4f5a-8b9c-0d1e2f3a4b5c missing', 'order <uuid> missing'],
    ['hex', 'object at 0x7f3a2b1c freed, hash deadbeef01', 'object at <hex> freed, hash <hex>'],
    ['whitespace', '  two\n  lines  ', 'two lines'],
  ])('%s', (_name, input, output) => {
    expect(normalizeMessage(input)).toBe(output);
  });
});

describe('buildTitle', () => {
  it('joins the type and the first line of the message', () => {
    expect(buildTitle('ValueError', 'bad value\nmore detail')).toBe('ValueError: bad value');
  });

  it('is just the type when there is no message', () => {
    expect(buildTitle('KeyboardInterrupt', '')).toBe('KeyboardInterrupt');
  });

  it(`is cut to ${TITLE_MAX_LENGTH} characters`, () => {
    const title = buildTitle('Error', 'x'.repeat(500));
    expect(title).toHaveLength(TITLE_MAX_LENGTH);
    expect(title.endsWith('…')).toBe(true);
  });
});

describe('describeCulprit', () => {
  it.each([
    [
      'a JVM frame as module.function',
      { module: 'com.acme.Checkout', function: 'applyDiscount', inApp: true },
      'com.acme.Checkout.applyDiscount',
    ],
    [
      'an app file as file in function',
      { file: '/srv/app-1.3.0/checkout.py', function: 'apply_discount', inApp: true },
      'checkout.py in apply_discount',
    ],
    ['an anonymous frame as its file', { file: 'https://x.io/static/main.3f2a9c1b.js', inApp: true }, 'main.js'],
  ] as Array<[string, Frame, string]>)('%s', (_name, frame, culprit) => {
    expect(describeCulprit(frame)).toBe(culprit);
  });
});

describe('describeFrameForGrouping', () => {
  it('uses neither line nor column', () => {
    const a: Frame = { file: '/srv/a.js', line: 1, column: 2, function: 'f', inApp: true };
    const b: Frame = { file: '/srv/a.js', line: 99, column: 7, function: 'f', inApp: true };
    expect(describeFrameForGrouping(a)).toBe(describeFrameForGrouping(b));
  });
});

const PY_TRACE = [
  'Traceback (most recent call last):',
  '  File "/srv/app/main.py", line 10, in main',
  '  File "/srv/app/cart.py", line 20, in total',
  "KeyError: 'sku-123'",
].join('\n');

describe('computeFingerprint', () => {
  it('uses a client fingerprint when one is sent, hashed apart from computed ones', () => {
    const computed = computeFingerprint({ type: 'KeyError', message: "'sku-123'", stacktrace: PY_TRACE });
    const client = computeFingerprint({
      type: 'KeyError',
      message: "'sku-123'",
      stacktrace: PY_TRACE,
      clientFingerprint: computed.fingerprint,
    });
    expect(client.source).toBe('client');
    expect(client.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(client.fingerprint).not.toBe(computed.fingerprint);
    expect(client.fingerprint).not.toBe(createHash('sha256').update(computed.fingerprint).digest('hex'));
    expect(client.culprit).toBe('cart.py in total');
  });

  it('groups reports with the same client fingerprint regardless of their traces', () => {
    const a = computeFingerprint({ type: 'A', stacktrace: PY_TRACE, clientFingerprint: 'checkout-flaky' });
    const b = computeFingerprint({ type: 'B', stacktrace: 'garbage', clientFingerprint: 'checkout-flaky' });
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it('ignores a blank client fingerprint', () => {
    expect(computeFingerprint({ type: 'KeyError', stacktrace: PY_TRACE, clientFingerprint: '  ' }).source).toBe(
      'frames',
    );
  });

  it('falls back to type and normalised message for unreadable traces', () => {
    const a = computeFingerprint({
      type: 'PaymentError',
      message: 'order 17 failed: code 0x1f',
      stacktrace: 'no frames here',
    });
    const b = computeFingerprint({
      type: 'PaymentError',
      message: 'order 912 failed: code 0x2a',
      stacktrace: 'none either',
    });
    const c = computeFingerprint({
      type: 'RefundError',
      message: 'order 17 failed: code 0x1f',
      stacktrace: 'no frames here',
    });
    expect(a.source).toBe('message');
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).not.toBe(c.fingerprint);
    expect(a.culprit).toBeUndefined();
    expect(a.topInAppFrame).toBeUndefined();
    expect(a.title).toBe('PaymentError: order 17 failed: code 0x1f');
  });

  it('never gives a message-based fingerprint the value of a frame-based one', () => {
    const framed = computeFingerprint({ type: 'KeyError', message: '', stacktrace: PY_TRACE });
    const unframed = computeFingerprint({ type: 'KeyError', message: '', stacktrace: 'KeyError' });
    expect(unframed.source).toBe('message');
    expect(framed.fingerprint).not.toBe(unframed.fingerprint);
  });

  it('takes the type from the report, so the same frames with another type are another issue', () => {
    const a = computeFingerprint({ type: 'KeyError', stacktrace: PY_TRACE });
    const b = computeFingerprint({ type: 'IndexError', stacktrace: PY_TRACE });
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('returns the top in-app frame and the title from the report', () => {
    const result = computeFingerprint({ type: 'KeyError', message: "'sku-123'", stacktrace: PY_TRACE });
    expect(result.topInAppFrame).toEqual({ file: '/srv/app/cart.py', line: 20, function: 'total', inApp: true });
    expect(result.title).toBe("KeyError: 'sku-123'");
  });

  it(`uses only the top ${FINGERPRINT_FRAME_COUNT} in-app frames`, () => {
    const frames = (callers: string[]): string =>
      [
        'Error: x',
        ...['inner', 'f1', 'f2', 'f3', 'f4', ...callers].map((fn, i) => `    at ${fn} (/srv/app/a.js:${i + 1}:1)`),
      ].join('\n');
    const a = computeFingerprint({ type: 'Error', stacktrace: frames(['fromCron']) });
    const b = computeFingerprint({ type: 'Error', stacktrace: frames(['fromHttp']) });
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it('falls back to all frames when none is in-app', () => {
    const trace = (fn: string): string => `Error: x\n    at ${fn} (/srv/app/node_modules/lib/index.js:1:1)`;
    const a = computeFingerprint({ type: 'Error', stacktrace: trace('parse') });
    const b = computeFingerprint({ type: 'Error', stacktrace: trace('stringify') });
    expect(a.source).toBe('frames');
    expect(a.topInAppFrame).toBeUndefined();
    expect(a.culprit).toBe('lib/index.js in parse');
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('leaves suppressed exceptions out of the fingerprint', () => {
    const base = ['java.lang.IllegalArgumentException: x', '\tat com.acme.Db.query(Db.java:7)'];
    const a = computeFingerprint({ type: 'java.lang.IllegalArgumentException', stacktrace: base.join('\n') });
    const b = computeFingerprint({
      type: 'java.lang.IllegalArgumentException',
      stacktrace: [
        ...base,
        '\tSuppressed: java.lang.IllegalStateException: close failed',
        '\t\tat com.acme.Db.close(Db.java:12)',
      ].join('\n'),
    });
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it('groups a trace the same after SDK scrubbing (home → ~, pnpm name@version → <email>)', () => {
    const raw = [
      'TypeError: x',
      '    at parse (/home/alice/shop/node_modules/.pnpm/yaml@2.4.1/node_modules/yaml/dist/index.js:10:5)',
      '    at loadConfig (/home/alice/shop/src/config.js:4:10)',
    ].join('\n');
    const scrubbed = raw.replace(/\/home\/alice/g, '~').replace('yaml@2.4.1', '<email>');
    const a = computeFingerprint({ type: 'TypeError', stacktrace: raw });
    const b = computeFingerprint({ type: 'TypeError', stacktrace: scrubbed });
    expect(b.source).toBe('frames');
    expect(b.topInAppFrame?.function).toBe('loadConfig');
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it('counts repeated identical group members once', () => {
    const aggregate = (members: number): string =>
      [
        'AggregateError: All promises were rejected',
        ...Array.from({ length: members }, (_, i) => [
          `Aggregated ${i}: Error: mirror ${i} is down`,
          '    at fetchFromMirror (/srv/app/fetch.js:7:9)',
          `    at async Promise.any (index ${i})`,
        ]).flat(),
      ].join('\n');
    const two = computeFingerprint({ type: 'AggregateError', stacktrace: aggregate(2) });
    const five = computeFingerprint({ type: 'AggregateError', stacktrace: aggregate(5) });
    expect(two.source).toBe('frames');
    expect(two.fingerprint).toBe(five.fingerprint);
    expect(two.culprit).toBe('fetch.js in fetchFromMirror');
  });

  it('includes the cause chain, so a different root cause is a different issue', () => {
    const trace = (rootFn: string): string =>
      [
        'java.lang.RuntimeException: wrapped',
        '\tat com.acme.Service.run(Service.java:10)',
        'Caused by: java.io.IOException: x',
        `\tat com.acme.Store.${rootFn}(Store.java:3)`,
        '\t... 1 more',
      ].join('\n');
    const a = computeFingerprint({ type: 'java.lang.RuntimeException', stacktrace: trace('read') });
    const b = computeFingerprint({ type: 'java.lang.RuntimeException', stacktrace: trace('write') });
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });
});

// --- Property-style checks over every fixture -------------------------------------------------

/** Small deterministic PRNG (mulberry32) so the property checks are reproducible. */
function makeRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shifts every line (and column) number in the trace text, as a release that moves code would. */
function shiftLineNumbers(text: string, random: () => number): string {
  const shift = (n: string): string => String(Number(n) + 1 + Math.floor(random() * 500));
  return text
    .replace(/(, line )(\d+)/g, (_m, p: string, n: string) => p + shift(n))
    .replace(/(\.(?:java|kt):)(\d+)\)/g, (_m, p: string, n: string) => `${p}${shift(n)})`)
    .replace(
      /(:)(\d+):(\d+)(\)?)$/gm,
      (_m, p: string, l: string, c: string, close: string) => `${p}${shift(l)}:${shift(c)}${close}`,
    )
    .replace(/(line )(\d+)( > eval)/g, (_m, p: string, n: string, s: string) => p + shift(n) + s);
}

const framedFixtures = loadFixtures().filter((fixture) => fixture.grouping.source === 'frames');
const SEEDS = [1, 2, 3, 4, 5];

describe('property: changed line numbers keep the fingerprint', () => {
  it.each(
    framedFixtures.flatMap((fixture) =>
      SEEDS.map((seed) => [`${fixture.dir}/${fixture.name}`, seed, fixture] as const),
    ),
  )('%s with line numbers shifted (seed %i)', (_key, seed, fixture) => {
    const input = { type: fixture.report.type, runtime: fixture.report.runtime, inAppPatterns: fixture.inAppPatterns };
    const shifted = shiftLineNumbers(fixture.text, makeRandom(seed));
    expect(shifted).not.toBe(fixture.text);
    expect(computeFingerprint({ ...input, stacktrace: shifted }).fingerprint).toBe(
      computeFingerprint({ ...input, stacktrace: fixture.text }).fingerprint,
    );
  });
});

/** Swaps two grouping-relevant frames of the primary exception that describe different code. */
function swapTwoFrames(parsed: ParsedStacktrace, random: () => number): ParsedStacktrace | undefined {
  const [primary, ...rest] = parsed.exceptions;
  if (primary === undefined) return undefined;
  const candidates = selectGroupingFrames(primary).map((frame) => ({ frame, index: primary.frames.indexOf(frame) }));
  const pairs = candidates.flatMap((a) =>
    candidates
      .filter((b) => b.index > a.index && describeFrameForGrouping(a.frame) !== describeFrameForGrouping(b.frame))
      .map((b) => [a.index, b.index] as const),
  );
  const pair = pairs[Math.floor(random() * pairs.length)];
  if (pair === undefined) return undefined;
  const frames = [...primary.frames];
  const [i, j] = pair;
  const first = frames[i];
  const second = frames[j];
  if (first === undefined || second === undefined) return undefined;
  frames[i] = second;
  frames[j] = first;
  return { ...parsed, exceptions: [{ ...primary, frames }, ...rest] };
}

describe('property: reordered frames change the fingerprint', () => {
  const cases = framedFixtures.flatMap((fixture) => {
    const parsed = parseStacktrace(fixture.text, { inAppPatterns: fixture.inAppPatterns });
    return SEEDS.flatMap((seed) => {
      const swapped = swapTwoFrames(parsed, makeRandom(seed));
      return swapped === undefined
        ? []
        : [[`${fixture.dir}/${fixture.name}`, seed, fixture.report.type, parsed, swapped] as const];
    });
  });

  it('has fixtures with frames to reorder', () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases)('%s with two top frames swapped (seed %i)', (_key, _seed, type, parsed, swapped) => {
    expect(fingerprintParsed(swapped, { type }).fingerprint).not.toBe(fingerprintParsed(parsed, { type }).fingerprint);
  });
});

describe('computeFingerprint on hostile input', () => {
  const MIB = 1024 * 1024;
  it.each([
    ['one 1 MiB line of parentheses', 'Error: x\n    at ' + '('.repeat(MIB / 2) + ')'.repeat(MIB / 2)],
    ['a 1 MiB path of slashes', 'Error: x\n    at f (' + '/'.repeat(MIB) + ':1:1)'],
    ['many long lines of colons', 'Error: x\n' + `    at f (${':'.repeat(3000)})\n`.repeat(300)],
    ['many long version-like directories', 'Error: x\n' + `    at f (/a-${'1.'.repeat(2000)}/x.js:1:1)\n`.repeat(250)],
    ['a 1 MiB message of quotes and digits', `Error: ${"'1".repeat(MIB / 2)}`],
  ])('handles %s in well under a second', (_name, text) => {
    const started = Date.now();
    const result = computeFingerprint({ type: 'Error', stacktrace: text });
    expect(result.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
