/* The api's issue and stats routes (functions/src/api/issues.ts, stats.ts) over an in-memory store. */
import { getIssue, listIssues, patchIssue, type InsightsStore } from '../../../functions/src/api/issues';
import type { Caller } from '../../../functions/src/api/products';
import type { ProductDoc } from '../../../functions/src/api/schemas';
import { getStats, listDays, MAX_STATS_DAYS } from '../../../functions/src/api/stats';
import { mergeCrashStats, mergeIssue, reduceCrashes, type ReportRecord } from '../../../functions/src/rollup/aggregate';
import type { CrashDoc, IssueDoc } from '../../../functions/src/rollup/schemas';
import { DumpcatcherError } from '../../../functions/src/shared/errors';
import { fixtureCrash } from './reports';

const KEY = 'pk_product_1';
const caller = (uid: string): Caller => ({ uid, email: null, displayName: null, signInProvider: 'google.com' });
const OWNER = caller('owner');
const VIEWER = caller('viewer');
const NOW = new Date('2026-11-22T12:00:00Z');

function crash(n: number, at: string, clientId: string): ReportRecord<CrashDoc> {
  const body = fixtureCrash('python/checkout-1.3.0-checkout', { version: '1.0', label: 'pay' }) as unknown as CrashDoc;
  return {
    path: `products/${KEY}/crashes/c${n}`,
    id: `c${n}`,
    doc: { ...body, productKey: KEY, clientId, receivedAt: new Date(at) },
  };
}

function storeWith(crashes: Array<ReportRecord<CrashDoc>>): InsightsStore & { issues: Map<string, IssueDoc> } {
  const delta = reduceCrashes(crashes);
  const issues = new Map<string, IssueDoc>();
  for (const issue of delta.issues.values()) issues.set(issue.fingerprint, mergeIssue(null, issue, NOW));
  const stats = new Map<string, unknown>();
  for (const s of delta.stats.values()) stats.set(`${s.day}_${s.by}`, mergeCrashStats(null, s, NOW));
  const product: ProductDoc = {
    name: 'Shop',
    ownerUid: 'owner',
    memberUids: ['owner', 'viewer'],
    createdAt: NOW,
    updatedAt: NOW,
    settings: { retentionDays: 90, rateLimitPerMinute: null },
  };
  return {
    issues,
    getProduct: async (key) => (key === KEY ? product : null),
    listIssues: async (_key, q) =>
      [...issues]
        .filter(([, i]) => q.status === undefined || i.status === q.status)
        .map(([id, issue]) => ({ id, issue }))
        .slice(0, q.limit),
    getIssue: async (_key, id) => issues.get(id) ?? null,
    getCrashes: async (_key, ids) =>
      ids.filter((id) => id !== 'c1').map((id) => ({ id, data: { receivedAt: NOW, extraJson: '{"a":1}' } })),
    updateIssueStatus: async (_key, id, change) => {
      const issue = issues.get(id);
      if (issue === undefined) return null;
      const next = { ...issue, ...change };
      issues.set(id, next);
      return next;
    },
    getStats: async (_key, ids) => new Map(ids.filter((id) => stats.has(id)).map((id) => [id, stats.get(id)])),
  };
}

async function codeOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    if (err instanceof DumpcatcherError) return `${err.httpStatus} ${err.code}`;
    throw err;
  }
  return 'ok';
}

describe('issue routes', () => {
  const crashes = [
    crash(1, '2026-11-20T10:00:00Z', 'a'),
    crash(2, '2026-11-21T10:00:00Z', 'a'),
    crash(3, '2026-11-21T11:00:00Z', 'b'),
  ];

  it('lists issues for members and hides the product from anyone else', async () => {
    const store = storeWith(crashes);
    const listed = await listIssues(store, { productKey: KEY, query: {} }, VIEWER);
    expect(listed.issues).toHaveLength(1);
    expect(listed.issues[0]).toMatchObject({
      count: 3,
      clients: 2,
      status: 'unresolved',
      firstSeen: '2026-11-20T10:00:00.000Z',
    });
    expect(await codeOf(listIssues(store, { productKey: KEY, query: {} }, caller('stranger')))).toBe('404 not_found');
    expect(await codeOf(listIssues(store, { productKey: KEY, query: { sort: 'newest' } }, VIEWER))).toBe(
      '400 invalid_argument',
    );
  });

  it('shows an issue with the recent crashes that still exist, extra parsed', async () => {
    const store = storeWith(crashes);
    const [id] = [...store.issues.keys()];
    const issue = await getIssue(store, { productKey: KEY, issueId: id! }, VIEWER);
    expect(issue.recentCrashes.map((c) => c.id)).toEqual(['c3', 'c2']); // c1 expired
    expect(issue.recentCrashes[0]).toMatchObject({ receivedAt: NOW.toISOString(), extra: { a: 1 } });
  });

  it('lets the owner change the status, recording when, and refuses viewers and bad bodies', async () => {
    const store = storeWith(crashes);
    const [id] = [...store.issues.keys()];
    const deps = { store, clock: () => NOW };
    const params = (body: unknown) => ({ productKey: KEY, issueId: id!, body });
    expect(await codeOf(patchIssue(deps, params({ status: 'resolved' }), VIEWER))).toBe('403 permission_denied');
    expect(await codeOf(patchIssue(deps, params({ status: 'regressed' }), OWNER))).toBe('400 invalid_body');
    expect(await codeOf(patchIssue(deps, params({ status: 'unresolved', resolvedInVersion: '1' }), OWNER))).toBe(
      '400 invalid_body',
    );
    expect(await codeOf(patchIssue(deps, { ...params({ status: 'ignored' }), issueId: 'f'.repeat(64) }, OWNER))).toBe(
      '404 not_found',
    );
    const view = await patchIssue(deps, params({ status: 'resolved', resolvedInVersion: ' 1.3 ' }), OWNER);
    expect(view).toMatchObject({ status: 'resolved', resolvedInVersion: '1.3', statusChangedAt: NOW.toISOString() });
    const reopened = await patchIssue(deps, params({ status: 'unresolved' }), OWNER);
    expect([reopened.status, reopened.resolvedInVersion]).toEqual(['unresolved', null]);
  });
});

describe('stats routes', () => {
  it('lists the days of a range and refuses reversed, impossible or too long ranges', () => {
    expect(listDays('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(() => listDays('2026-03-01', '2026-02-28')).toThrow(DumpcatcherError);
    expect(() => listDays('2026-02-30', '2026-03-01')).toThrow('real days');
    expect(listDays('2026-01-01', '2026-04-02')).toHaveLength(MAX_STATS_DAYS);
    expect(() => listDays('2026-01-01', '2026-04-03')).toThrow(`${MAX_STATS_DAYS} days`);
  });

  it('adds counts across days and counts a client seen on two days once', async () => {
    const store = storeWith([
      crash(1, '2026-11-20T10:00:00Z', 'a'),
      crash(2, '2026-11-21T10:00:00Z', 'a'),
      crash(3, '2026-11-21T11:00:00Z', 'b'),
    ]);
    const both = await getStats(
      store,
      { productKey: KEY, query: { by: 'label', from: '2026-11-19', to: '2026-11-21' } },
      VIEWER,
    );
    expect(both).toEqual({
      by: 'label',
      from: '2026-11-19',
      to: '2026-11-21',
      total: { count: 3, clients: 2 },
      rows: [{ value: 'pay', count: 3, clients: 2 }],
      other: null,
    });
    const one = await getStats(
      store,
      { productKey: KEY, query: { by: 'type', from: '2026-11-21', to: '2026-11-21' } },
      VIEWER,
    );
    expect(one).toMatchObject({ total: { count: 2, clients: 2 }, rows: [{ value: 'KeyError', count: 2, clients: 2 }] });
    expect(await codeOf(getStats(store, { productKey: KEY, query: { by: 'type', from: '2026-11-21' } }, VIEWER))).toBe(
      '400 invalid_argument',
    );
  });
});
