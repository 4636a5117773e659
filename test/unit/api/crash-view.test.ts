import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { framesInnermostFirst, isRolledUp, toCrashView } from '../../../functions/src/api/crash-view';
import { classifyCrash } from '../../../functions/src/grouping/classify';
import { parseMapping } from '../../../functions/src/grouping/retrace';
import { CrashDocSchema } from '../../../functions/src/grouping/schemas';
import { parseStacktrace } from '../../../functions/src/grouping/stacktrace';
import { fixture, fixtureCrash, fixtureIssueId } from '../rollup/reports';

const AT = new Date('2026-11-21T10:00:00Z');
const later = (ms: number) => new Date(AT.getTime() + ms);

describe('framesInnermostFirst', () => {
  it('gives Python frames innermost first too (Python prints them last), with the parser in-app decisions', () => {
    const f = fixture('python/checkout-1.3.0-checkout');
    const frames = framesInnermostFirst(parseStacktrace(f.text, { runtime: 'python' }));
    expect(frames.map((x) => [x.function, x.line, x.inApp])).toEqual([
      ['apply_discount', 17, true],
      ['checkout', 22, true],
      ['main', 38, true],
      ['<module>', 46, true],
    ]);
  });

  it('gives V8 frames innermost first, as printed, library and runtime frames marked not in-app', () => {
    const f = fixture('node/checkout-1.3.0-checkout');
    const frames = framesInnermostFirst(parseStacktrace(f.text, { runtime: 'node' }));
    expect(frames[0]).toMatchObject({ function: 'applyDiscount', line: 13, column: 36, inApp: true });
    expect(frames.find((x) => x.file === 'node:internal/modules/cjs/loader')).toMatchObject({ inApp: false });
  });

  const vectors = JSON.parse(readFileSync(join(__dirname, '../../vectors/frames-v1.json'), 'utf8')) as {
    cases: Array<{ name: string; runtime: string; fixture: string; firstInApp: string[] }>;
  };
  it.each(vectors.cases.map((c) => [c.name, c] as const))('frames-v1.json: %s, innermost first', (_name, c) => {
    const frames = framesInnermostFirst(parseStacktrace(fixture(c.fixture).text, { runtime: c.runtime }));
    const inApp = frames.filter((f) => f.inApp).map((f) => f.function);
    expect(inApp.slice(0, c.firstInApp.length)).toEqual(c.firstInApp);
  });

  it('is empty for text that is not a stack trace', () => {
    expect(framesInnermostFirst(parseStacktrace('just words', {}))).toEqual([]);
  });
});

describe('isRolledUp', () => {
  const position = { receivedAt: AT, path: 'products/pk_a/crashes/m' };
  it.each([
    ['an earlier report', later(-1), 'products/pk_z/crashes/z', true],
    ['the cursor report itself', AT, 'products/pk_a/crashes/m', true],
    ['a report at the same time with a smaller path', AT, 'products/pk_a/crashes/a', true],
    ['a report at the same time with a larger path', AT, 'products/pk_a/crashes/n', false],
    // Segment by segment, "pk_a" < "pk_a-b"; as one string "pk_a-b/…" would sort first.
    ['a report at the same time in a product whose key extends the cursor one', AT, 'products/pk_a-b/crashes/a', false],
    ['a later report', later(1), 'products/pk_a/crashes/a', false],
  ])('%s', (_name, at, path, expected) => {
    expect(isRolledUp(at, path, position)).toBe(expected);
  });

  it('is false before the rollup has run', () => {
    expect(isRolledUp(AT, 'products/pk/crashes/a', null)).toBe(false);
  });
});

describe('toCrashView', () => {
  const f = fixture('java/checkout-1.3.0-checkout');
  const stored = {
    ...fixtureCrash('java/checkout-1.3.0-checkout', { version: '1.3.0', label: 'pay' }),
    productKey: 'pk_a',
    clientId: 'client-1',
    receivedAt: AT,
    tags: { region: 'eu' },
    extraJson: '{"cart":[1,2]}',
    os: { name: 'Linux' },
  };
  const fingerprint = fixtureIssueId('java/checkout-1.3.0-checkout');

  it("carries the report's fields, extra parsed, and the issue id the rollup computed once it has applied the crash", () => {
    const applied = toCrashView('pk_a', 'c1', stored, {
      position: { receivedAt: AT, path: 'products/pk_a/crashes/c1' },
    });
    expect(applied).toMatchObject({
      id: 'c1',
      issueId: fingerprint,
      receivedAt: AT.toISOString(),
      label: 'pay',
      tags: { region: 'eu' },
      extra: { cart: [1, 2] },
      os: { name: 'Linux', version: null, arch: null },
      exception: { type: f.report.type, stacktrace: f.text, stacktraceTruncated: false },
      app: { name: 'shop', version: '1.3.0' },
    });
    expect(applied.reportId).toMatch(/^[0-9a-f-]{36}$/);
    expect(applied.frames.length).toBeGreaterThan(0);
    expect(applied.frames.some((x) => x.inApp)).toBe(true);
    expect(toCrashView('pk_a', 'c1', stored, { position: { receivedAt: later(-1), path: 'x' } }).issueId).toBeNull();
  });

  it('shows a malformed document with what it can read instead of failing the page', () => {
    const view = toCrashView(
      'pk_a',
      'c1',
      { receivedAt: 'yesterday', exception: { type: 'E' }, extraJson: '{' },
      {
        position: null,
      },
    );
    expect(view).toMatchObject({ receivedAt: null, exception: null, extra: null, frames: [], issueId: null });
  });

  it('retraces an obfuscated Android trace with its mapping: readable frames, both texts, the rollup’s issue id', () => {
    const dir = join(__dirname, '../../fixtures/android');
    const trace = readFileSync(join(dir, 'r8-notes-2.0.txt'), 'utf8');
    const mapping = parseMapping(readFileSync(join(dir, 'r8-notes-2.0-mapping.txt'), 'utf8'));
    const obfuscated = {
      ...stored,
      exception: { type: 'b.b', message: 'no note n42', stacktrace: trace },
      runtime: { name: 'android', version: '34' },
    };
    const record = { path: 'products/pk_a/crashes/c2', id: 'c2', doc: CrashDocSchema.parse(obfuscated) };
    const rollupIssue = classifyCrash(record, undefined, () => mapping).result.fingerprint;
    const position = { receivedAt: AT, path: 'products/pk_z/crashes/z' };
    const view = toCrashView('pk_a', 'c2', obfuscated, { position }, () => mapping);
    expect(view.issueId).toBe(rollupIssue);
    expect(view.retrace).toEqual({ status: 'retraced', mapId: '7f3c2a1', source: 'map_id' });
    expect(view.exception?.stacktrace).toBe(trace);
    expect(view.retracedStacktrace).toContain(
      'at com.acme.notes.data.NoteRepository.requireNote(NoteRepository.kt:37)',
    );
    expect(view.frames[0]).toMatchObject({ module: 'com.acme.notes.data.NoteRepository', function: 'requireNote' });
    const missing = toCrashView('pk_a', 'c2', obfuscated, { position }, () => null);
    expect(missing.retrace).toEqual({ status: 'missing_mapping', mapId: '7f3c2a1', source: 'map_id' });
    expect([missing.retracedStacktrace, missing.frames[0]?.module]).toEqual([null, 'com.acme.notes.MainActivity']);
    expect(toCrashView('pk_a', 'c1', stored, { position }, () => mapping)).toMatchObject({
      retrace: null,
      retracedStacktrace: null,
    });
  });
});
