import { selectBatch, type RawReport } from '../../../functions/src/rollup/batch';
import { productKeyOf } from '../../../functions/src/shared/paths';

const at = new Date('2026-11-22T00:00:00Z');
const report = (key: string, n: number): RawReport => ({
  path: `products/${key}/crashes/c${n}`,
  id: `c${n}`,
  receivedAt: at,
  data: n,
});

describe('selectBatch', () => {
  const parse = (r: RawReport) => (r.data === 0 ? null : (r.data as number));

  it('takes every report when the documents they touch fit, counting each product once', () => {
    const raw = [report('pk_a', 1), report('pk_a', 2), report('pk_b', 3)];
    const selected = selectBatch(raw, parse, (n) => [`doc${n % 2}`], 4); // pk_a, pk_b, doc0, doc1
    expect(selected).toEqual({ taken: 3, items: [1, 2, 3], malformed: 0 });
  });

  it('stops before the report that would exceed the bound, and covers malformed reports without touching anything', () => {
    const raw = [report('pk_a', 1), report('pk_a', 0), report('pk_a', 2), report('pk_a', 3)];
    const selected = selectBatch(raw, parse, (n) => [`doc${n}`], 3); // pk_a + doc1 + doc2, then doc3 would make 4
    expect(selected).toEqual({ taken: 3, items: [1, 2], malformed: 1 });
  });

  it('always takes the first report, even one that alone exceeds the bound, so a run cannot stall', () => {
    const selected = selectBatch([report('pk_a', 1), report('pk_a', 2)], parse, () => ['x', 'y', 'z'], 2);
    expect(selected).toEqual({ taken: 1, items: [1], malformed: 0 });
  });
});

describe('productKeyOf', () => {
  it('reads the key from report and aggregate paths', () => {
    expect(productKeyOf('products/pk_abc/crashes/1')).toBe('pk_abc');
    expect(productKeyOf('products/pk_abc/stats/2026-11-22_type')).toBe('pk_abc');
  });
});
