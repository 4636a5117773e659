import { newClientId, sampleCrash, sendSigned } from '../../scripts/lib/client';
import { seedProduct } from '../../scripts/lib/seed';
import { loadConfig } from '../../functions/src/shared/config';
import { createIngestHandler } from '../../functions/src/ingest/handler';
import { createLocalRollupQueue, createRollupTrigger } from '../../functions/src/ingest/rollup-trigger';
import { createFirestoreIngestStore, createFirestoreProductLoader } from '../../functions/src/ingest/store';
import { RollupTriggerConfigSchema } from '../../functions/src/ingest/trigger-config';
import { RollupConfigSchema } from '../../functions/src/rollup/config';
import { createRollupHandler } from '../../functions/src/rollup/handler';
import { createFirestoreRollupStore } from '../../functions/src/rollup/store';
import { isolatedDb, serveInProcess } from './in-process';

// Its own database, so the only runs are the ones this ingest asks for: no schedule at all
// stands in for a backstop far away.
const db = isolatedDb('rollup-trigger');
const defaults = RollupTriggerConfigSchema.parse({});
const policy = {
  windowSeconds: defaults.DUMPCATCHER_ROLLUP_WINDOW_SECONDS,
  delaySeconds: defaults.DUMPCATCHER_ROLLUP_TRIGGER_DELAY_SECONDS,
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the ingest asks for a rollup run after it stores reports (local stand-in for Cloud Tasks)', () => {
  const runs: Array<{ at: number; processed: number }> = [];
  const errors: unknown[] = [];
  let ingest: Awaited<ReturnType<typeof serveInProcess>>;
  let rollup: Awaited<ReturnType<typeof serveInProcess>>;

  beforeAll(async () => {
    const handler = createRollupHandler({
      store: createFirestoreRollupStore(db),
      config: RollupConfigSchema.parse({}),
    });
    // Counts the runs as they answer: the summary the handler sends is the run's.
    rollup = await serveInProcess('rollup-triggered', async (req, res) => {
      const end = res.end.bind(res) as (chunk: string) => typeof res;
      res.end = ((chunk: string) => {
        const summary = JSON.parse(chunk) as { processed: number };
        runs.push({ at: Date.now(), processed: summary.processed });
        return end(chunk);
      }) as typeof res.end;
      await handler(req, res);
    });
    const onError = (err: unknown) => errors.push(err);
    ingest = await serveInProcess(
      'ingest-triggering',
      createIngestHandler({
        store: createFirestoreIngestStore(db),
        loadProduct: createFirestoreProductLoader(db),
        config: loadConfig({ DUMPCATCHER_RATE_PER_CLIENT: '100000', DUMPCATCHER_RATE_PER_PRODUCT: '1000000' }),
        rollupTrigger: createRollupTrigger({
          enqueue: createLocalRollupQueue({ rollupUrl: rollup.url, clock: () => new Date(), onError }),
          policy,
          clock: () => new Date(),
          onError,
        }),
      }),
    );
  });
  afterAll(() => Promise.all([ingest.close(), rollup.close()]));

  const issueCounts = async (productKey: string) => {
    const snap = await db.collection('products').doc(productKey).collection('issues').get();
    return snap.docs.map((d) => d.get('count') as number).sort((a, b) => a - b);
  };

  it('lists a crash in its issue within seconds, with one run, and runs nothing while nothing arrives', async () => {
    const product = await seedProduct(db, { name: 'triggered', ownerUid: 'owner-triggered' });
    const body = sampleCrash({
      exception: { type: 'TriggeredError', message: 'x', stacktrace: 'TriggeredError: x\n    at f (/srv/a.js:1:1)' },
    });
    const res = await sendSigned({ baseUrl: ingest.url, ...product, clientId: newClientId(), counter: 1, body });
    expect(res.status).toBe(202);
    const accepted = Date.now();
    while ((await issueCounts(product.productKey)).length === 0) {
      if (Date.now() - accepted > 20_000) throw new Error('no issue 20 s after the 202');
      await sleep(100);
    }
    const seconds = (Date.now() - accepted) / 1000;
    // At most one window, the delay and the run itself.
    expect(seconds).toBeLessThan(policy.windowSeconds + policy.delaySeconds + 4);
    expect(await issueCounts(product.productKey)).toEqual([1]);
    // The issue is committed a moment before the run answers.
    for (let i = 0; i < 50 && runs.length === 0; i++) await sleep(100);
    expect(runs.map((r) => r.processed)).toEqual([1]);
    // Two more windows and their delay with nothing arriving: no run.
    await sleep((2 * policy.windowSeconds + policy.delaySeconds) * 1000);
    expect(runs).toHaveLength(1);
    expect(errors).toEqual([]);
  }, 60_000);

  it('rolls a burst of 600 crashes across 12 issues up in a few runs, not one per crash', async () => {
    runs.length = 0;
    const product = await seedProduct(db, { name: 'burst', ownerUid: 'owner-burst' });
    const senders = Array.from({ length: 12 }, async (_, s) => {
      const clientId = newClientId();
      const type = `Burst${s}Error`;
      const body = sampleCrash({
        exception: { type, message: 'x', stacktrace: `${type}: x\n    at f (/srv/a.js:${s}:1)` },
      });
      for (let counter = 1; counter <= 50; counter++) {
        const res = await sendSigned({ baseUrl: ingest.url, ...product, clientId, counter, body });
        expect(res.status).toBe(202);
      }
    });
    await Promise.all(senders);
    const sent = Date.now();
    const done = (counts: number[]) => counts.length === 12 && counts.every((c) => c === 50);
    while (!done(await issueCounts(product.productKey))) {
      if (Date.now() - sent > 30_000)
        throw new Error(`not rolled up: ${JSON.stringify(await issueCounts(product.productKey))}`);
      await sleep(200);
    }
    expect(runs.reduce((n, r) => n + r.processed, 0)).toBe(600);
    // One run per window the burst spanned, and nothing else.
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(Math.ceil((Date.now() - sent) / 1000 / policy.windowSeconds) + 3);
    expect(runs.length).toBeLessThan(10);
    expect(errors).toEqual([]);
  }, 90_000);
});
