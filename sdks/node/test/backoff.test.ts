import { BACKOFF_CAP_MS, backoffDelayMs } from '../src/backoff.ts';

describe('backoffDelayMs', () => {
  it('doubles the ceiling per attempt from 1 s, with full jitter', () => {
    const top = (attempt: number): number => backoffDelayMs(attempt, () => 0.999999);
    expect([1, 2, 3, 4].map(top)).toEqual([999, 1999, 3999, 7999]);
    expect(backoffDelayMs(3, () => 0)).toBe(0);
    expect(backoffDelayMs(3, () => 0.5)).toBe(2000);
  });

  it('never waits more than 5 minutes of its own accord', () => {
    expect(backoffDelayMs(30, () => 0.999999)).toBeLessThan(BACKOFF_CAP_MS);
    expect(backoffDelayMs(30, () => 0.999999)).toBeGreaterThan(BACKOFF_CAP_MS - 10);
  });

  it('takes Retry-After as a minimum', () => {
    expect(backoffDelayMs(1, () => 0.1, 30_000)).toBe(30_000);
    expect(backoffDelayMs(10, () => 0.9, 1_000)).toBeGreaterThan(1_000);
  });
});
