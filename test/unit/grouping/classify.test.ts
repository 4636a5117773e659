import { FINGERPRINT_CACHE_SIZE, classifyCrash } from '../../../functions/src/grouping/classify';
import { fixtureCrashRecord } from '../rollup/reports';

const crash = (id: string, fields: Parameters<typeof fixtureCrashRecord>[2]) =>
  fixtureCrashRecord('pk_product_1', id, fields);

describe('classifyCrash', () => {
  it('gives the same grouping from the cache as computed, and keeps the cache bounded', () => {
    const cache = new Map();
    const a = crash('java/orders', { version: '1' });
    const b = crash('java/orders', { version: '2', clientId: 'other' });
    const first = classifyCrash(a, cache);
    const second = classifyCrash(b, cache);
    expect(second.result).toBe(first.result); // reused
    expect(second.result).toEqual(classifyCrash(b).result);
    expect(second.hash).not.toBe(first.hash);
    const other = classifyCrash(crash('java/orders', { version: '1', fingerprint: 'mine' }), cache);
    expect(other.result.fingerprint).not.toBe(first.result.fingerprint);
    for (let i = 0; i < FINGERPRINT_CACHE_SIZE + 5; i++)
      classifyCrash(crash('python/simple', { version: '1', fingerprint: `f${i}` }), cache);
    expect(cache.size).toBeLessThanOrEqual(FINGERPRINT_CACHE_SIZE);
  });
});
