import { MAX_BODY_BYTES, buildCrashReport, errorType, fitBody, formatStacktrace, toSafeJson } from '../src/report.ts';
import type { ReportFacts } from '../src/report.ts';
import { createScrubber } from '../src/scrub.ts';

const scrub = createScrubber({ homeDir: '/home/alice', userName: 'alice', secret: 'prod-secret-xyz' });
const facts: ReportFacts = {
  appName: 'demo',
  appVersion: '1.0.0',
  environment: 'staging',
  runtime: { name: 'node', version: '20.0.0' },
  os: { name: 'linux', version: '6.1', arch: 'x64' },
  tags: { env: 'test', 'bad key!': 'dropped' },
};

describe('formatStacktrace', () => {
  it('appends each Error.cause as "Caused by:" with its own stack', () => {
    const root = new TypeError('root cause');
    const middle = new Error('middle', { cause: root });
    const top = new Error('top', { cause: middle });
    const text = formatStacktrace(top);
    expect(text.startsWith(top.stack as string)).toBe(true);
    expect(text).toContain(`\nCaused by: ${middle.stack as string}`);
    expect(text).toContain(`\nCaused by: ${root.stack as string}`);
    expect(text.indexOf('Error: middle')).toBeLessThan(text.indexOf('TypeError: root cause'));
  });

  it('lists each error of an AggregateError as "Aggregated <i>:" before the cause', () => {
    const a = new RangeError('first');
    const b = new Error('second', { cause: 'plain string cause' });
    const agg = new AggregateError([a, b], 'two failed', { cause: new Error('why') });
    const text = formatStacktrace(agg);
    expect(text).toContain(`\nAggregated 0: ${a.stack as string}`);
    expect(text).toContain(`\nAggregated 1: ${b.stack as string}\nCaused by: String: plain string cause`);
    expect(text.indexOf('Aggregated 1')).toBeLessThan(text.lastIndexOf('Caused by: Error: why'));
  });

  it('stops at a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(formatStacktrace(a)).toContain('Caused by: [circular]');
  });

  it('formats thrown non-errors', () => {
    expect(formatStacktrace('just a string')).toBe('String: just a string');
    expect(errorType(42)).toBe('Number');
    expect(errorType(null)).toBe('null');
  });
});

describe('errorType', () => {
  it('uses the constructor name of a subclass even when name is not set', () => {
    class PaymentDeclined extends Error {}
    expect(errorType(new PaymentDeclined('no'))).toBe('PaymentDeclined');
    expect(errorType(new TypeError('x'))).toBe('TypeError');
  });
});

describe('buildCrashReport', () => {
  it('fills the protocol fields and scrubs message, stack trace, label, tags and extra', () => {
    const err = new Error('login failed for alice@example.com with password=hunter2');
    err.stack = `Error: login failed for alice@example.com with password=hunter2\n    at login (/home/alice/app/auth.js:10:5)`;
    const report = buildCrashReport(
      err,
      {
        label: 'checkout for alice',
        tags: { user: 'alice', env: 'prod' },
        extra: { nested: { token: 'token=abc', list: ['alice@example.com', 1, true, null] }, fn: () => 1 },
        fingerprint: 'login-failure',
      },
      facts,
      scrub,
      '0b8f5f0e-4a43-4c1e-9d2b-6f1f6c3f2a10',
      Date.UTC(2026, 10, 22, 8, 0, 0),
    );
    expect(report).toEqual({
      reportId: '0b8f5f0e-4a43-4c1e-9d2b-6f1f6c3f2a10',
      occurredAt: '2026-11-22T08:00:00.000Z',
      environment: 'staging',
      exception: {
        type: 'Error',
        message: 'login failed for <email> with password=<redacted>',
        stacktrace: 'Error: login failed for <email> with password=<redacted>\n    at login (~/app/auth.js:10:5)',
      },
      app: { name: 'demo', version: '1.0.0' },
      runtime: { name: 'node', version: '20.0.0' },
      os: { name: 'linux', version: '6.1', arch: 'x64' },
      label: 'checkout for <user>',
      tags: { env: 'prod', user: '<user>' },
      extra: { nested: { token: 'token=<redacted>', list: ['<email>', 1, true, null] } },
      fingerprint: 'login-failure',
    });
  });

  it('cuts a message over 8 KiB and never sends an empty stack trace', () => {
    const err = new Error('x'.repeat(20000));
    err.stack = '';
    const report = buildCrashReport(err, undefined, facts, scrub, 'id', 0);
    expect(Buffer.byteLength(report.exception.message ?? '')).toBe(8192);
    expect(report.exception.stacktrace.length).toBeGreaterThan(0);
  });

  it('keeps a big extra for beforeSend to see; fitBody leaves it out afterwards, not touching the report', () => {
    const report = buildCrashReport(
      new Error('big'),
      { extra: { blob: 'y'.repeat(1_100_000) } },
      facts,
      scrub,
      'id',
      0,
    );
    expect(report.extra).toEqual({ blob: 'y'.repeat(1_100_000) });
    const lines: string[] = [];
    const fitted = fitBody(report, JSON.stringify(report), (...args) => lines.push(args.join(' ')));
    expect(fitted.report.extra).toBeUndefined();
    expect(report.extra).toBeDefined();
    expect(fitted.json).toBe(JSON.stringify(fitted.report));
    expect(Buffer.byteLength(fitted.json)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(lines).toEqual([
      expect.stringMatching(/^report id is \d+ bytes, over the limit of 1000000: making it fit$/),
      expect.stringMatching(/^report id: extra left out \(now \d+ bytes\)$/),
    ]);
  });

  it('fitBody hands back the very report and JSON it was given when they fit', () => {
    const report = buildCrashReport(new Error('small'), { extra: { a: 1 } }, facts, scrub, 'id', 0);
    const json = JSON.stringify(report);
    const fitted = fitBody(report, json, () => {
      throw new Error('nothing to say');
    });
    expect(fitted.report).toBe(report);
    expect(fitted.json).toBe(json);
  });
});

describe('toSafeJson', () => {
  it('survives cycles, bigint, dates, errors and non-finite numbers', () => {
    const obj: Record<string, unknown> = { n: 1n, d: new Date(0), e: new RangeError('r'), inf: Infinity };
    obj.self = obj;
    expect(toSafeJson(obj, (s) => s)).toEqual({
      n: '1',
      d: '1970-01-01T00:00:00.000Z',
      e: { type: 'RangeError', message: 'r' },
      inf: 'Infinity',
      self: '[circular]',
    });
  });
});

describe('toSafeJson keys', () => {
  const scrub = createScrubber({ homeDir: '/home/alice', userName: 'alice', secret: 'S3cr3t-product-Value' });

  it('scrubs the keys of every object, at every depth', () => {
    const extra = { 'bob@example.com': 1, nested: { '/home/alice/.cache': [{ 'token=abc': true }] } };
    expect(toSafeJson(extra, scrub)).toEqual({
      '<email>': 1,
      nested: { '~/.cache': [{ 'token=<redacted>': true }] },
    });
  });

  it('keeps every value when keys scrub alike, numbering the later ones #2, #3…', () => {
    const out = toSafeJson({ 'a@x.io': 1, 'b@x.io': 2, '<email>': 3, 'c@x.io': 4 }, scrub);
    expect(Object.entries(out as object)).toEqual([
      ['<email>', 1],
      ['<email>#2', 2],
      ['<email>#3', 3],
      ['<email>#4', 4],
    ]);
  });

  it('skips a number that a key already holds', () => {
    expect(toSafeJson({ '<email>#2': 'kept', 'a@x.io': 1, 'b@x.io': 2 }, scrub)).toEqual({
      '<email>#2': 'kept',
      '<email>': 1,
      '<email>#3': 2,
    });
  });

  it('numbers many keys that scrub alike in linear time', () => {
    const extra: Record<string, number> = {};
    for (let i = 0; i < 50_000; i += 1) extra[`user${i}@example.com`] = i;
    const started = process.hrtime.bigint();
    const out = toSafeJson(extra, scrub) as Record<string, number>;
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(5000);
    expect(Object.keys(out)).toHaveLength(50_000);
    expect(out['<email>']).toBe(0);
    expect(out['<email>#50000']).toBe(49_999);
  });

  it('keeps a "__proto__" key as data', () => {
    const out = toSafeJson(JSON.parse('{"__proto__": {"x": "alice"}}'), scrub);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":"<user>"}}');
  });
});
