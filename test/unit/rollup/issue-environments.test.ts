import { mergeIssue, reduceCrashes } from '../../../functions/src/rollup/aggregate';
import { environmentsAsDelta, mergeIssueEnvironments } from '../../../functions/src/rollup/issue-environments';
import { environmentsOfIssue, releaseFiguresIn } from '../../../functions/src/grouping/issue-environments';
import { MAX_ISSUE_ENVIRONMENTS, type IssueDoc } from '../../../functions/src/grouping/schemas';
import {
  ISSUE_PRECISION,
  ROW_PRECISION,
  addHash,
  createSketch,
  encodeSketch,
  estimateDistinct,
  hashClient,
  lowerPrecision,
} from '../../../functions/src/grouping/sketch';
import { fixtureCrashRecord } from './reports';

const KEY = 'pk_product_1';
const NOW = new Date('2026-11-22T00:00:00Z');
const TRACE = 'python/checkout-1.3.0-checkout';

type Crash = { id: string; version: string; environment?: string; client: string; at: string };
const crashes = (list: Crash[]) =>
  list.map((c) =>
    fixtureCrashRecord(KEY, TRACE, {
      version: c.version,
      clientId: c.client,
      at: c.at,
      ...(c.environment === undefined ? {} : { environment: c.environment }),
    }),
  );
const onlyIssue = (list: Crash[]) => [...reduceCrashes(crashes(list)).issues.values()][0]!;

const A: Crash = { id: 'a', version: '1.0.0', client: 'c1', at: '2026-11-20T10:00:00Z' };
const B: Crash = { id: 'b', version: '2.0.0', environment: 'staging', client: 'c2', at: '2026-11-20T11:00:00Z' };
const C: Crash = { id: 'c', version: '2.0.0', environment: 'staging', client: 'c3', at: '2026-11-20T09:00:00Z' };
const D: Crash = { id: 'd', version: '2.0.0', environment: 'production', client: 'c1', at: '2026-11-21T09:00:00Z' };

describe('mergeIssue: environments', () => {
  it('counts each environment with its first crash, a report naming none as production', () => {
    const issue = mergeIssue(null, onlyIssue([A, B, C, D]), NOW);
    expect(issue.environments).toEqual({
      production: { count: 2, firstSeen: new Date(A.at), firstVersion: '1.0.0' },
      staging: { count: 2, firstSeen: new Date(C.at), firstVersion: '2.0.0' },
    });
    expect(releaseFiguresIn(issue, '2.0.0', 'staging')).toEqual({ count: 2, installs: 2 });
    expect(releaseFiguresIn(issue, '2.0.0', 'production')).toEqual({ count: 1, installs: 1 });
    expect(releaseFiguresIn(issue, '1.0.0', 'staging')).toEqual({ count: 0, installs: 0 });
    expect(releaseFiguresIn(issue, '2.0.0', undefined)).toEqual({ count: 3, installs: 3 });
  });

  it('gives the same document whichever order the batches commit in', () => {
    const first = onlyIssue([A, B]);
    const second = onlyIssue([C, D]);
    const one = mergeIssue(mergeIssue(null, first, NOW), second, NOW);
    const other = mergeIssue(mergeIssue(null, second, NOW), first, NOW);
    expect(one.environments).toEqual(other.environments);
    expect(one.releases).toEqual(other.releases);
    expect(one.environments?.staging).toEqual({ count: 2, firstSeen: new Date(C.at), firstVersion: '2.0.0' });
  });

  it(`keeps the ${MAX_ISSUE_ENVIRONMENTS} environments first seen, a later one counted in the totals only`, () => {
    const many: Crash[] = Array.from({ length: MAX_ISSUE_ENVIRONMENTS + 1 }, (_, n) => ({
      id: `e${n}`,
      version: '1.0.0',
      environment: `env-${String(n).padStart(2, '0')}`,
      client: `c${n}`,
      at: new Date(Date.parse('2026-11-20T00:00:00Z') + n * 60_000).toISOString(),
    }));
    // The latest first seen commits first: it is kept until earlier ones arrive, then dropped with its release counts.
    const late = mergeIssue(null, onlyIssue(many.slice(-1)), NOW);
    const issue = mergeIssue(late, onlyIssue(many.slice(0, -1)), NOW);
    const names = Object.keys(issue.environments ?? {});
    expect(names).toHaveLength(MAX_ISSUE_ENVIRONMENTS);
    expect(names).not.toContain(`env-${MAX_ISSUE_ENVIRONMENTS}`);
    expect(issue.count).toBe(MAX_ISSUE_ENVIRONMENTS + 1);
    expect(Object.keys(issue.releases![0]!.environments ?? {})).toEqual(names.slice().sort());
  });

  it('counts an environment whose name Firestore reserves as a field (__x__) in the totals only', () => {
    const issue = mergeIssue(null, onlyIssue([A, { ...B, environment: '__x__' }]), NOW);
    expect(Object.keys(issue.environments ?? {})).toEqual(['production']);
    expect(Object.keys(issue.releases?.find((r) => r.version === '2.0.0')?.environments ?? {})).toEqual([]);
    expect(issue.count).toBe(2);
  });

  it('reads an issue stored before environments were counted apart as all production, and merges onto that', () => {
    const legacy = mergeIssue(null, onlyIssue([A]), NOW) as IssueDoc;
    const installs = createSketch(ISSUE_PRECISION);
    for (const id of ['old-1', 'old-2', 'c1']) addHash(installs, hashClient(id));
    const stored: IssueDoc = {
      ...legacy,
      count: 5,
      releases: [{ version: '1.0.0', count: 5, installs: 3, sketch: encodeSketch(installs) }],
    };
    delete stored.environments;
    expect(environmentsOfIssue(stored)).toEqual({
      production: { count: 5, firstSeen: new Date(A.at), firstVersion: '1.0.0' },
    });
    expect(releaseFiguresIn(stored, '1.0.0', 'production')).toEqual({ count: 5, installs: 3 });
    expect(releaseFiguresIn(stored, '1.0.0', 'staging')).toEqual({ count: 0, installs: 0 });

    const merged = mergeIssue(stored, onlyIssue([{ ...A, id: 'a2', at: '2026-11-21T00:00:00Z' }, B]), NOW);
    expect(merged.environments).toEqual({
      production: { count: 6, firstSeen: new Date(A.at), firstVersion: '1.0.0' },
      staging: { count: 1, firstSeen: new Date(B.at), firstVersion: '2.0.0' },
    });
    // c1 was counted before: still three installs of 1.0.0 in production.
    expect(releaseFiguresIn(merged, '1.0.0', 'production')).toEqual({ count: 6, installs: 3 });
    expect(releaseFiguresIn(merged, '2.0.0', 'staging')).toEqual({ count: 1, installs: 1 });
  });

  it('carries an issue merged into another (regroup) with its environments', () => {
    const source = mergeIssue(null, onlyIssue([A, B]), NOW);
    const target = mergeIssue(null, onlyIssue([C]), NOW);
    const delta = environmentsAsDelta(source);
    expect(mergeIssueEnvironments(target, delta.environments)).toEqual({
      production: { count: 1, firstSeen: new Date(A.at), firstVersion: '1.0.0' },
      staging: { count: 2, firstSeen: new Date(C.at), firstVersion: '2.0.0' },
    });
    expect([...delta.releaseEnvironments.get('2.0.0')!.keys()]).toEqual(['staging']);
  });
});

describe('lowerPrecision', () => {
  it('keeps a small list exact', () => {
    const sketch = createSketch(ISSUE_PRECISION);
    for (let n = 0; n < 40; n++) addHash(sketch, hashClient(`c${n}`));
    expect(estimateDistinct(lowerPrecision(sketch, ROW_PRECISION))).toBe(40);
  });

  it('folds registers into the registers the lower precision would have counted itself', () => {
    const high = createSketch(ISSUE_PRECISION);
    const low = createSketch(ROW_PRECISION);
    for (let n = 0; n < 5000; n++) {
      addHash(high, hashClient(`c${n}`));
      addHash(low, hashClient(`c${n}`));
    }
    expect(high.registers).not.toBeNull();
    expect(lowerPrecision(high, ROW_PRECISION).registers).toEqual(low.registers);
  });
});
