/* The api routes the dashboard reads (issue paging, issue detail, crash feed, stats series), over real HTTP on the emulators. */
import { randomUUID } from 'node:crypto';
import { listIssues, type IssueListView } from '../../functions/src/api/issues';
import type { CrashFeedView } from '../../functions/src/api/crashes';
import { createFirestoreInsightsStore } from '../../functions/src/api/insights-store';
import { fixture, fixtureCrash, fixtureIssueId } from '../unit/rollup/reports';
import { callApi, googleUser, productWithViewer, rollUpToTheEnd, type Answer } from './api-client';
import { testDb } from './helpers';
import { countingStore, expectedOrder, seedIssues } from './issue-seed';

async function call<T = Record<string, unknown>>(token: string, path: string): Promise<Answer<T>> {
  return callApi<T>(token, 'GET', path);
}

const rollUp = rollUpToTheEnd;

/** A product made through the api with a viewer, a stranger, and a signed sender of its crashes. */
async function setup() {
  const [product, stranger] = await Promise.all([productWithViewer(), googleUser('stranger')]);
  return { ...product, stranger };
}

const DAY_MS = 86_400_000;

const issueOf = fixtureIssueId;
const today = () => new Date().toISOString().slice(0, 10);
async function pageThrough(token: string, path: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep: string = path.includes('?') ? '&' : '?';
    const page: Answer<IssueListView> = await call<IssueListView>(
      token,
      cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`,
    );
    expect(page.status).toBe(200);
    ids.push(...page.json.issues.map((i) => i.id));
    cursor = page.json.nextCursor;
    pages++;
  } while (cursor !== null && pages < 50);
  return { ids, pages };
}

describe('issue listing for the dashboard', () => {
  it('pages through 120 issues 25 at a time, each exactly once and in order, for every sort and a status filter', async () => {
    const s = await setup();
    const issues = await seedIssues(s.productKey, 120);
    for (const sort of ['lastSeen', 'count', 'clients'] as const) {
      const all = await pageThrough(s.viewer.token, `${s.base}/issues?sort=${sort}&limit=25&days=0`);
      expect(all.pages).toBe(5);
      expect(all.ids).toEqual(expectedOrder(issues, sort));
    }
    const regressed = await pageThrough(s.viewer.token, `${s.base}/issues?status=regressed&sort=clients&limit=7`);
    expect(regressed.ids).toEqual(expectedOrder(issues, 'clients', (i) => i.status === 'regressed'));
    expect(regressed.pages).toBe(5); // 30 regressed issues: 7+7+7+7+2
  });

  it('adds each issue its crashes per day from the rollup, 0 on days without any, and the days they count', async () => {
    const s = await setup();
    const crashId = 'python/checkout-1.3.0-checkout';
    await s.send('/v1/crashes', fixtureCrash(crashId, { version: '1.0' }));
    await s.send('/v1/crashes', fixtureCrash(crashId, { version: '1.0' }));
    await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.0' }));
    await rollUp();
    const id = issueOf(crashId);
    const listed = await call<IssueListView>(s.viewer.token, `${s.base}/issues?days=3&sort=count`);
    expect(listed.status).toBe(200);
    const days = [2, 1, 0].map((back) => new Date(Date.now() - back * DAY_MS).toISOString().slice(0, 10));
    expect(listed.json.days).toEqual(days);
    expect(listed.json.nextCursor).toBeNull();
    expect(listed.json.issues.map((i) => [i.id === id, i.count, i.daily])).toEqual([
      [true, 2, [0, 0, 2]],
      [false, 1, [0, 0, 1]],
    ]);
    expect((await call<IssueListView>(s.viewer.token, `${s.base}/issues`)).json.days).toHaveLength(14);
  });

  const pageReads = async (s: { productKey: string; viewer: { uid: string } }, limit: number, days: number) => {
    const store = countingStore(createFirestoreInsightsStore(testDb()));
    const caller = { uid: s.viewer.uid, email: null, displayName: null, signInProvider: 'google.com' };
    const page = await listIssues(
      { store, clock: () => new Date() },
      { productKey: s.productKey, query: { limit: String(limit), days: String(days) } },
      caller,
    );
    expect(page.issues).toHaveLength(limit);
    return { page, reads: store.reads };
  };

  it('costs the rows shown plus a constant, whatever the page size and days, sparklines from the rows', async () => {
    const s = await setup();
    await seedIssues(s.productKey, 60);
    const reads: Record<string, number> = {};
    for (const [limit, days] of [
      [10, 14],
      [25, 14],
      [25, 0],
      [50, 30],
    ] as const) {
      const { page, reads: n } = await pageReads(s, limit, days);
      expect(page.issues.every((i) => i.daily.length === days && (days === 0 || i.daily[days - 1] === 2))).toBe(true);
      reads[`${limit}/${days}`] = n;
    }
    // product + (rows + 1, to know whether a next page exists)
    expect(reads).toEqual({ '10/14': 10 + 2, '25/14': 25 + 2, '25/0': 25 + 2, '50/30': 50 + 2 });
  });

  it('reads the day stats for rows stored before per-day counts, only while they were seen within the days', async () => {
    const s = await setup();
    // Stored before per-day counts were kept: no `daily`.
    const issues = await seedIssues(s.productKey, 30, ({ daily: _daily, ...issue }) => issue);
    const [someId] = expectedOrder(issues, 'lastSeen');
    await testDb()
      .doc(`products/${s.productKey}/stats/${today()}_issue`)
      .set({
        productKey: s.productKey,
        day: today(),
        by: 'issue',
        total: { count: 5, clients: 1, sketch: new Uint8Array(0) },
        rows: [{ value: someId, count: 5, clients: 1, sketch: new Uint8Array(0) }],
        other: null,
        updatedAt: new Date(),
      });
    const recent = await pageReads(s, 25, 14);
    expect(recent.reads).toBe(25 + 14 + 2);
    expect(recent.page.issues.map((i) => i.daily[13])).toEqual([5, ...Array.from({ length: 24 }, () => 0)]);
    const batch = testDb().batch();
    for (const id of issues.keys()) {
      for (const collection of ['issues', 'issueRows'])
        batch.update(testDb().doc(`products/${s.productKey}/${collection}/${id}`), {
          lastSeen: new Date(Date.now() - 20 * DAY_MS),
        });
    }
    await batch.commit();
    const old = await pageReads(s, 25, 14);
    expect(old.reads).toBe(25 + 2);
    expect(old.page.issues.every((i) => i.daily.length === 14 && i.daily.every((c) => c === 0))).toBe(true);
  });

  it('answers 404 to a stranger and 400 naming the parameter for bad ones, a foreign cursor included', async () => {
    const s = await setup();
    const other = await setup();
    await seedIssues(s.productKey, 3);
    await seedIssues(other.productKey, 3);
    const stranger = await call(s.stranger.token, `${s.base}/issues`);
    expect([stranger.status, stranger.json.error?.code]).toEqual([404, 'not_found']);
    const foreign = (await call<IssueListView>(other.owner.token, `${other.base}/issues?limit=1`)).json.nextCursor!;
    const ownSort = (await call<IssueListView>(s.viewer.token, `${s.base}/issues?limit=1`)).json.nextCursor!;
    for (const [query, param] of [
      ['status=open', 'status'],
      ['sort=newest', 'sort'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['days=31', 'days'],
      ['cursor=bm90IGEgY3Vyc29y', 'cursor'],
      [`cursor=${foreign}`, 'cursor'],
      [`sort=count&cursor=${ownSort}`, 'cursor'],
    ]) {
      const res = await call(s.viewer.token, `${s.base}/issues?${query}`);
      expect([query, res.status, res.json.error?.code, res.json.error?.details?.issues?.[0]?.path]).toEqual([
        query,
        400,
        'invalid_argument',
        param,
      ]);
    }
  });
});

describe('issue detail for the dashboard', () => {
  it('shows daily counts and each recent crash with its parsed frames, innermost first, and every report field', async () => {
    const s = await setup();
    const crashId = 'java/checkout-1.3.0-checkout';
    const body: Record<string, unknown> = {
      ...fixtureCrash(crashId, { version: '1.3.0', label: 'pay', installId: 'install-0001' }),
      tags: { region: 'eu' },
      extra: { cart: { items: 2 } },
      os: { name: 'Linux', version: '6.1', arch: 'x64' },
    };
    const docId = await s.send('/v1/crashes', body);
    await rollUp();
    const f = fixture(crashId);
    const id = issueOf(crashId);
    const detail = await call<{
      daily: Array<{ day: string; count: number }>;
      recentCrashes: CrashFeedView['crashes'];
    }>(s.viewer.token, `${s.base}/issues/${id}?days=2`);
    expect(detail.status).toBe(200);
    expect(detail.json.daily).toEqual([
      { day: new Date(Date.now() - DAY_MS).toISOString().slice(0, 10), count: 0 },
      { day: today(), count: 1 },
    ]);
    const [crash] = detail.json.recentCrashes;
    expect(crash).toMatchObject({
      id: docId,
      reportId: body.reportId,
      issueId: id,
      label: 'pay',
      tags: { region: 'eu' },
      extra: { cart: { items: 2 } },
      os: { name: 'Linux', version: '6.1', arch: 'x64' },
      runtime: { name: f.report.runtime, version: '1' },
      app: { name: 'shop', version: '1.3.0' },
      occurredAt: body.occurredAt,
      exception: { type: f.report.type, message: f.report.message, stacktrace: f.text, stacktraceTruncated: false },
    });
    expect(Date.parse(crash!.receivedAt!)).toBeGreaterThan(Date.now() - 120_000);
    // The JVM prints the innermost call first, as the parser lists them: the fixture's frames as they are.
    expect(crash!.frames).toEqual(f.exceptions[0]!.frames);
    expect(crash!.frames.map((x) => x.inApp)).toContain(true);
    expect(crash!.frames.map((x) => x.inApp)).toContain(false);
    expect((await call<{ daily: unknown[] }>(s.viewer.token, `${s.base}/issues/${id}`)).json.daily).toHaveLength(30);

    const bad = await call(s.viewer.token, `${s.base}/issues/${id}?days=93`);
    expect([bad.status, bad.json.error?.details?.issues?.[0]?.path]).toEqual([400, 'days']);
    const stranger = await call(s.stranger.token, `${s.base}/issues/${id}`);
    expect([stranger.status, stranger.json.error?.code]).toEqual([404, 'not_found']);
  });
});

describe('crash feed for the dashboard', () => {
  it('shows new crashes as they arrive, newest first, then their issue once the rollup has applied them', async () => {
    const s = await setup();
    const empty = await call<CrashFeedView>(s.viewer.token, `${s.base}/crashes`);
    expect(empty.status).toBe(200);
    expect(empty.json.crashes).toEqual([]);
    const start = empty.json.cursor;

    const first = await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.3.0' }));
    const second = await s.send('/v1/crashes', fixtureCrash('python/checkout-1.3.0-checkout', { version: '1.3.0' }));
    const arrived = await call<CrashFeedView>(s.viewer.token, `${s.base}/crashes?after=${start}`);
    expect(arrived.json.crashes.map((c) => c.id)).toEqual([second, first]);
    // Null until a rollup has applied the crash (another suite's rollup may already have run).
    const [newer, older] = arrived.json.crashes.map((c) => c.issueId);
    expect([null, issueOf('python/checkout-1.3.0-checkout')]).toContain(newer);
    expect([null, issueOf('node/checkout-1.3.0-checkout')]).toContain(older);
    // One order for every runtime: the innermost call first, Python's too.
    expect(arrived.json.crashes[0]!.frames[0]).toMatchObject({ function: 'apply_discount', inApp: true });
    expect(arrived.json.crashes[1]!.frames[0]).toMatchObject({ function: 'applyDiscount', inApp: true });

    const nothingNew = await call<CrashFeedView>(s.viewer.token, `${s.base}/crashes?after=${arrived.json.cursor}`);
    expect(nothingNew.json).toEqual({ crashes: [], cursor: arrived.json.cursor });

    const third = await s.send('/v1/crashes', fixtureCrash('java/orders', { version: '1.3.0' }));
    const onlyNew = await call<CrashFeedView>(s.viewer.token, `${s.base}/crashes?after=${arrived.json.cursor}`);
    expect(onlyNew.json.crashes.map((c) => c.id)).toEqual([third]);

    await rollUp();
    const latest = await call<CrashFeedView>(s.viewer.token, `${s.base}/crashes?limit=2`);
    expect(latest.json.crashes.map((c) => [c.id, c.issueId])).toEqual([
      [third, issueOf('java/orders')],
      [second, issueOf('python/checkout-1.3.0-checkout')],
    ]);
    const issue = await call(s.viewer.token, `${s.base}/issues/${latest.json.crashes[0]!.issueId}`);
    expect(issue.status).toBe(200);
  });

  it("costs two reads for a poll with nothing new, and never shows another product's crashes", async () => {
    const s = await setup();
    const other = await setup();
    await other.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.0' }));
    const mine = await s.send('/v1/crashes', fixtureCrash('node/checkout-1.3.0-checkout', { version: '1.0' }));
    const feed = await call<CrashFeedView>(s.owner.token, `${s.base}/crashes`);
    expect(feed.json.crashes.map((c) => c.id)).toEqual([mine]);

    const { listCrashes } = await import('../../functions/src/api/crashes');
    const store = countingStore(createFirestoreInsightsStore(testDb()));
    const caller = { uid: s.viewer.uid, email: null, displayName: null, signInProvider: 'google.com' };
    const poll = await listCrashes(store, { productKey: s.productKey, query: { after: feed.json.cursor } }, caller);
    expect(poll.crashes).toEqual([]);
    expect(store.reads).toBe(2); // the product (membership) and one empty query
  });

  it('answers 404 to a stranger and 400 naming limit or after', async () => {
    const s = await setup();
    const other = await setup();
    const foreign = (await call<CrashFeedView>(other.owner.token, `${other.base}/crashes`)).json.cursor;
    const stranger = await call(s.stranger.token, `${s.base}/crashes`);
    expect([stranger.status, stranger.json.error?.code]).toEqual([404, 'not_found']);
    for (const [query, param] of [
      ['limit=0', 'limit'],
      ['limit=51', 'limit'],
      ['after=xyz', 'after'],
      [`after=${foreign}`, 'after'],
      ['since=1', 'since'],
    ]) {
      const res = await call(s.viewer.token, `${s.base}/crashes?${query}`);
      expect([query, res.status, res.json.error?.code, res.json.error?.details?.issues?.[0]?.path]).toEqual([
        query,
        400,
        'invalid_argument',
        param,
      ]);
    }
  });
});

describe('stats series for the dashboard', () => {
  it('adds a point per day for a crash dimension and for usage with series=day, and nothing without it', async () => {
    const s = await setup();
    await s.send('/v1/crashes', fixtureCrash('java/orders', { version: '1.2.0', installId: 'install-0001' }));
    await s.send('/v1/crashes', fixtureCrash('java/orders', { version: '1.2.0', installId: 'install-0002' }));
    await s.send('/v1/usage', {
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      app: { name: 'shop', version: '1.2.0' },
      installId: 'install-0001',
      metrics: { launches: 1 },
    });
    await rollUp();
    const from = new Date(Date.now() - 2 * DAY_MS).toISOString().slice(0, 10);
    const mid = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    const day = today();
    const crashes = await call(s.viewer.token, `${s.base}/stats?by=version&from=${from}&to=${day}&series=day`);
    expect(crashes.status).toBe(200);
    expect(crashes.json.series).toEqual([
      { day: from, count: 0, clients: 0 },
      { day: mid, count: 0, clients: 0 },
      { day, count: 2, clients: 2 },
    ]);
    expect(crashes.json.total).toEqual({ count: 2, clients: 2 });
    const usage = await call(s.viewer.token, `${s.base}/stats?by=usage&from=${mid}&to=${day}&series=day`);
    expect(usage.json.series).toEqual([
      { day: mid, reports: 0, installs: 0 },
      { day, reports: 1, installs: 1 },
    ]);
    const plain = await call(s.viewer.token, `${s.base}/stats?by=version&from=${from}&to=${day}`);
    expect(plain.json).not.toHaveProperty('series');
    const bad = await call(s.viewer.token, `${s.base}/stats?by=version&from=${from}&to=${day}&series=hour`);
    expect([bad.status, bad.json.error?.details?.issues?.[0]?.path]).toEqual([400, 'series']);
    const stranger = await call(s.stranger.token, `${s.base}/stats?by=version&from=${from}&to=${day}&series=day`);
    expect([stranger.status, stranger.json.error?.code]).toEqual([404, 'not_found']);
  });
});
