import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLimiter, localFingerprint } from '../src/limiter.ts';
import { makeTempDir, removeDir } from './helpers/env.ts';

describe('localFingerprint', () => {
  const stackA = 'Error: x\n    at f (/app/a.js:10:5)\n    at g (/app/b.js:20:7)';
  it('ignores digits in frame lines and the message line', () => {
    const stackB = 'Error: y 42\n    at f (/app/a.js:11:9)\n    at g (/app/b.js:21:1)';
    expect(localFingerprint('Error', stackA)).toBe(localFingerprint('Error', stackB));
  });
  it('differs by type and by frames', () => {
    expect(localFingerprint('Error', stackA)).not.toBe(localFingerprint('TypeError', stackA));
    expect(localFingerprint('Error', stackA)).not.toBe(localFingerprint('Error', stackA.replace('g (', 'h (')));
  });
  it('uses only the first five frames', () => {
    const frames = (last: string): string =>
      ['Error: x', ...[1, 2, 3, 4, 5].map((i) => `    at f${'x'.repeat(i)} (a.js)`), last].join('\n');
    expect(localFingerprint('Error', frames('    at one'))).toBe(localFingerprint('Error', frames('    at two')));
  });
  it('uses the fingerprint the app gave', () => {
    expect(localFingerprint('Error', stackA, 'mine')).toBe(localFingerprint('TypeError', 'other', 'mine'));
  });
});

describe('createLimiter', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it('allows max reports per fingerprint per window, across restarts, then rolls over', () => {
    let now = 1_000_000;
    const file = join(dir, 'q', 'limiter.json');
    const first = createLimiter(file, 3, 60, () => now);
    expect([first.allow('a'), first.allow('a')]).toEqual([true, true]);
    // The process saves its counts as it dies (uncaught hook) or exits ...
    first.persistNow();
    // ... and the next one in the crash loop reads them back from limiter.json.
    const second = createLimiter(file, 3, 60, () => now);
    expect([second.allow('a'), second.allow('a'), second.allow('b')]).toEqual([true, false, true]);
    now += 60_000;
    expect(second.allow('a')).toBe(true);
  });

  it("saves counts shortly after a change, off the caller's stack", async () => {
    const file = join(dir, 'limiter.json');
    const limiter = createLimiter(file, 3, 60, () => 0);
    limiter.allow('a');
    limiter.persistSoon();
    expect(existsSync(file)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 1, windows: { a: { start: 0, count: 1 } } });
  });

  it('keeps counts in memory only when it has no file (debug mode)', () => {
    const limiter = createLimiter(null, 1, 60, () => 0);
    expect([limiter.allow('a'), limiter.allow('a')]).toEqual([true, false]);
    expect(existsSync(join(dir, 'limiter.json'))).toBe(false);
  });
});
