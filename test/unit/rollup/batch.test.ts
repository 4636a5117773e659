import { classifyCrash } from '../../../functions/src/grouping/classify';
import type { IssueDoc } from '../../../functions/src/grouping/schemas';
import { planCrashBatch, selectBatch, type RawReport } from '../../../functions/src/rollup/batch';
import { issuePath, productKeyOf } from '../../../functions/src/shared/paths';
import { fixtureCrashRecord, fixtureIssueId } from './reports';

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

describe('planCrashBatch', () => {
  const FIXTURE = 'python/checkout-1.3.0-checkout';
  const path = issuePath('pk_a', fixtureIssueId(FIXTURE));
  const batch = (version: string, atIso: string) =>
    planCrashBatch([classifyCrash(fixtureCrashRecord('pk_a', FIXTURE, { version, at: atIso }))], new Date(atIso));
  const live = new Set(['pk_a']);
  const created = batch('1.3.0', '2026-11-20T10:00:00Z').plan(new Map(), live).get(path) as IssueDoc;
  const resolved: IssueDoc = {
    ...created,
    status: 'resolved',
    resolvedAfterVersion: '1.3.0',
    statusChangedAt: new Date('2026-11-21T00:00:00Z'),
  };

  it('records the regression it makes in the issue’s activity, under an id of its time, the same on a retry', () => {
    const { plan } = batch('1.4.0', '2026-11-22T08:00:00Z');
    const activityOf = (writes: Map<string, object>) => [...writes].filter(([p]) => p.startsWith(`${path}/activity/`));
    const first = activityOf(plan(new Map([[path, resolved]]), live));
    expect(first).toEqual([
      [
        `${path}/activity/regressed-${Date.parse('2026-11-22T08:00:00Z')}`,
        {
          kind: 'status',
          at: new Date('2026-11-22T08:00:00Z'),
          by: null,
          status: 'regressed',
          resolution: null,
          regressedInVersion: '1.4.0',
        },
      ],
    ]);
    // The transaction run again (a retry) writes the same document, not a second one.
    expect(activityOf(plan(new Map([[path, resolved]]), live))).toEqual(first);
  });

  it('records nothing for a crash that leaves the issue as it was, or one already regressed', () => {
    const kept = batch('1.3.0', '2026-11-22T08:00:00Z').plan(new Map([[path, resolved]]), live);
    const regressed = { ...resolved, status: 'regressed' as const, regressedInVersion: '1.4.0' };
    const again = batch('1.5.0', '2026-11-22T09:00:00Z').plan(new Map([[path, regressed]]), live);
    expect([...kept.keys(), ...again.keys()].filter((p) => p.includes('/activity/'))).toEqual([]);
  });
});
