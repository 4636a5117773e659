import { percent } from '../../../dashboard/src/format';

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
