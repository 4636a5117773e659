import { Timestamp } from 'firebase-admin/firestore';
import { fromMicros, toMicros, withDates } from '../../../functions/src/shared/firestore';

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

describe('withDates', () => {
  it('turns Timestamps at any depth of objects and arrays into Dates, and leaves bytes and other values alone', () => {
    const at = new Timestamp(1_764_000_000, 0);
    const bytes = Buffer.from([1, 2, 3]);
    const out = withDates({ a: at, nested: { list: [at, { b: at }] }, sketch: bytes, n: 1, s: 'x', none: null }) as {
      a: Date;
      nested: { list: [Date, { b: Date }] };
      sketch: Buffer;
    };
    expect(out.a).toEqual(at.toDate());
    expect(out.nested.list[0]).toEqual(at.toDate());
    expect(out.nested.list[1].b).toEqual(at.toDate());
    expect(out.sketch).toBe(bytes);
    expect(out).toMatchObject({ n: 1, s: 'x', none: null });
  });
});
