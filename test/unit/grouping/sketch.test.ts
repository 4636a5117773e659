import {
  addHash,
  createSketch,
  decodeSketch,
  encodeSketch,
  estimateDistinct,
  hashClient,
  mergeDistinct,
  mergeSketch,
} from '../../../functions/src/grouping/sketch';

function sketchOf(ids: readonly string[], precision = 12) {
  const sketch = createSketch(precision);
  for (const id of ids) addHash(sketch, hashClient(id));
  return sketch;
}

const ids = (n: number, prefix = 'client-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('distinct-count sketch', () => {
  it('counts exactly while small and ignores repeats', () => {
    const sketch = sketchOf([...ids(300), ...ids(300)]);
    expect(sketch.hashes).not.toBeNull();
    expect(estimateDistinct(sketch)).toBe(300);
  });

  it('switches to registers past 2^p/4 and stays within 3 standard errors', () => {
    for (const n of [2_000, 20_000, 200_000]) {
      const sketch = sketchOf(ids(n));
      expect(sketch.registers).not.toBeNull();
      expect(Math.abs(estimateDistinct(sketch) - n) / n).toBeLessThan(3 * 0.0163);
    }
  });

  it('keeps the row precision within 3 standard errors too', () => {
    const sketch = sketchOf(ids(5_000), 8);
    expect(Math.abs(estimateDistinct(sketch) - 5_000) / 5_000).toBeLessThan(3 * 0.065);
  });

  it('merges as a union, in either form', () => {
    const a = sketchOf(ids(100));
    const b = sketchOf([...ids(100), ...ids(50, 'other-')]);
    expect(estimateDistinct(mergeSketch(a, b))).toBe(150);
    const big = sketchOf(ids(5_000));
    const merged = mergeSketch(sketchOf(ids(10, 'x-')), big);
    expect(Math.abs(estimateDistinct(merged) - 5_010) / 5_010).toBeLessThan(0.05);
    expect(() => mergeSketch(createSketch(8), createSketch(12))).toThrow('precision');
  });

  it('round-trips through bytes in both forms, at most 2^p + 2 bytes', () => {
    for (const n of [0, 7, 1_024, 1_025, 50_000]) {
      const sketch = sketchOf(ids(n));
      const bytes = encodeSketch(sketch);
      expect(bytes.length).toBeLessThanOrEqual(4096 + 2);
      expect(estimateDistinct(decodeSketch(bytes))).toBe(estimateDistinct(sketch));
    }
  });

  it('refuses bytes that are not a sketch', () => {
    expect(() => decodeSketch(Buffer.from([1, 12, 0, 0, 0]))).toThrow('not a sketch');
    expect(() => decodeSketch(Buffer.from([2, 8, 0]))).toThrow('not a sketch');
    expect(() => decodeSketch(Buffer.from([9, 8]))).toThrow('not a sketch');
  });

  it('mergeDistinct adds a batch to a stored sketch, or stores a copy of the batch when nothing is stored', () => {
    const batch = sketchOf(['a', 'b', 'c']);
    const first = mergeDistinct(undefined, batch);
    expect(first.clients).toBe(3);
    const second = mergeDistinct(first, sketchOf(['c', 'd']));
    expect(second.clients).toBe(4);
    expect(estimateDistinct(decodeSketch(second.sketch))).toBe(4);
    // The batch's own sketch is left as it was.
    expect(estimateDistinct(batch)).toBe(3);
    expect(mergeDistinct(null, batch).sketch).toEqual(first.sketch);
  });
});
