import { Timestamp } from 'firebase-admin/firestore';
import { fromMicros, toMicros } from '../../../functions/src/shared/firestore';

describe('crash feed timestamps in microseconds', () => {
  it.each([
    ['a commit time with microseconds', new Timestamp(1_764_000_000, 123_456_000), 1_764_000_000_123_456],
    ['a whole second', new Timestamp(1_764_000_000, 0), 1_764_000_000_000_000],
    ['the epoch', new Timestamp(0, 0), 0],
  ])('keeps %s exact both ways', (_name, at, us) => {
    expect(toMicros(at)).toBe(us);
    expect(fromMicros(us).isEqual(at)).toBe(true);
  });

  it('keeps the microseconds a Date would drop', () => {
    const at = new Timestamp(1_764_000_000, 123_456_000);
    expect(toMicros(at)).not.toBe(at.toDate().getTime() * 1000);
  });
});
