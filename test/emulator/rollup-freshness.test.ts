import { Timestamp } from 'firebase-admin/firestore';
import { newClientId, sampleCrash, sendSigned } from '../../scripts/lib/client';
import { seedProduct } from '../../scripts/lib/seed';
import { loadConfig } from '../../functions/src/shared/config';
import { createIngestHandler } from '../../functions/src/ingest/handler';
import { createFirestoreIngestStore, createFirestoreProductLoader } from '../../functions/src/ingest/store';
import { runRollup } from '../../functions/src/rollup/rollup';
import { RollupConfigSchema } from '../../functions/src/rollup/config';
import { createFirestoreRollupStore } from '../../functions/src/rollup/store';
import { isolatedDb, serveInProcess } from './in-process';

// Its own database: no other suite's rollup (the test stack's runs with lag 0) moves these cursors.
const db = isolatedDb('rollup-freshness');
const config = RollupConfigSchema.parse({}); // the default lag, as deployed
const LAG_MS = config.DUMPCATCHER_ROLLUP_LAG_SECONDS * 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rollUp = () => runRollup({ store: createFirestoreRollupStore(db), clock: () => new Date(), config });

function ingestWithClock(name: string, offsetMs: number) {
  return serveInProcess(
    name,
    createIngestHandler({
      store: createFirestoreIngestStore(db),
      loadProduct: createFirestoreProductLoader(db),
      config: loadConfig({ DUMPCATCHER_RATE_PER_CLIENT: '100000', DUMPCATCHER_RATE_PER_PRODUCT: '1000000' }),
      clock: () => new Date(Date.now() + offsetMs),
    }),
  );
}

async function countsOf(productKey: string) {
  const product = db.collection('products').doc(productKey);
  const [issues, stats] = await Promise.all([
    product.collection('issues').get(),
    product.collection('stats').where('by', '==', 'type').get(),
  ]);
  return {
    issues: issues.docs.reduce((n, d) => n + (d.get('count') as number), 0),
    // Every environment's documents only: each environment's copy (with `environment`) counts the same crashes again.
    days: stats.docs
      .filter((d) => d.get('environment') === undefined)
      .reduce((n, d) => n + (d.get('total.count') as number), 0),
  };
}

describe('the rollup on reports stamped with Firestore’s time, default lag', () => {
  let onTime: Awaited<ReturnType<typeof serveInProcess>>;
  let behind: Awaited<ReturnType<typeof serveInProcess>>;
  beforeAll(async () => {
    expect(LAG_MS).toBeLessThanOrEqual(5000);
    onTime = await ingestWithClock('ingest-on-time', 0);
    behind = await ingestWithClock('ingest-50s-behind', -50_000);
  });
  afterAll(() => Promise.all([onTime.close(), behind.close()]));

  it('counts a report from an instance whose clock is 50 s behind, after the cursor has passed that time', async () => {
    const product = await seedProduct(db, { name: 'late', ownerUid: 'owner-late' });
    const send = (url: string, counter: number) =>
      sendSigned({ baseUrl: url, ...product, clientId: newClientId(), counter, body: sampleCrash() });
    expect((await send(onTime.url, 1)).status).toBe(202);
    await sleep(LAG_MS + 200);
    expect((await rollUp()).processed).toBe(1);
    expect((await send(behind.url, 1)).status).toBe(202);
    await sleep(LAG_MS + 200);
    expect((await rollUp()).processed).toBe(1);
    expect(await countsOf(product.productKey)).toEqual({ issues: 2, days: 2 });
  });

  it('counts every report exactly once while reports arrive during back-to-back runs', async () => {
    const product = await seedProduct(db, { name: 'busy', ownerUid: 'owner-busy' });
    const types = ['CartError', 'PayError', 'ShipError', 'TaxError'];
    let accepted = 0;
    let sending = true;
    const senders = Array.from({ length: 8 }, async (_, s) => {
      const clientId = newClientId();
      for (let counter = 1; counter <= 50; counter++) {
        const type = types[(s + counter) % types.length]!;
        const body = sampleCrash({
          exception: { type, message: 'x', stacktrace: `${type}: x\n    at f (/srv/a.js:1:1)` },
        });
        const res = await sendSigned({ baseUrl: onTime.url, ...product, clientId, counter, body });
        if (res.status === 202) accepted++;
        // Spread the writes over about three lags, so runs take reports while others are still arriving.
        await sleep((LAG_MS * 3) / 50);
      }
    });
    const all = Promise.all(senders).finally(() => (sending = false));
    let processed = 0;
    let runsThatTookSome = 0;
    while (sending) {
      const run = await rollUp();
      processed += run.processed;
      if (run.processed > 0) runsThatTookSome++;
    }
    await all;
    await sleep(LAG_MS + 200);
    for (let caughtUp = false; !caughtUp;) {
      const run = await rollUp();
      processed += run.processed;
      caughtUp = run.caughtUp;
    }
    expect(accepted).toBe(400);
    expect(runsThatTookSome).toBeGreaterThanOrEqual(2); // the runs really overlapped the writes
    expect(processed).toBe(400);
    expect(await countsOf(product.productKey)).toEqual({ issues: 400, days: 400 });
  }, 120_000);
});

describe('the rollup cursor on commit times with microseconds (as production Firestore stamps them)', () => {
  // A database of its own: the cursor starts before these reports whatever the suites above did.
  const microsDb = isolatedDb('rollup-micros');

  it('resumes after the last report of a batch without reading it again, within one millisecond', async () => {
    const product = await seedProduct(microsDb, { name: 'micros', ownerUid: 'owner-micros' });
    const ms = Date.now() - 10_000;
    const base = Timestamp.fromMillis(ms);
    const writes = Array.from({ length: 6 }, (_, i) =>
      microsDb
        .collection('products')
        .doc(product.productKey)
        .collection('crashes')
        .doc(`micros-${i}`)
        .create({
          productKey: product.productKey,
          clientId: 'client-micros',
          shard: i % 8,
          // Six reports inside one millisecond, 100 µs apart: a Date cannot tell them apart.
          receivedAt: new Timestamp(base.seconds, base.nanoseconds + (i + 1) * 100_000),
          exception: { type: 'MicroError', message: 'x', stacktrace: 'MicroError: x\n    at f (/srv/a.js:1:1)' },
          app: { version: '1.0.0' },
        }),
    );
    await Promise.all(writes);
    const small = RollupConfigSchema.parse({ DUMPCATCHER_ROLLUP_BATCH_SIZE: '2' });
    let processed = 0;
    for (let run = 0; run < 10; run++) {
      const summary = await runRollup({
        store: createFirestoreRollupStore(microsDb),
        clock: () => new Date(),
        config: small,
      });
      processed += summary.processed;
      if (summary.caughtUp) break;
    }
    expect(processed).toBe(6);
    const issues = await microsDb.collection('products').doc(product.productKey).collection('issues').get();
    expect(issues.docs.map((d) => d.get('count') as number)).toEqual([6]);
  });
});
