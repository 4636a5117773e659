/* Search and filters of the issue listing, ingest → rollup → api over real HTTP on the emulators (api.md, Search and filters). */
import { FieldValue } from 'firebase-admin/firestore';
import type { IssueListView } from '../../functions/src/api/issues';
import { listIssues } from '../../functions/src/api/issues';
import { createFirestoreInsightsStore } from '../../functions/src/api/insights-store';
import { MAX_SCAN_PER_PAGE } from '../../functions/src/api/issues';
import type { IssueDoc } from '../../functions/src/grouping/schemas';
import { fixtureCrash, fixtureIssueId } from '../unit/rollup/reports';
import { callApi, productWithViewer, rollUpToTheEnd, type Answer } from './api-client';
import { requireEnv, testDb } from './helpers';
import { countingStore, expectedOrder, hexId, seedIssues } from './issue-seed';

const call = <T = IssueListView>(token: string, path: string): Promise<Answer<T>> => callApi<T>(token, 'GET', path);

// Fixture crashes and what the rollup makes of them (title | culprit | type):
const PY_CHECKOUT = 'python/checkout-1.3.0-checkout'; // KeyError: 'BOGUS' | checkout.py in apply_discount | KeyError
const PY_SHIPPING = 'python/checkout-1.3.0-shipping'; // KeyError: 'JP' | checkout.py in shipping_cost | KeyError
const NODE_CHECKOUT = 'node/checkout-1.3.0-checkout'; // TypeError: … (reading 'amount') | checkout.js in applyDiscount
const JAVA_CHECKOUT = 'java/checkout-1.3.0-checkout'; // … | com.acme.shop.Checkout.applyDiscount | java.util.NoSuchElementException
const JAVA_PRICING = 'java/pricing'; // … | com.acme.shop.Pricing$Calculator.priceOf | java.lang.UnsupportedOperationException
const NODE_ASYNC = 'node/async'; // RangeError: user id must be positive, got -4 | async.js in fetchUser
const NODE_AGGREGATE = 'node/aggregate'; // AggregateError: … | aggregate.js in fetchFromMirror

type Product = Awaited<ReturnType<typeof productWithViewer>>;

/** Sends a fixture's crash `times` times with the given fields; `environment` is set on the stored crash, as the ingest stores it. */
async function sendCrash(
  p: Product,
  id: string,
  opts: { version?: string; label?: string; app?: string; tags?: Record<string, string>; environment?: string } = {},
  times = 1,
): Promise<void> {
  for (let i = 0; i < times; i++) {
    const body = fixtureCrash(id, { version: opts.version ?? '1.0', ...(opts.label ? { label: opts.label } : {}) });
    if (opts.app !== undefined) body.app = { name: opts.app, version: opts.version ?? '1.0' };
    if (opts.tags !== undefined) body.tags = opts.tags;
    const stored = await p.send('/v1/crashes', body);
    if (opts.environment !== undefined)
      await testDb().doc(`products/${p.productKey}/crashes/${stored}`).update({ environment: opts.environment });
  }
}

const ids = (page: Answer<IssueListView>) => {
  expect(page.status).toBe(200);
  return page.json.issues.map((i) => i.id);
};
const sorted = (list: string[]) => [...list].sort();

/** Every id of a listing, following nextCursor; and how many pages it took. */
async function pageThrough(token: string, path: string): Promise<{ ids: string[]; pages: Answer<IssueListView>[] }> {
  const all: string[] = [];
  const pages: Answer<IssueListView>[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Answer<IssueListView> = await call(
      token,
      cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`,
    );
    all.push(...ids(page));
    pages.push(page);
    cursor = page.json.nextCursor;
  } while (cursor !== null && pages.length < 100);
  return { ids: all, pages };
}

describe('issue listing search and filters (ingest → rollup → api)', () => {
  let p: Product;
  let other: Product;
  const A = fixtureIssueId(PY_CHECKOUT);
  const H = fixtureIssueId(PY_SHIPPING);
  const B = fixtureIssueId(NODE_CHECKOUT);
  const C = fixtureIssueId(JAVA_CHECKOUT);
  const D = fixtureIssueId(JAVA_PRICING);
  const F = fixtureIssueId(NODE_ASYNC);
  const G = fixtureIssueId(NODE_AGGREGATE);

  beforeAll(async () => {
    [p, other] = await Promise.all([productWithViewer(), productWithViewer()]);
    await sendCrash(p, PY_CHECKOUT, { version: '2.3.0', label: 'pay' }, 3);
    await sendCrash(p, PY_SHIPPING, { version: '1.0', tags: { region: 'eu', plan: 'pro' } });
    await sendCrash(p, NODE_CHECKOUT, { version: '2.3.0', environment: 'staging' }, 2);
    await sendCrash(p, JAVA_CHECKOUT, { version: '1.0', app: 'admin' }, 4);
    await sendCrash(p, JAVA_PRICING, { version: '1.0', tags: { region: 'us' } });
    await sendCrash(p, NODE_ASYNC, { version: '2.3.0', label: 'pay', environment: 'staging' });
    // The other product has the same bugs, more often, and one of its own.
    await sendCrash(other, PY_CHECKOUT, { version: '2.3.0', label: 'pay' }, 5);
    await sendCrash(other, NODE_CHECKOUT, { version: '2.3.0', environment: 'staging' });
    await sendCrash(other, NODE_AGGREGATE, { version: '2.3.0', label: 'pay' });
    await rollUpToTheEnd();
    const ignored = await callApi(p.owner.token, 'PATCH', `${p.base}/issues/${H}`, { status: 'ignored' });
    expect(ignored.status).toBe(200);
  });

  it.each<[string, string, string[]]>([
    ['a word of the culprit, in any file or class', 'q=checkout', [A, B, C, H]],
    ['a word prefix, any case', 'q=CHECK', [A, B, C, H]],
    ['a camelCase part of an identifier', 'q=priceof', [D]],
    ['a camelCase query: every part must match', 'q=applyDiscount', [A, B, C]],
    ['several words: all must match', 'q=KeyError%20shipping', [H]],
    ['a word of the message in the title', 'q=positive', [F]],
    ['a word of the type', 'q=NoSuchElement', [C]],
    ['a word inside another word matches nothing', 'q=heckout', []],
    ['an environment', 'environment=staging', [B, F]],
    ['the production environment (absent on the report)', 'environment=production', [A, C, D, H]],
    ['a version', 'version=2.3.0', [A, B, F]],
    ['a label', 'label=pay', [A, F]],
    ['an exact type', 'type=KeyError', [A, H]],
    ['an app name', 'app=admin', [C]],
    ['a tag', 'tag=region:eu', [H]],
    ['two tags, both held', 'tag=region:eu&tag=plan:pro', [H]],
    ['two tags, one not held', 'tag=region:eu&tag=plan:free', []],
    ['a search and filters together', 'q=checkout&version=2.3.0&environment=production', [A]],
    ['an issue of the other product only', 'q=aggregate', []],
  ])('finds %s (%s)', async (_name, query, expected) => {
    const page = await call(p.viewer.token, `${p.base}/issues?${query}`);
    expect(sorted(ids(page))).toEqual(sorted(expected));
    expect(page.json.nextCursor).toBeNull();
  });

  it('combines with the status tabs', async () => {
    expect(sorted(ids(await call(p.viewer.token, `${p.base}/issues?q=checkout&status=unresolved`)))).toEqual(
      sorted([A, B, C]),
    );
    expect(ids(await call(p.viewer.token, `${p.base}/issues?q=checkout&status=ignored`))).toEqual([H]);
    expect(ids(await call(p.viewer.token, `${p.base}/issues?tag=region:eu&status=unresolved`))).toEqual([]);
  });

  it('orders by each sort, and counts only this product', async () => {
    const byCount = await call(p.viewer.token, `${p.base}/issues?q=checkout&sort=count`);
    expect(byCount.json.issues.map((i) => [i.id, i.count])).toEqual([
      [C, 4],
      [A, 3],
      [B, 2],
      [H, 1],
    ]);
    const byLastSeen = await call(p.viewer.token, `${p.base}/issues?q=checkout&sort=lastSeen`);
    const lastSeen = byLastSeen.json.issues.map((i) => Date.parse(i.lastSeen));
    expect(lastSeen).toEqual([...lastSeen].sort((x, y) => y - x));
    expect(ids(byLastSeen)[0]).toBe(C);
    const byClients = await call(p.viewer.token, `${p.base}/issues?label=pay&sort=clients`);
    expect(sorted(ids(byClients))).toEqual(sorted([A, F]));
    // The other product's own counts for the same issue id.
    const theirs = await call(other.viewer.token, `${other.base}/issues?q=checkout&sort=count`);
    expect(theirs.json.issues.map((i) => [i.id, i.count])).toEqual([
      [A, 5],
      [B, 1],
    ]);
  });

  it("never shows another product's issues, nor to a stranger", async () => {
    const mine = await call(p.viewer.token, `${other.base}/issues?q=checkout`);
    expect(mine.status).toBe(404);
    const aggregate = await call(other.viewer.token, `${other.base}/issues?q=aggregate`);
    expect(ids(aggregate)).toEqual([G]);
  });

  it.each<[string, string]>([
    ['tag=region', 'tag'],
    ['tag=:eu', 'tag'],
    ['environment=prod%20uction', 'environment'],
    ['q=one%20two%20three%20four%20five%20six%20seven%20eight%20nine', 'q'],
    [`version=${'9'.repeat(65)}`, 'version'],
    ['tag=a:1&tag=b:2&tag=c:3&tag=d:4&tag=e:5&tag=f:6', 'tag'],
  ])('answers 400 naming the parameter for %s', async (query, param) => {
    const res = await call(p.viewer.token, `${p.base}/issues?${query}`);
    expect([res.status, res.json.error?.code, res.json.error?.details?.issues?.[0]?.path]).toEqual([
      400,
      'invalid_argument',
      param,
    ]);
  });

  it('refuses a cursor of one search with another search, naming cursor', async () => {
    const first = await call(p.viewer.token, `${p.base}/issues?q=checkout&limit=1`);
    const next = first.json.nextCursor!;
    expect(next).not.toBeNull();
    const same = await call(p.viewer.token, `${p.base}/issues?q=checkout&limit=1&cursor=${encodeURIComponent(next)}`);
    expect(same.status).toBe(200);
    for (const query of ['q=check', 'q=checkout&label=pay', '']) {
      const res = await call(p.viewer.token, `${p.base}/issues?${query}&limit=1&cursor=${encodeURIComponent(next)}`);
      expect([query, res.status, res.json.error?.details?.issues?.[0]?.path]).toEqual([query, 400, 'cursor']);
    }
  });
});

/**
 * Issues stored before search tokens and list rows (neither on them): every third mentions
 * "checkout" in its culprit, the `zebras` say "zebra" in the title.
 */
function seedLegacyIssues(productKey: string, n: number, zebras: number[]): Promise<Map<string, IssueDoc>> {
  return seedIssues(
    productKey,
    n,
    (issue, i) => ({
      ...issue,
      title: `${issue.title}${zebras.includes(i) ? ' zebra' : ''}`,
      culprit: i % 3 === 0 ? 'CheckoutService.priceOf' : 'Orders.ship',
    }),
    false,
  );
}

/** A product as one created before list rows were kept is: without the marker that its rows are complete. */
async function productFromBeforeRows(): Promise<Product> {
  const p = await productWithViewer();
  const doc = testDb().doc(`products/${p.productKey}`);
  // A product created now has every row from the start.
  expect((await doc.get()).get('issueRowsComplete')).toBe(true);
  await doc.update({ issueRowsComplete: FieldValue.delete() });
  return p;
}

describe('a product with issues from before list rows', () => {
  let p: Product;
  let issues: Map<string, IssueDoc>;
  const rowsOf = (key: string) => testDb().collection(`products/${key}/issueRows`);
  /** Every tab and sort lists every issue; a search finds them only once they have tokens (as before rows). */
  const everyListing = async (tokens: boolean) => {
    const all = await pageThrough(p.viewer.token, `${p.base}/issues?limit=25&days=0`);
    expect(all.ids).toEqual(expectedOrder(issues, 'lastSeen'));
    const regressed = await pageThrough(p.viewer.token, `${p.base}/issues?status=regressed&sort=count&limit=7&days=0`);
    expect(regressed.ids).toEqual(expectedOrder(issues, 'count', (i) => i.status === 'regressed'));
    const zebra = await pageThrough(p.viewer.token, `${p.base}/issues?q=zebra&sort=clients&limit=1&days=0`);
    expect(zebra.ids).toEqual(tokens ? expectedOrder(issues, 'clients', (i) => i.title.endsWith('zebra')) : []);
  };

  beforeAll(async () => {
    p = await productFromBeforeRows();
    issues = await seedLegacyIssues(p.productKey, 60, [7, 41]);
  });

  it('lists every issue from the issue documents until the backfill gave each its row, then from the rows', async () => {
    // No row yet: what the listing shows can only come from the issues.
    expect((await rowsOf(p.productKey).count().get()).data().count).toBe(0);
    const first = hexId(1);
    await testDb()
      .doc(`products/${p.productKey}/issues/${first}`)
      .update({ title: 'Error: number 0 (issue document)' });
    issues.set(first, { ...issues.get(first)!, title: 'Error: number 0 (issue document)' });
    const titleOf = async () =>
      (await call(p.viewer.token, `${p.base}/issues?limit=100&days=0`)).json.issues.find((i) => i.id === first)?.title;
    expect(await titleOf()).toBe('Error: number 0 (issue document)');
    await everyListing(false);

    await testDb().doc('rollupState/searchBackfill').delete();
    await rollUpToTheEnd();
    await backfillToTheEnd();
    expect((await testDb().doc(`products/${p.productKey}`).get()).get('issueRowsComplete')).toBe(true);
    expect((await rowsOf(p.productKey).count().get()).data().count).toBe(60);
    await everyListing(true);

    // Now the rows are what the listing reads: a title changed on the issue document alone (no
    // service writes one so) is not shown; the row's is.
    await testDb().doc(`products/${p.productKey}/issues/${first}`).update({ title: 'Changed on the issue only' });
    expect(await titleOf()).toBe('Error: number 0 (issue document)');
  });
});

describe('paging a searched listing', () => {
  let p: Product;
  let issues: Map<string, IssueDoc>;
  const zebras = [150, 395];

  beforeAll(async () => {
    p = await productFromBeforeRows();
    issues = await seedLegacyIssues(p.productKey, 420, zebras);
    // The backfill passes over every issue once; restart it so this product's are in the pass.
    await testDb().doc('rollupState/searchBackfill').delete();
    await rollUpToTheEnd();
    // Other suites' products share the stack, so the pass can take several runs to reach these.
    await backfillToTheEnd();
    const stored = await testDb()
      .doc(`products/${p.productKey}/issues/${hexId(1)}`)
      .get();
    expect(stored.get('searchTokens')).toEqual(expect.arrayContaining(['checkout', 'env:production', 'v:1.0']));
    const row = await testDb()
      .doc(`products/${p.productKey}/issueRows/${hexId(1)}`)
      .get();
    expect(row.get('searchTokens')).toEqual(stored.get('searchTokens'));
  });

  it('gives issues stored before tokens theirs (the backfill) and pages a result bigger than a page, for every sort and a status', async () => {
    const checkout = (i: IssueDoc) => i.culprit === 'CheckoutService.priceOf';
    for (const sort of ['lastSeen', 'count', 'clients'] as const) {
      const all = await pageThrough(p.viewer.token, `${p.base}/issues?q=checkout&sort=${sort}&limit=25&days=0`);
      expect(all.ids).toEqual(expectedOrder(issues, sort, checkout));
      expect(all.pages).toHaveLength(Math.ceil(140 / 25));
    }
    const regressed = await pageThrough(
      p.viewer.token,
      `${p.base}/issues?q=service&status=regressed&version=1.0&sort=clients&limit=7`,
    );
    expect(regressed.ids).toEqual(expectedOrder(issues, 'clients', (i) => checkout(i) && i.status === 'regressed'));
    expect(regressed.ids).toHaveLength(35);
  });

  it('stops a page after a bounded scan and resumes where it stopped, so a rare match is still found', async () => {
    // One-letter words are matched in memory only: Firestore is asked for env:production, which all 420 hold.
    const all = await pageThrough(p.viewer.token, `${p.base}/issues?q=z&environment=production&limit=25`);
    expect(all.ids).toEqual(expectedOrder(issues, 'lastSeen', (i) => i.title.endsWith('zebra')));
    expect(all.pages.length).toBeGreaterThan(1);
    expect(all.pages.some((page) => page.json.issues.length < 25 && page.json.nextCursor !== null)).toBe(true);

    const store = countingStore(createFirestoreInsightsStore(testDb()));
    const caller = { uid: p.viewer.uid, email: null, displayName: null, signInProvider: 'google.com' };
    const page = await listIssues(
      { store, clock: () => new Date() },
      { productKey: p.productKey, query: { q: 'z', environment: 'production', days: '0' } },
      caller,
    );
    // product + at most MAX_SCAN_PER_PAGE issues read.
    expect(store.reads).toBe(1 + MAX_SCAN_PER_PAGE);
    expect(page.nextCursor).not.toBeNull();
    // A selective token costs its matches plus one, as the unfiltered listing does.
    const narrow = countingStore(createFirestoreInsightsStore(testDb()));
    const zebraPage = await listIssues(
      { store: narrow, clock: () => new Date() },
      { productKey: p.productKey, query: { q: 'zebra', days: '0' } },
      caller,
    );
    expect(zebraPage.issues).toHaveLength(2);
    expect(narrow.reads).toBe(1 + 2);
  });
});

/** Runs the rollup until its search backfill says it passed every issue of every product. */
async function backfillToTheEnd(): Promise<void> {
  for (let run = 0; run < 500; run++) {
    const res = await fetch(requireEnv('DUMPCATCHER_ROLLUP_URL'), { method: 'POST' });
    expect(res.status).toBe(200);
    const summary = (await res.json()) as { searchBackfill?: { done: boolean } };
    if (summary.searchBackfill?.done === true) return;
  }
  throw new Error('the search backfill did not finish in 500 rollup runs');
}
