import { FIRST_BATCH_LIMIT, nextLimit } from '../../../functions/src/rollup/batch';
import { runRollup, type RollupStore } from '../../../functions/src/rollup/rollup';
import type { RollupConfig } from '../../../functions/src/rollup/config';
import { createMemoryRollupStore, type MemoryRollupStore } from './memory-store';
import { fixtureCrash } from './reports';

const KEY = 'pk_product_1';
const config = (batch: number): RollupConfig => ({
  DUMPCATCHER_ROLLUP_LAG_SECONDS: 60,
  DUMPCATCHER_ROLLUP_BUDGET_SECONDS: 50,
  DUMPCATCHER_ROLLUP_BATCH_SIZE: batch,
});
const NOW = new Date('2026-11-22T12:00:00Z');
const clock = () => NOW;
const FIXTURES = ['python/checkout-1.2.0-checkout', 'java/checkout-1.3.0-shipping', 'node/checkout-1.3.0-preview'];

/** A store with `n` crashes and `n` usage reports, a second apart, the newest 61 s old; `readTime`: the database's clock. */
function seeded(n: number, readTime = clock): MemoryRollupStore {
  const store = createMemoryRollupStore(readTime);
  store.products.add(KEY);
  for (let i = 0; i < n; i++) {
    const receivedAt = new Date(NOW.getTime() - 60_000 - (n - i) * 1000);
    const crash = fixtureCrash(FIXTURES[i % 3]!, { version: `1.${i % 4}`, installId: `install-${i % 7}` });
    const id = `c${String(i).padStart(5, '0')}`;
    store.addReport('crashes', {
      path: `products/${KEY}/crashes/${id}`,
      id,
      receivedAt,
      data: { ...crash, productKey: KEY, clientId: `client-${i % 11}`, receivedAt },
    });
    store.addReport('usage', {
      path: `products/${KEY}/usage/${id}`,
      id,
      receivedAt,
      data: { productKey: KEY, clientId: `client-${i % 11}`, receivedAt, metrics: { n: i } },
    });
  }
  return store;
}

/** Fails the `nth` commit after its plan has been computed, like a process dying mid-batch. */
function failingOnCommit(store: MemoryRollupStore, nth: number): RollupStore {
  let calls = 0;
  return {
    ...store,
    commitBatch: async (batch) => {
      if (++calls === nth) {
        batch.plan(new Map(), new Set([KEY]));
        throw new Error('injected failure before commit');
      }
      return store.commitBatch(batch);
    },
  };
}

describe('runRollup', () => {
  it('applies every report older than the lag exactly once and reports the run', async () => {
    const store = seeded(50);
    const summary = await runRollup({ store, clock, config: config(7) });
    expect(summary).toMatchObject({ processed: 50, usageProcessed: 50, malformed: 0, caughtUp: true, stale: 0 });
    const stats = store.docs.get(`products/${KEY}/stats/2026-11-22_type`) as { total: { count: number } };
    expect(stats.total.count).toBe(50);
  });

  it('works only the shards it leases: one another run holds is handed over (marked wanted) and left alone', async () => {
    const store = seeded(10); // every report of shard 0
    store.leases.set(0, { holder: 'another run', until: new Date(NOW.getTime() + 60_000) });
    const claimed: number[][] = [];
    const claimShards = store.claimShards.bind(store);
    store.claimShards = async (shards, ...rest) => {
      claimed.push([...shards]);
      return claimShards(shards, ...rest);
    };
    const held = await runRollup({ store, clock, config: config(500) });
    expect(held).toMatchObject({ shards: [], handedOver: [0], busy: [], processed: 0, caughtUp: false });
    // Shards 1 to 7 have no reports: they are not leased at all.
    expect(claimed).toEqual([[0]]);
    expect(store.leases.get(0)).toEqual({ holder: 'another run', until: expect.any(Date), wanted: NOW });
    expect(store.leases.size).toBe(1);
    store.leases.clear();
    expect(await runRollup({ store, clock, config: config(500), shards: [0] })).toMatchObject({
      shards: [0],
      handedOver: [],
      busy: [],
      processed: 10,
      passes: 1,
    });
  });

  it('takes another pass, up to a new horizon, over a shard another run handed over while it worked', async () => {
    let now = NOW;
    const moving = () => now;
    const store = seeded(10, moving);
    const commitBatch = store.commitBatch.bind(store);
    let asker: Promise<unknown> | undefined;
    store.commitBatch = async (batch) => {
      if (asker === undefined) {
        // Mid-pass: 5 more crashes arrive, time moves on, and their run finds shard 0 held.
        now = new Date(NOW.getTime() + 10_000);
        for (let i = 0; i < 5; i++) {
          const receivedAt = new Date(NOW.getTime() - 55_000 + i);
          const id = `late${i}`;
          const crash = fixtureCrash(FIXTURES[0]!, { version: '1.0', installId: 'install-late' });
          store.addReport('crashes', {
            path: `products/${KEY}/crashes/${id}`,
            id,
            receivedAt,
            data: { ...crash, productKey: KEY, clientId: 'client-late', receivedAt },
          });
        }
        asker = runRollup({ store, clock: moving, config: config(500), shards: [0], holder: 'asker' });
        await asker;
      }
      return commitBatch(batch);
    };
    const between: number[] = [];
    const holder = await runRollup({
      store,
      clock: moving,
      config: config(500),
      shards: [0],
      afterPass: async () => {
        between.push(store.leases.size);
      },
    });
    expect(await asker).toMatchObject({ shards: [], handedOver: [0], processed: 0 });
    expect(holder).toMatchObject({ shards: [0], processed: 15, usageProcessed: 10, passes: 2, caughtUp: true });
    // Alerts go out between the passes, the lease still held; given up after the last.
    expect(between).toEqual([1]);
    expect(store.leases.size).toBe(0);
    const stats = store.docs.get(`products/${KEY}/stats/2026-11-22_type`) as { total: { count: number } };
    expect(stats.total.count).toBe(15);
  });

  it('gives a shard handed over to it up when its time runs out, and reports it busy so its task is asked again', async () => {
    let now = NOW;
    const moving = () => now;
    const store = seeded(10, moving);
    const commitBatch = store.commitBatch.bind(store);
    let asked: unknown;
    store.commitBatch = async (batch) => {
      if (asked === undefined) asked = await store.claimShards([0], 'asker', now, new Date(now.getTime() + 60_000));
      now = new Date(now.getTime() + 2_000); // each batch takes 2 s of a 1 s budget
      return commitBatch(batch);
    };
    const summary = await runRollup({
      store,
      clock: moving,
      config: { ...config(5), DUMPCATCHER_ROLLUP_BUDGET_SECONDS: 1 },
      shards: [0],
    });
    expect(asked).toEqual({ taken: [], handedOver: [0] });
    expect(summary).toMatchObject({ shards: [0], busy: [0], passes: 1, processed: 5, caughtUp: false });
    expect(store.leases.size).toBe(0);
  });

  it('leases nothing and answers caught up when no shard has reports after its cursor, even one another run holds', async () => {
    const store = seeded(10);
    await runRollup({ store, clock, config: config(500) });
    store.leases.set(3, { holder: 'another run', until: new Date(NOW.getTime() + 60_000) });
    const idle = await runRollup({ store, clock, config: config(500) });
    expect(idle).toMatchObject({ shards: [], busy: [], processed: 0, batches: 0, caughtUp: true });
    expect([...store.leases.keys()]).toEqual([3]);
  });

  it('leaves reports younger than the lag for the next run', async () => {
    const store = seeded(100); // received from 160 s to 61 s ago, a second apart
    const summary = await runRollup({ store, clock, config: { ...config(500), DUMPCATCHER_ROLLUP_LAG_SECONDS: 90 } });
    // Received more than 90 s before the read time: 160 s to 91 s ago (the one 90 s ago waits).
    expect(summary.processed).toBe(70);
    expect(summary.horizon).toBe(new Date(NOW.getTime() - 90_001).toISOString());
    expect(store.cursors.get('crashes-shard-0')?.processed).toBe(70);
  });

  it("takes its horizon from the database's read time, not from the function's clock", async () => {
    const readAt = NOW.getTime() - 30_000;
    const store = createMemoryRollupStore(() => new Date(readAt));
    store.products.add(KEY);
    for (const [id, ago] of [
      ['early', 10_000],
      ['late', 1_000],
    ] as const) {
      const receivedAt = new Date(readAt - ago);
      const crash = fixtureCrash(FIXTURES[0]!, { version: '1.0' });
      const data = { ...crash, productKey: KEY, clientId: 'c', receivedAt };
      store.addReport('crashes', { path: `products/${KEY}/crashes/${id}`, id, receivedAt, data });
    }
    const config2 = { ...config(500), DUMPCATCHER_ROLLUP_LAG_SECONDS: 2 };
    const summary = await runRollup({ store, clock: () => new Date(NOW.getTime() + 3_600_000), config: config2 });
    expect(summary.processed).toBe(1);
    expect(store.cursors.get('crashes-shard-0')?.path).toBe(`products/${KEY}/crashes/early`);
  });

  it('changes nothing when run again over the same window', async () => {
    const store = seeded(40);
    await runRollup({ store, clock, config: config(9) });
    const before = [...store.docs].map(([k, v]) => [k, JSON.stringify(v)]);
    const again = await runRollup({ store, clock, config: config(9) });
    expect([again.processed, again.usageProcessed, again.issuesTouched, again.statsTouched]).toEqual([0, 0, 0, 0]);
    expect([...store.docs].map(([k, v]) => [k, JSON.stringify(v)])).toEqual(before);
  });

  it('counts every crash once when a run dies after computing a batch and the next run resumes', async () => {
    const clean = seeded(40);
    await runRollup({ store: clean, clock, config: config(6) });
    const store = seeded(40);
    await expect(runRollup({ store: failingOnCommit(store, 3), clock, config: config(6) })).rejects.toThrow('injected');
    expect(store.cursors.get('crashes-shard-0')?.processed).toBe(6); // crashes batch 1 and usage batch 1 committed
    const resumed = await runRollup({ store, clock, config: config(6) });
    expect(resumed.processed).toBe(34);
    // Same documents as a run that never failed, except for the time they were written.
    const strip = (docs: Map<string, unknown>) => [...docs].map(([k, v]) => [k, { ...(v as object), updatedAt: null }]);
    expect(strip(store.docs)).toEqual(strip(clean.docs));
  });

  it('skips a batch another run applied first (stale cursor) and carries on from its cursor', async () => {
    const store = seeded(20);
    let raced = false;
    const racing: RollupStore = {
      ...store,
      commitBatch: async (batch) => {
        if (!raced) {
          raced = true;
          await store.commitBatch(batch); // the other run commits the same batch first
        }
        return store.commitBatch(batch);
      },
    };
    const summary = await runRollup({ store: racing, clock, config: config(5) });
    expect(summary.stale).toBe(1);
    expect(summary.processed).toBe(15);
    const stats = store.docs.get(`products/${KEY}/stats/2026-11-22_type`) as { total: { count: number } };
    expect(stats.total.count).toBe(20);
  });

  it('starts no batch that would overrun the time budget, and says it is not caught up', async () => {
    const store = seeded(30);
    let now = NOW.getTime();
    const ticking = () => new Date((now += 4_000)); // every clock read costs 4 s
    const summary = await runRollup({ store, clock: ticking, config: config(2) });
    expect(summary.caughtUp).toBe(false);
    // The last check passed at most 50 s in; the batch and the final reading add two ticks.
    expect(summary.durationMs).toBeLessThanOrEqual(50_000 + 2 * 4_000);
    const resumed = await runRollup({ store, clock: () => new Date(now + 60_000), config: config(500) });
    expect(summary.processed + resumed.processed).toBe(30);
    expect(resumed.caughtUp).toBe(true);
  });

  it('moves past malformed reports and reports of deleted products without counting them', async () => {
    const store = seeded(6);
    const at = new Date(NOW.getTime() - 120_000);
    store.addReport('crashes', {
      path: `products/${KEY}/crashes/bad`,
      id: 'bad',
      receivedAt: at,
      data: { receivedAt: at },
    });
    store.addReport('crashes', {
      path: 'products/pk_deleted_1/crashes/x',
      id: 'x',
      receivedAt: at,
      data: {
        ...fixtureCrash('python/simple', { version: '1' }),
        productKey: 'pk_deleted_1',
        clientId: 'c',
        receivedAt: at,
      },
    });
    const seen: string[] = [];
    const summary = await runRollup({ store, clock, config: config(3), onMalformed: (path) => seen.push(path) });
    expect([summary.processed, summary.malformed, summary.orphaned]).toEqual([6, 1, 1]);
    expect(seen).toEqual([`products/${KEY}/crashes/bad`]);
    expect([...store.docs.keys()].some((p) => p.includes('pk_deleted_1'))).toBe(false);
  });

  it('cuts a batch short so no transaction touches more than the document bound, and still counts every crash', async () => {
    const store = createMemoryRollupStore(clock);
    store.products.add(KEY);
    for (let i = 0; i < 40; i++) {
      const receivedAt = new Date(NOW.getTime() - 120_000 + i);
      const crash = fixtureCrash('python/simple', { version: '1', fingerprint: `distinct-${i}` });
      const id = `c${String(i).padStart(3, '0')}`;
      const data = { ...crash, productKey: KEY, clientId: 'c', receivedAt };
      store.addReport('crashes', { path: `products/${KEY}/crashes/${id}`, id, receivedAt, data });
    }
    const touched: number[] = [];
    const counting: RollupStore = {
      ...store,
      commitBatch: async (batch) => {
        touched.push(batch.paths.length + batch.productKeys.length);
        return store.commitBatch(batch);
      },
    };
    // Each crash adds its own issue; the product, 5 stats documents, their 5 copies for the crashes'
    // environment and the list of environments are shared: 12 + 1 per crash.
    const summary = await runRollup({ store: counting, clock, config: config(500), maxDocsPerCommit: 16 });
    expect(summary).toMatchObject({ processed: 40, caughtUp: true });
    expect(Math.max(...touched)).toBeLessThanOrEqual(16);
    expect(touched.slice(0, 4)).toEqual([16, 16, 16, 16]);
    const outbox = [...store.docs.keys()].filter((p) => p.startsWith('alertOutbox/'));
    expect(store.docs.size - outbox.length).toBe(40 + 5 + 5 + 1);
    // Each batch queues its new issues for alerts in one outbox document per product (within
    // the bound: a product is counted as a touched document but never written).
    expect(outbox).toHaveLength(touched.length);
    const queued = outbox.flatMap((p) => (store.docs.get(p) as { events: Array<{ issueId: string }> }).events);
    expect(new Set(queued.map((e) => e.issueId)).size).toBe(40);
  });

  it('lists fewer reports per batch when their stack traces are large, so a batch stays within its memory budget', async () => {
    const store = createMemoryRollupStore(clock);
    store.products.add(KEY);
    const big = fixtureCrash('python/simple', { version: '1' }) as { exception: { stacktrace: string } };
    for (let i = 0; i < 60; i++) {
      const receivedAt = new Date(NOW.getTime() - 120_000 + i);
      const exception = { ...big.exception, stacktrace: big.exception.stacktrace + ' '.repeat(100_000) };
      const data = { ...big, exception, productKey: KEY, clientId: 'c', receivedAt };
      store.addReport('crashes', {
        path: `products/${KEY}/crashes/c${String(i).padStart(3, '0')}`,
        id: `c${i}`,
        receivedAt,
        data,
      });
    }
    const limits: number[] = [];
    const listing: RollupStore = {
      ...store,
      listReports: async (stream, shard, after, horizon, limit) => {
        if (stream === 'crashes' && shard === 0) limits.push(limit);
        return store.listReports(stream, shard, after, horizon, limit);
      },
    };
    const summary = await runRollup({ store: listing, clock, config: config(500), batchTextBudgetBytes: 1_000_000 });
    expect(summary).toMatchObject({ processed: 60, caughtUp: true });
    expect(limits[0]).toBe(FIRST_BATCH_LIMIT);
    expect(limits.slice(1).every((l) => l === 10)).toBe(true); // 1 MB / ~100 KB, never below 10
  });

  it('sizes batches by the average report: the configured size for small ones, never below 10', () => {
    const report = (chars: number) => ({
      path: 'p',
      id: 'i',
      receivedAt: NOW,
      data: { exception: { stacktrace: 'x'.repeat(chars) } },
    });
    expect(nextLimit([report(2_000)], 500, 32 * 1024 * 1024)).toBe(500);
    expect(nextLimit([report(256 * 1024)], 500, 32 * 1024 * 1024)).toBe(127);
    expect(nextLimit([report(10_000_000)], 500, 32 * 1024 * 1024)).toBe(10);
    expect(nextLimit([], 500, 1)).toBe(500);
  });
});
