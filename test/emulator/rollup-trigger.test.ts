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
  const runs: Array<{ startedAt: number; at: number; processed: number; leased: boolean }> = [];
  const errors: unknown[] = [];
  // Two ingest instances, each with its own trigger, sharing one queue as instances share Cloud Tasks.
  let ingest: Awaited<ReturnType<typeof serveInProcess>>;
  let ingest2: Awaited<ReturnType<typeof serveInProcess>>;
  let rollup: Awaited<ReturnType<typeof serveInProcess>>;

  beforeAll(async () => {
    const handler = createRollupHandler({
      store: createFirestoreRollupStore(db),
      config: RollupConfigSchema.parse({}),
    });
    // Counts the runs as they answer: the summary the handler sends is the run's. A run that
    // found its shards another run's hands them over to it and leases nothing.
    rollup = await serveInProcess('rollup-triggered', async (req, res) => {
      const startedAt = Date.now();
      const end = res.end.bind(res) as (chunk: string) => typeof res;
      res.end = ((chunk: string) => {
        const summary = JSON.parse(chunk) as { processed: number; shards: number[] };
        if (res.statusCode === 200)
          runs.push({ startedAt, at: Date.now(), processed: summary.processed, leased: summary.shards.length > 0 });
        return end(chunk);
      }) as typeof res.end;
      await handler(req, res);
    });
    const onError = (err: unknown) => errors.push(err);
    const queue = createLocalRollupQueue({ rollupUrl: rollup.url, clock: () => new Date(), onError });
    const instance = (name: string) =>
      serveInProcess(
        name,
        createIngestHandler({
          store: createFirestoreIngestStore(db),
          loadProduct: createFirestoreProductLoader(db),
          config: loadConfig({ DUMPCATCHER_RATE_PER_CLIENT: '100000', DUMPCATCHER_RATE_PER_PRODUCT: '1000000' }),
          rollupTrigger: createRollupTrigger({ enqueue: queue, policy, clock: () => new Date(), onError }),
        }),
      );
    ingest = await instance('ingest-triggering');
    ingest2 = await instance('ingest-triggering-2');
  });
  afterAll(() => Promise.all([ingest.close(), ingest2.close(), rollup.close()]));

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

  it('rolls a burst of 600 crashes across 12 issues, sent to two instances, up in one run per window', async () => {
    runs.length = 0;
    const windowOf = (ms: number) => Math.floor(ms / 1000 / policy.windowSeconds);
    const firstSent = Date.now();
    const product = await seedProduct(db, { name: 'burst', ownerUid: 'owner-burst' });
    const senders = Array.from({ length: 12 }, async (_, s) => {
      const clientId = newClientId();
      const type = `Burst${s}Error`;
      const body = sampleCrash({
        exception: { type, message: 'x', stacktrace: `${type}: x\n    at f (/srv/a.js:${s}:1)` },
      });
      for (let counter = 1; counter <= 50; counter++) {
        const baseUrl = (s + counter) % 2 === 0 ? ingest.url : ingest2.url;
        const res = await sendSigned({ baseUrl, ...product, clientId, counter, body });
        expect(res.status).toBe(202);
      }
    });
    await Promise.all(senders);
    const sent = Date.now();
    const windows = windowOf(sent) - windowOf(firstSent) + 1;
    const done = (counts: number[]) => counts.length === 12 && counts.every((c) => c === 50);
    while (!done(await issueCounts(product.productKey))) {
      if (Date.now() - sent > 30_000)
        throw new Error(`not rolled up: ${JSON.stringify(await issueCounts(product.productKey))}`);
      await sleep(200);
    }
    // The last window's run is due after it closes; it may find its reports taken already.
    await sleep(
      Math.max(0, (windowOf(sent) + 1) * policy.windowSeconds * 1000 + policy.delaySeconds * 1000 - Date.now()) + 2000,
    );
    expect(runs.reduce((n, r) => n + r.processed, 0)).toBe(600);
    // At most one run per window the burst was sent in, whichever instance stored its reports.
    const worked = runs.filter((r) => r.leased);
    expect([worked.length >= 1, runs.length <= windows]).toEqual([true, true]);
    // Every run names all 8 shards (not fanned out in this policy), so a run due while another
    // worked handed its shards over to it: no run that worked started before the previous one answered.
    expect(worked.filter((r, i) => i > 0 && r.startedAt < worked[i - 1]!.at)).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);
});
