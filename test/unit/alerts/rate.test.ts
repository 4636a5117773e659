import { addToRate, estimateLastHour, rollRate } from '../../../functions/src/alerts/rate';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

describe('addToRate', () => {
  it('counts crashes within the clock hour and names each spike level crossed', () => {
    const first = addToRate(null, 8, at('2026-12-01T10:10:00Z'));
    expect(first).toEqual({
      rate: { hourStartMs: Date.parse('2026-12-01T10:00:00Z'), current: 8, previous: 0 },
      crossed: [],
    });
    const second = addToRate(first.rate, 20, at('2026-12-01T10:20:00Z'));
    expect(second.crossed).toEqual([10, 25]);
    expect(addToRate(second.rate, 1, at('2026-12-01T10:21:00Z')).crossed).toEqual([]);
  });
  it('weighs the previous hour by how much of it the last 60 minutes still cover', () => {
    const rate = { hourStartMs: Date.parse('2026-12-01T10:00:00Z'), current: 40, previous: 0 };
    // At 11:15, three quarters of 10:00-11:00 is still within the last hour: 40 × 0.75 = 30.
    expect(estimateLastHour(rate, at('2026-12-01T11:15:00Z'))).toBe(30);
    expect(rollRate(rate, at('2026-12-01T11:15:00Z'))).toEqual({
      hourStartMs: Date.parse('2026-12-01T11:00:00Z'),
      current: 0,
      previous: 40,
    });
  });
  it('forgets counts older than two clock hours', () => {
    const rate = { hourStartMs: Date.parse('2026-12-01T10:00:00Z'), current: 400, previous: 400 };
    expect(estimateLastHour(rate, new Date(Date.parse('2026-12-01T10:00:00Z') + 2 * HOUR))).toBe(0);
    // So the same level can be crossed again after a quiet spell (alerts cap it at once a day).
    expect(addToRate(rate, 12, at('2026-12-01T13:00:00Z')).crossed).toEqual([10]);
  });
});
