import { jestCount, pytestCount, surefireCount } from '../../../scripts/lib/test-counts';

describe('jestCount', () => {
  it('reads passed, failed and skipped (todo included) from the Tests: line', () => {
    const out = [
      'Test Suites: 1 failed, 1 skipped, 40 passed, 41 of 42 total',
      'Tests:       2 failed, 13 skipped, 1 todo, 1180 passed, 1196 total',
      'Snapshots:   0 total',
    ].join('\n');
    expect(jestCount(out)).toEqual({ passed: 1180, failed: 2, skipped: 14 });
  });

  it('reads a clean run as no failure and no skip', () => {
    expect(jestCount('Tests:       1194 passed, 1194 total\n')).toEqual({ passed: 1194, failed: 0, skipped: 0 });
  });
});

describe('pytestCount', () => {
  it('reads the last summary line, errors as failures and xfail/xpass as skips', () => {
    const out = [
      'tests/test_x.py::test_a PASSED',
      'FAILED tests/test_delivery.py::test_b - AssertionError: 1 passed earlier',
      '1 failed, 450 passed, 2 skipped, 1 xfailed, 1 xpassed, 2 errors in 14.21s',
    ].join('\n');
    expect(pytestCount(out)).toEqual({ passed: 450, failed: 3, skipped: 4 });
  });

  it('reads a collection error, as when a vector file holds no case', () => {
    const out = [
      'ERROR tests/test_vectors.py - AssertionError: test/vectors/arch-v1.json: cases holds no case',
      '!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!',
      '1 error in 0.25s',
    ].join('\n');
    expect(pytestCount(out)).toEqual({ passed: 0, failed: 1, skipped: 0 });
  });
});

describe('surefireCount', () => {
  it("takes the run's total line and does not count skipped tests as passed", () => {
    const out = [
      '[INFO] Tests run: 4, Failures: 0, Errors: 0, Skipped: 1, Time elapsed: 0.769 s -- in dev.dumpcatcher.MetricsTest',
      '[ERROR] Tests run: 248, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 2.7 s <<< FAILURE! -- in dev.dumpcatcher.VectorsTest',
      '[INFO] Results:',
      '[ERROR] Tests run: 445, Failures: 1, Errors: 2, Skipped: 1',
    ].join('\n');
    expect(surefireCount(out)).toEqual({ passed: 441, failed: 3, skipped: 1 });
  });

  it('reads no count from output without a Tests run line', () => {
    expect(surefireCount('[ERROR] COMPILATION ERROR')).toEqual({ passed: 0, failed: 0, skipped: 0 });
  });
});
