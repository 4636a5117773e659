/**
 * The issue list's first pages come from list heads (grouping/list-heads.ts) kept by the
 * rollup's batches and the api's status changes, against the real emulator and functions: after
 * every step, every status tab in every sort answers exactly what the query over the rows gives.
 */
import { randomUUID } from 'node:crypto';
import { FieldPath } from 'firebase-admin/firestore';
import { listIssues } from '../../functions/src/api/issues';
import { createFirestoreInsightsStore } from '../../functions/src/api/insights-store';
import { pageOfHead, ListHeadDocSchema } from '../../functions/src/grouping/list-heads';
import { withDates } from '../../functions/src/shared/firestore';
import { callApi, productWithViewer, rollUpToTheEnd } from './api-client';
import { testDb } from './helpers';
import { countingStore } from './issue-seed';

const STATUSES = ['unresolved', 'resolved', 'ignored', 'regressed'] as const;
const SORTS = ['lastSeen', 'count', 'clients'] as const;
/** More issues than a head keeps (51), so the unresolved heads do not hold every issue. */
const ISSUES = 56;

let setup: Awaited<ReturnType<typeof productWithViewer>>;

async function crash(i: number, times = 1): Promise<void> {
  for (let n = 0; n < times; n++)
    await setup.send('/v1/crashes', {
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      fingerprint: `head-${i}`,
      exception: {
        type: 'Error',
        message: `head ${i}`,
        stacktrace: `Error: head ${i}\n    at f (/app/h.js:${i + 1}:1)`,
      },
      app: { name: 'shop', version: '1.0' },
    });
}

/** The first page as the query over the rows gives it. */
async function byQuery(status: string, sort: string, limit: number): Promise<string[]> {
  const snap = await testDb()
    .collection(`products/${setup.productKey}/issueRows`)
    .where('status', '==', status)
    .orderBy(sort, 'desc')
    .orderBy(FieldPath.documentId(), 'desc')
    .limit(limit)
    .get();
  return snap.docs.map((d) => d.id);
}

async function byApi(status: string, sort: string, limit: number): Promise<{ ids: string[]; next: boolean }> {
  const res = await callApi<{ issues: Array<{ id: string; count: number }>; nextCursor: string | null }>(
    setup.viewer.token,
    'GET',
    `${setup.base}/issues?status=${status}&sort=${sort}&limit=${limit}&days=0`,
  );
  expect(res.status).toBe(200);
  return { ids: res.json.issues.map((i) => i.id), next: res.json.nextCursor !== null };
}

/** Every tab in every sort answers the query's page, twice (the first may build the head). */
async function expectEveryTabExact(): Promise<void> {
  for (const status of STATUSES)
    for (const sort of SORTS)
      for (const limit of [5, 25]) {
        const truth = await byQuery(status, sort, limit + 1);
        for (let round = 0; round < 2; round++) {
          const answer = await byApi(status, sort, limit);
          expect([status, sort, limit, answer.ids]).toEqual([status, sort, limit, truth.slice(0, limit)]);
          expect([status, sort, limit, answer.next]).toEqual([status, sort, limit, truth.length > limit]);
        }
      }
}

async function head(status: string, sort: string) {
  const snap = await testDb().doc(`products/${setup.productKey}/listHeads/${status}-${sort}`).get();
  return snap.exists ? ListHeadDocSchema.parse(withDates(snap.data())) : null;
}

beforeAll(async () => {
  setup = await productWithViewer();
  for (let i = 0; i < ISSUES; i++) await crash(i, 1 + (i % 3));
  await rollUpToTheEnd();
}, 180_000);

describe('list heads', () => {
  it('answer every tab exactly as the query, and the rollup keeps them so', async () => {
    await expectEveryTabExact();
    // Built by the first views, then kept: the unresolved tab's first page is known to its head.
    const built = await head('unresolved', 'count');
    expect(built).not.toBeNull();
    expect(built!.exhaustive).toBe(false);
    expect(pageOfHead(built!, 25)).not.toBeNull();

    // The issue with the fewest crashes becomes the one with the most: a batch moves it up.
    const last = (await byQuery('unresolved', 'count', 100)).pop()!;
    const index = Number(
      /head (\d+)/.exec((await testDb().doc(`products/${setup.productKey}/issues/${last}`).get()).get('title'))?.[1],
    );
    expect(Number.isInteger(index)).toBe(true);
    await crash(index, 6);
    await rollUpToTheEnd();
    const after = await head('unresolved', 'count');
    expect(after!.version).toBeGreaterThan(built!.version);
    expect(after!.rows[0]!.id).toBe(last);
    await expectEveryTabExact();
  }, 180_000);

  it('answer a first page in 2 reads (the product and the head), after one that built it', async () => {
    const reads = async (sort: 'lastSeen' | 'count' | 'clients') => {
      const store = countingStore(createFirestoreInsightsStore(testDb()));
      const caller = { uid: setup.viewer.uid, email: null, displayName: null, signInProvider: 'google.com' };
      const page = await listIssues(
        { store, clock: () => new Date() },
        { productKey: setup.productKey, query: { status: 'unresolved', sort, limit: '25', days: '0' } },
        caller,
      );
      expect(page.issues).toHaveLength(25);
      return store.reads;
    };
    await testDb().doc(`products/${setup.productKey}/listHeads/unresolved-clients`).delete();
    // Not built: the product, the head (absent), 52 rows of the query, and the head again in its rebuild.
    expect(await reads('clients')).toBe(1 + 1 + 52 + 1);
    expect(await reads('clients')).toBe(2);
  });

  it('follow status changes: an issue leaves one tab and joins another', async () => {
    const top = (await byApi('unresolved', 'lastSeen', 5)).ids;
    for (const [id, status] of [
      [top[0]!, 'resolved'],
      [top[1]!, 'ignored'],
      [top[2]!, 'resolved'],
    ] as const) {
      const patched = await callApi(setup.owner.token, 'PATCH', `${setup.base}/issues/${id}`, { status });
      expect(patched.status).toBe(200);
    }
    await expectEveryTabExact();
    expect((await byApi('resolved', 'lastSeen', 25)).ids).toEqual(expect.arrayContaining([top[0], top[2]]));
    expect((await byApi('unresolved', 'lastSeen', 25)).ids).not.toContain(top[0]);
  }, 180_000);
});
