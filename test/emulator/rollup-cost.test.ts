import { RollupConfigSchema } from '../../functions/src/rollup/config';
import { runRollup, type RollupSummary } from '../../functions/src/rollup/rollup';
import { createFirestoreRollupStore } from '../../functions/src/rollup/store';
import { systemClock } from '../../functions/src/shared/clock';
import { backlogCrash, storedReport } from '../../scripts/lib/backlog';
import { seedProduct } from '../../scripts/lib/seed';
import { loadFixtures } from '../unit/grouping/fixtures';
import { isolatedDb } from './in-process';

/**
 * What a run costs in Firestore operations when there is little or nothing to do: the
 * backstop every 5 minutes, and a triggered run per window a trickle of crashes touches
 * (docs/performance.md prices both from these counts).
 */
describe('the Firestore operations of a rollup run with little to do', () => {
  const db = isolatedDb('rollup-cost');
  const store = createFirestoreRollupStore(db);
  const config = RollupConfigSchema.parse({ DUMPCATCHER_ROLLUP_LAG_SECONDS: '0' });
  const run = (): Promise<RollupSummary> => runRollup({ store: store.forRun?.() ?? store, clock: systemClock, config });
  const ops = (summary: RollupSummary) => ({ reads: summary.reads, writes: summary.writes });

  it('an idle run over every shard reads 6 documents and writes none; one crash leases its shard alone, 27 reads and 22 writes', async () => {
    // The first run on a new database creates each stream's cursors document.
    const first = await run();
    expect(first).toMatchObject({ shards: [], busy: [], batches: 0, caughtUp: true, writes: 3 });
    // Then per stream its cursors document and one empty query for reports after them.
    expect(ops(await run())).toEqual({ reads: 6, writes: 0 });

    const { productKey } = await seedProduct(db, { name: 'cost', ownerUid: 'owner-cost' });
    const at = new Date(Date.now() - 1000);
    const crash = storedReport(backlogCrash(loadFixtures().slice(0, 1), 5, at).report, productKey, 'crashes', 5, at);
    await db.doc(crash.path).create(crash.doc);
    const one = await run();
    const { shard } = crash.doc as { shard: number };
    expect(one).toMatchObject({ shards: [shard], busy: [], processed: 1, batches: 1, caughtUp: true });
    // docs/performance.md, architecture.md and grouping.md price a triggered run from these: the
    // 3 cursors documents, the queries, the regroup requests, the lease and the commit turn
    // (each created, read, deleted), the batch's reads; its writes, the list row included.
    expect(ops(one)).toEqual({ reads: 27, writes: 22 });

    // The run after it finds nothing after the cursor it left, its own report included.
    const idle = await run();
    expect(idle).toMatchObject({ shards: [], processed: 0, caughtUp: true });
    expect(idle.reads).toBeLessThanOrEqual(6);
    expect(idle.writes).toBe(0);
  });
});
