import { randomUUID } from 'node:crypto';
import { newClientId, sendSigned } from '../../scripts/lib/client';
import { runRollup, type RollupStore } from '../../functions/src/rollup/rollup';
import { createFirestoreRollupStore } from '../../functions/src/rollup/store';
import { fixtureCrash, fixtureIssueId } from '../unit/rollup/reports';
import { newProduct, requireEnv, rollUpToTheEnd, testDb } from './helpers';

const ingestUrl = () => requireEnv('DUMPCATCHER_INGEST_URL');
const rollupUrl = () => requireEnv('DUMPCATCHER_ROLLUP_URL');

/** POSTs to the rollup as Cloud Scheduler does, until it says it has caught up. */
const rollUp = rollUpToTheEnd;

/** A product and a way to send its crashes over signed HTTP, each from a client of its own or a named one. */
async function productWithSender() {
  const product = await newProduct('rollup test');
  const clients = new Map<string, { id: string; counter: number }>();
  const send = async (
    path: '/v1/crashes' | '/v1/usage',
    body: Record<string, unknown>,
    client: string = randomUUID(),
  ) => {
    let c = clients.get(client);
    if (c === undefined) clients.set(client, (c = { id: newClientId(), counter: 0 }));
    const res = await sendSigned({
      baseUrl: ingestUrl(),
      path,
      ...product,
      clientId: c.id,
      counter: ++c.counter,
      body,
    });
    expect(res.status).toBe(202);
    return res.json.id as string;
  };
  return { ...product, send };
}

const fingerprintOf = fixtureIssueId;

async function issuesOf(productKey: string) {
  const snap = await testDb().collection('products').doc(productKey).collection('issues').get();
  return new Map(snap.docs.map((d) => [d.id, d.data()]));
}

/** Every environment's documents of one `by`, not one environment's copies (which have `environment`). */
async function allEnvironmentsStats(productKey: string, by: string) {
  const snap = await testDb().collection('products').doc(productKey).collection('stats').where('by', '==', by).get();
  return snap.docs.filter((d) => d.get('environment') === undefined);
}

/** The rows of every day of one dimension, summed (a test may straddle UTC midnight). */
async function statsOf(productKey: string, by: string) {
  const docs = await allEnvironmentsStats(productKey, by);
  const rows: Record<string, number> = {};
  let total = 0;
  for (const doc of docs) {
    expect(doc.id).toBe(`${doc.get('day')}_${by}`);
    total += doc.get('total.count') as number;
    for (const row of doc.get('rows') as Array<{ value: string; count: number }>)
      rows[row.value] = (rows[row.value] ?? 0) + row.count;
  }
  return { total, rows, days: docs.length };
}

/** Every aggregate document of a product with its update time, to prove a run wrote nothing. */
async function aggregatesOf(productKey: string) {
  const product = testDb().collection('products').doc(productKey);
  const [issues, stats] = await Promise.all([product.collection('issues').get(), product.collection('stats').get()]);
  return [...issues.docs, ...stats.docs].map((d) => ({
    path: d.ref.path,
    updateTime: d.updateTime.toMillis(),
    data: d.data(),
  }));
}

/** The crashes of the grouping test: three runtimes, two versions, repeated bugs, labels, installations. */
const CRASHES: Array<[string, { version: string; label?: string; installId?: string }, string]> = [
  ['python/checkout-1.2.0-checkout', { version: '1.2.0', label: 'checkout', installId: 'install-aaaa1' }, 'p1'],
  ['python/checkout-1.3.0-checkout', { version: '1.3.0', label: 'checkout', installId: 'install-aaaa1' }, 'p2'],
  ['python/checkout-1.3.0-checkout', { version: '1.3.0', label: 'checkout', installId: 'install-bbbb2' }, 'p3'],
  ['python/checkout-1.3.0-preview', { version: '1.3.0' }, 'p1'],
  ['java/checkout-1.2.0-checkout', { version: '1.2.0', label: 'checkout' }, 'j1'],
  ['java/checkout-1.3.0-checkout', { version: '1.3.0', label: 'checkout' }, 'j2'],
  ['node/checkout-1.3.0-shipping', { version: '1.3.0', label: 'shipping' }, 'n1'],
  ['node/checkout-1.3.0-shipping', { version: '1.3.0', label: 'shipping' }, 'n1'],
];

describe('rollup over HTTP on the Firestore emulator', () => {
  it('groups real Python, Java and Node crashes into issues and counts them per day by every dimension', async () => {
    const p = await productWithSender();
    const ids: string[] = [];
    for (const [id, fields, client] of CRASHES) ids.push(await p.send('/v1/crashes', fixtureCrash(id, fields), client));
    const summary = await rollUp();
    expect(summary.caughtUp).toBe(true);

    const issues = await issuesOf(p.productKey);
    const python = issues.get(fingerprintOf('python/checkout-1.3.0-checkout'));
    const java = issues.get(fingerprintOf('java/checkout-1.3.0-checkout'));
    const node = issues.get(fingerprintOf('node/checkout-1.3.0-shipping'));
    expect(issues.size).toBe(4);
    expect(python).toMatchObject({
      title: "KeyError: 'BOGUS'",
      culprit: 'checkout.py in apply_discount',
      type: 'KeyError',
      count: 3,
      clients: 2, // two installations; the report without installId counts its client id
      versions: ['1.2.0', '1.3.0'],
      lastVersion: '1.3.0',
      status: 'unresolved',
      resolvedInVersion: null,
      recentCrashIds: [ids[2], ids[1], ids[0]],
    });
    expect(python?.firstSeen.toMillis()).toBeLessThanOrEqual(python?.lastSeen.toMillis());
    expect(issues.get(fingerprintOf('python/checkout-1.3.0-preview'))).toMatchObject({ count: 1, clients: 1 });
    expect(java).toMatchObject({
      type: 'java.util.NoSuchElementException',
      count: 2,
      clients: 2,
      versions: ['1.2.0', '1.3.0'],
    });
    expect(node).toMatchObject({ type: 'TypeError', count: 2, clients: 1, versions: ['1.3.0'] });

    expect(await statsOf(p.productKey, 'type')).toMatchObject({
      total: 8,
      rows: { KeyError: 4, 'java.util.NoSuchElementException': 2, TypeError: 2 },
    });
    expect((await statsOf(p.productKey, 'label')).rows).toEqual({ checkout: 5, shipping: 2 });
    expect((await statsOf(p.productKey, 'version')).rows).toEqual({ '1.2.0': 2, '1.3.0': 6 });
    expect((await statsOf(p.productKey, 'issue')).rows).toEqual({
      [fingerprintOf('python/checkout-1.3.0-checkout')]: 3,
      [fingerprintOf('python/checkout-1.3.0-preview')]: 1,
      [fingerprintOf('java/checkout-1.3.0-checkout')]: 2,
      [fingerprintOf('node/checkout-1.3.0-shipping')]: 2,
    });
    const lines = (await statsOf(p.productKey, 'line')).rows;
    expect(lines['checkout.py:8']).toBe(1); // 1.2.0's apply_discount
    expect(lines['checkout.py:17']).toBe(3); // 1.3.0's apply_discount: twice from checkout(), once from preview()
    expect(Object.values(lines).reduce((a, b) => a + b, 0)).toBe(8);
  });

  it('changes nothing when run again over the same window', async () => {
    const p = await productWithSender();
    for (const [id, fields, client] of CRASHES.slice(0, 4))
      await p.send('/v1/crashes', fixtureCrash(id, fields), client);
    await rollUp();
    const before = await aggregatesOf(p.productKey);
    expect(before.length).toBeGreaterThan(0);
    await rollUp();
    expect(await aggregatesOf(p.productKey)).toEqual(before);
  });

  it('counts every crash exactly once when a run dies after computing a batch, and when runs overlap', async () => {
    const p = await productWithSender();
    for (let i = 0; i < 9; i++)
      await p.send(
        '/v1/crashes',
        fixtureCrash('node/checkout-1.2.0-checkout', { version: `2.${i % 3}`, label: 'pay' }),
        `c${i % 4}`,
      );
    // In-process run against the same emulator, with a store that dies in its second commit.
    const real = createFirestoreRollupStore(testDb());
    let commits = 0;
    const dying: RollupStore = {
      ...real,
      commitBatch: async (batch) => {
        if (++commits === 2) {
          await real.commitBatch({
            ...batch,
            plan: (current, live) => {
              batch.plan(current, live);
              throw new Error('injected: died before commit');
            },
          });
        }
        return real.commitBatch(batch);
      },
    };
    const config = {
      DUMPCATCHER_ROLLUP_LAG_SECONDS: 0,
      DUMPCATCHER_ROLLUP_BUDGET_SECONDS: 50,
      DUMPCATCHER_ROLLUP_BATCH_SIZE: 2,
    };
    await expect(runRollup({ store: dying, clock: () => new Date(), config })).rejects.toThrow('injected');
    // Three overlapping scheduled runs finish the job.
    const runs = await Promise.all([rollUp(), rollUp(), rollUp()]);
    expect(runs.every((r) => r.caughtUp)).toBe(true);
    expect(await statsOf(p.productKey, 'label')).toMatchObject({ total: 9, rows: { pay: 9 } });
    expect((await statsOf(p.productKey, 'version')).rows).toEqual({ '2.0': 3, '2.1': 3, '2.2': 3 });
    const issue = (await issuesOf(p.productKey)).get(fingerprintOf('node/checkout-1.2.0-checkout'));
    expect(issue).toMatchObject({ count: 9, clients: 4 });
  });

  it('keeps an issue resolved in 1.3 resolved on a crash in 1.2, and reopens it as regressed on 1.3 or 1.4', async () => {
    const p = await productWithSender();
    const checkout = 'java/checkout-1.3.0-checkout';
    const shipping = 'java/checkout-1.3.0-shipping';
    await p.send('/v1/crashes', fixtureCrash(checkout, { version: '1.2.9' }));
    await p.send('/v1/crashes', fixtureCrash(shipping, { version: '1.2.9' }));
    await rollUp();
    const issues = testDb().collection('products').doc(p.productKey).collection('issues');
    // What PATCH /v1/products/{key}/issues/{id} writes (tested through the api in rollup-api.test.ts).
    for (const id of [checkout, shipping])
      await issues
        .doc(fingerprintOf(id))
        .update({ status: 'resolved', resolvedInVersion: '1.3', statusChangedAt: new Date() });

    await p.send('/v1/crashes', fixtureCrash(checkout, { version: '1.2' }));
    await p.send('/v1/crashes', fixtureCrash(shipping, { version: '1.2.10' }));
    await rollUp();
    expect((await issues.doc(fingerprintOf(checkout)).get()).data()).toMatchObject({ status: 'resolved', count: 2 });
    expect((await issues.doc(fingerprintOf(shipping)).get()).data()).toMatchObject({ status: 'resolved', count: 2 });

    await p.send('/v1/crashes', fixtureCrash(checkout, { version: '1.3' }));
    await p.send('/v1/crashes', fixtureCrash(shipping, { version: '1.4' }));
    await rollUp();
    expect((await issues.doc(fingerprintOf(checkout)).get()).data()).toMatchObject({
      status: 'regressed',
      regressedInVersion: '1.3',
      resolvedInVersion: '1.3',
      count: 3,
    });
    expect((await issues.doc(fingerprintOf(shipping)).get()).data()).toMatchObject({
      status: 'regressed',
      regressedInVersion: '1.4',
      count: 3,
      versions: ['1.2.9', '1.2.10', '1.4'],
    });
  });

  it('counts usage per day: installations, numeric metrics and values', async () => {
    const p = await productWithSender();
    const usage = (installId: string, metrics: Record<string, unknown>) => ({
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      app: { name: 'shop', version: '1.0.0' },
      installId,
      metrics,
    });
    await p.send('/v1/usage', usage('install-0001', { session_seconds: 12.5, theme: 'dark', beta: true }));
    await p.send('/v1/usage', usage('install-0002', { session_seconds: 30, theme: 'dark' }));
    await p.send('/v1/usage', usage('install-0001', { session_seconds: 2, theme: 'light', beta: false }));
    const summary = await rollUp();
    expect(summary.usageProcessed).toBeGreaterThanOrEqual(3);
    const docs = await allEnvironmentsStats(p.productKey, 'usage');
    expect(docs).toHaveLength(1);
    const day = docs[0]!.data();
    expect(day).toMatchObject({ reports: 3, installs: { clients: 2 }, otherMetrics: 0 });
    expect(day.metrics).toEqual([
      {
        name: 'beta',
        count: 2,
        number: null,
        values: [
          { value: 'false', count: 1 },
          { value: 'true', count: 1 },
        ],
        otherValues: 0,
      },
      {
        name: 'session_seconds',
        count: 3,
        number: { count: 3, sum: 44.5, min: 2, max: 30 },
        values: [],
        otherValues: 0,
      },
      {
        name: 'theme',
        count: 3,
        number: null,
        values: [
          { value: 'dark', count: 2 },
          { value: 'light', count: 1 },
        ],
        otherValues: 0,
      },
    ]);
  });

  it('answers 405 with Allow: POST to other methods', async () => {
    const res = await fetch(rollupUrl(), { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
