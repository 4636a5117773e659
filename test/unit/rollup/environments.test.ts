import {
  environmentOf,
  mergeEnvironments,
  planEnvironments,
  reduceEnvironments,
} from '../../../functions/src/rollup/environments';
import { planUsageBatch } from '../../../functions/src/rollup/batch';
import { MAX_ENVIRONMENTS, type EnvironmentsDoc, type UsageDoc } from '../../../functions/src/grouping/schemas';
import { environmentsPath, statsPath } from '../../../functions/src/shared/paths';

const KEY = 'pk_product_1';
const NOW = new Date('2026-12-07T12:00:00Z');
const at = (iso: string) => new Date(iso);

function listOf(names: string[]): EnvironmentsDoc {
  return {
    productKey: KEY,
    by: 'environments',
    environments: names.map((name, i) => ({ name, firstSeen: new Date(NOW.getTime() - 1000 * (names.length - i)) })),
    updatedAt: NOW,
  };
}

describe('environmentOf', () => {
  it('is the named environment, and production for a report stored without one', () => {
    expect(environmentOf({ environment: 'staging' })).toBe('staging');
    expect(environmentOf({})).toBe('production');
  });
});

describe('mergeEnvironments', () => {
  it('lists new environments in the order first seen, each with its earliest report', () => {
    const [delta] = reduceEnvironments([
      { productKey: KEY, receivedAt: at('2026-12-07T10:00:02Z'), environment: 'staging' },
      { productKey: KEY, receivedAt: at('2026-12-07T10:00:03Z') },
      { productKey: KEY, receivedAt: at('2026-12-07T10:00:01Z'), environment: 'staging' },
    ]).values();
    const { doc, admitted } = mergeEnvironments(null, delta!, NOW);
    expect(doc?.environments).toEqual([
      { name: 'staging', firstSeen: at('2026-12-07T10:00:01Z') },
      { name: 'production', firstSeen: at('2026-12-07T10:00:03Z') },
    ]);
    expect([...admitted].sort()).toEqual(['production', 'staging']);
  });

  it('writes nothing when the batch names only environments already listed', () => {
    const [delta] = reduceEnvironments([{ productKey: KEY, receivedAt: NOW, environment: 'staging' }]).values();
    expect(mergeEnvironments(listOf(['production', 'staging']), delta!, NOW).doc).toBeNull();
  });

  it(`admits no environment past the ${MAX_ENVIRONMENTS}th, but keeps admitting those listed`, () => {
    const full = listOf(Array.from({ length: MAX_ENVIRONMENTS }, (_, i) => `env-${i}`));
    const [delta] = reduceEnvironments([
      { productKey: KEY, receivedAt: NOW, environment: 'one-too-many' },
      { productKey: KEY, receivedAt: NOW, environment: 'env-3' },
    ]).values();
    const { doc, admitted } = mergeEnvironments(full, delta!, NOW);
    expect(doc).toBeNull();
    expect(admitted.has('one-too-many')).toBe(false);
    expect(admitted.has('env-3')).toBe(true);
  });
});

describe('planEnvironments', () => {
  it('refuses to overwrite a list it cannot read', () => {
    const deltas = reduceEnvironments([{ productKey: KEY, receivedAt: NOW }]);
    const current = new Map([[environmentsPath(KEY), { environments: 'nope' }]]);
    expect(() => planEnvironments(deltas, current, new Set([KEY]), new Map(), NOW)).toThrow(/malformed aggregate/);
  });
});

describe('planUsageBatch with environments', () => {
  const usage = (environment?: string) => ({
    path: `products/${KEY}/usage/u-${environment ?? 'none'}`,
    id: `u-${environment ?? 'none'}`,
    doc: {
      productKey: KEY,
      clientId: 'client-a',
      receivedAt: NOW,
      metrics: { runs: 1 },
      ...(environment === undefined ? {} : { environment }),
    } satisfies UsageDoc,
  });

  it("writes a full list's new environment into the all-environments day only", () => {
    const { paths, plan } = planUsageBatch([usage('one-too-many'), usage()], NOW);
    const full = listOf(Array.from({ length: MAX_ENVIRONMENTS }, (_, i) => (i === 0 ? 'production' : `env-${i}`)));
    const writes = plan(new Map([[environmentsPath(KEY), full]]), new Set([KEY]));
    expect(paths).toContain(statsPath(KEY, '2026-12-07', 'usage', 'one-too-many'));
    expect([...writes.keys()].sort()).toEqual(
      [statsPath(KEY, '2026-12-07', 'usage'), statsPath(KEY, '2026-12-07', 'usage', 'production')].sort(),
    );
    expect(writes.get(statsPath(KEY, '2026-12-07', 'usage'))).toMatchObject({ reports: 2 });
  });

  it('writes the list and both copies when the environment is new and there is room', () => {
    const { plan } = planUsageBatch([usage('staging')], NOW);
    const writes = plan(new Map(), new Set([KEY]));
    expect(writes.get(environmentsPath(KEY))).toMatchObject({ environments: [{ name: 'staging' }] });
    expect(writes.get(statsPath(KEY, '2026-12-07', 'usage', 'staging'))).toMatchObject({
      environment: 'staging',
      reports: 1,
    });
  });
});
