/** The test counts `npm test` (scripts/test-all.ts) reads from each runner's own summary line. */

/** Tests that passed, failed (errors included) and were skipped (never ran to an assertion). */
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const countOf = (line: string, word: string): number => Number(line.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);

/** Jest's "Tests: 1 failed, 2 skipped, 1 todo, 40 passed, 44 total"; a todo never ran, so it counts as skipped. */
export const jestCount = (out: string): Counts => {
  const line = out.match(/^Tests:.*$/m)?.[0] ?? '';
  return {
    passed: countOf(line, 'passed'),
    failed: countOf(line, 'failed'),
    skipped: countOf(line, 'skipped') + countOf(line, 'todo'),
  };
};

/** pytest's last "1 failed, 450 passed, 2 skipped, 1 xfailed, 1 error in 14.2s"; xfail and xpass count as skipped. */
export const pytestCount = (out: string): Counts => {
  const lines = out.trim().split('\n');
  const last = lines.reverse().find((l) => /\d+ (passed|failed|skipped|error|xfailed|xpassed)/.test(l)) ?? '';
  return {
    passed: countOf(last, 'passed'),
    failed: countOf(last, 'failed') + countOf(last, 'error'),
    skipped: countOf(last, 'skipped') + countOf(last, 'xfailed') + countOf(last, 'xpassed'),
  };
};

/** Surefire's last "Tests run: 444, Failures: 0, Errors: 0, Skipped: 0" (the total); passed is run − failed − skipped. */
export const surefireCount = (out: string): Counts => {
  const all = [...out.matchAll(/Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)/g)];
  const last = all[all.length - 1];
  if (!last) return { passed: 0, failed: 0, skipped: 0 };
  const [run, failures, errors, skipped] = last.slice(1).map(Number) as [number, number, number, number];
  return { passed: run - failures - errors - skipped, failed: failures + errors, skipped };
};

