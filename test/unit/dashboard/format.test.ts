import { percent, relativeTime } from '../../../dashboard/src/format';

describe('percent', () => {
  it.each([
    [1, '100 %'],
    [0, '0 %'],
    [0.8, '80 %'],
    [0.29, '29 %'],
    [1 - 2 / 9, '77.77 %'],
    [5 / 14, '35.71 %'],
    [1 - 1 / 100_000, '99.99 %'],
    [0.123456, '12.34 %'],
  ])('writes %p as %s, rounded down to hundredths of a percent', (fraction, text) => {
    expect(percent(fraction)).toBe(text);
  });

  it.each([[null], [undefined], [Number.NaN]])('writes %p (no sessions) as a dash', (fraction) => {
    expect(percent(fraction)).toBe('—');
  });
});

describe('relativeTime', () => {
  const crash = '2026-12-07T10:20:00.000Z';
  it.each([
    ['2026-12-07T10:19:57.600Z', '−2.4 s'],
    ['2026-12-07T10:20:00.010Z', '0 s'],
    ['2026-12-07T10:20:00.300Z', '+0.3 s'],
    ['2026-12-07T10:19:35.000Z', '−25 s'],
    ['2026-12-07T10:16:55.000Z', '−3 min 5 s'],
    ['2026-12-07T08:16:00.000Z', '−2 h 4 min'],
    ['2026-12-04T08:20:00.000Z', '−3 d 2 h'],
    ['2026-12-07T11:19:57.600+01:00', '−2.4 s'],
  ])('writes %s as %s before or after the crash', (at, text) => {
    expect(relativeTime(at, crash)).toBe(text);
  });

  it.each([
    ['not a time', crash],
    ['2026-12-07T10:19:57.600Z', null],
  ])('writes %p against %p as a dash', (at, to) => {
    expect(relativeTime(at, to)).toBe('—');
  });
});
