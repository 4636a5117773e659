import type { Firestore } from 'firebase-admin/firestore';
import { computeFingerprint } from '../../functions/src/grouping/fingerprint';
import { RollupConfigSchema } from '../../functions/src/rollup/config';
import { createRollupHandler } from '../../functions/src/rollup/handler';
import { createFirestoreRollupStore } from '../../functions/src/rollup/store';
import type { RollupStore } from '../../functions/src/rollup/rollup';
import { createFirestoreInsightsStore } from '../../functions/src/api/insights-store';
import { ALL_SHARDS } from '../../functions/src/shared/paths';
import { backlogCrash, seedBacklog, storedReport } from '../../scripts/lib/backlog';
import { seedProduct } from '../../scripts/lib/seed';
import { loadFixtures } from '../unit/grouping/fixtures';
import { isolatedDb, serveInProcess } from './in-process';
import { endLeaseUnlessWanted, takeOrHandOverLease } from '../../functions/src/rollup/leases';

/** What a run answers (200), or what a refused one carries (409). */
interface RunAnswer {
  shards: number[];
  busy: number[];
  handedOver: number[];
  processed: number;
  caughtUp: boolean;
  searchBackfill?: { checked: number };
  error?: { code: string; details?: { busy: number[] } };
}

/** The real rollup handler over HTTP, on a database of its own, with small batches (many transactions). */
async function rollupOn(db: Firestore, name: string) {
  const handler = createRollupHandler({
    store: createFirestoreRollupStore(db),
    config: RollupConfigSchema.parse({ DUMPCATCHER_ROLLUP_LAG_SECONDS: '0', DUMPCATCHER_ROLLUP_BATCH_SIZE: '25' }),
    // A stand-in step: which runs take one is the handler's to decide.
    backfillSearch: async () => ({ checked: 0, written: 0, done: true }),
  });
  const server = await serveInProcess(name, handler);
  const post = async (query = ''): Promise<{ status: number; retryAfter: string | null; body: RunAnswer }> => {
    const res = await fetch(`${server.url}/${query}`, { method: 'POST' });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as RunAnswer };
  };
  /**
   * POSTs until the run says it has caught up, asking again shortly after a 409 (its shard was
   * another run's) as the queue would; answers every run's summary.
   */
  const untilCaughtUp = async (query = ''): Promise<RunAnswer[]> => {
    const runs: RunAnswer[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      const { status, body } = await post(query);
      if (status === 409 && query !== '') {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      expect(status).toBe(200);
      runs.push(body);
      if (body.caughtUp) return runs;
    }
    throw new Error(`no run caught up after 200 POSTs ${query}`);
  };
  return { post, untilCaughtUp, close: () => server.close() };
}

const DAY_MS = 86_400_000;
const utcDay = (at: Date) => at.toISOString().slice(0, 10);

describe('parallel rollup runs, one per index shard', () => {
  const db = isolatedDb('rollup-parallel');
  let rollup: Awaited<ReturnType<typeof rollupOn>>;
  beforeAll(async () => {
    rollup = await rollupOn(db, 'rollup-parallel');
  });
  afterAll(() => rollup.close());

  it('8 shard runs at once over a backlog count every crash exactly once: day totals, issue counts, first seen, one issue.new each', async () => {
    const CRASHES = 800;
    const fixtures = loadFixtures().slice(0, 12);
    const products = [
      await seedProduct(db, { name: 'parallel a', ownerUid: 'owner-parallel' }),
      await seedProduct(db, { name: 'parallel b', ownerUid: 'owner-parallel' }),
    ];
    // Two UTC days back, the newest a minute old.
    const start = Date.now() - 2 * DAY_MS;
    const expected = {
      days: new Map<string, number>(),
      issues: new Map<string, { count: number; firstSeen: number; lastSeen: number }>(),
      shards: new Set<number>(),
    };
    await seedBacklog(db, CRASHES, (i) => {
      const at = new Date(start + Math.floor((i / CRASHES) * (2 * DAY_MS - 60_000)));
      const { report } = backlogCrash(fixtures, i, at);
      const productKey = products[i % 2]!.productKey;
      const stored = storedReport(report, productKey, 'crashes', i, at);
      expected.shards.add((stored.doc as { shard: number }).shard);
      const dayKey = `${productKey}/${utcDay(at)}`;
      expected.days.set(dayKey, (expected.days.get(dayKey) ?? 0) + 1);
      const { fingerprint } = computeFingerprint({ ...report.exception, runtime: report.runtime?.name });
      const issueKey = `${productKey}/${fingerprint}`;
      const issue = expected.issues.get(issueKey) ?? { count: 0, firstSeen: Infinity, lastSeen: -Infinity };
      expected.issues.set(issueKey, {
        count: issue.count + 1,
        firstSeen: Math.min(issue.firstSeen, at.getTime()),
        lastSeen: Math.max(issue.lastSeen, at.getTime()),
      });
      return stored;
    });
    expect(expected.shards.size).toBe(ALL_SHARDS.length); // the backlog spans every shard

    // Eight shard runs at once against the same documents, and a backstop over every shard
    // started while they run (it meets their leases).
    const shardRuns = ALL_SHARDS.map((shard) => rollup.untilCaughtUp(`?shards=${shard}`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const backstop = await rollup.untilCaughtUp();
    const runs = await Promise.all(shardRuns);
    // Each run leases its own shard, or none once the shard has nothing left to apply.
    runs.forEach((ofShard, shard) => ofShard.forEach((run) => expect([[shard], []]).toContainEqual(run.shards)));
    expect(runs.every((ofShard) => ofShard[0]!.processed > 0)).toBe(true); // each did its shard's work
    const processed = [backstop, ...runs].flat().reduce((n, run) => n + run.processed, 0);
    expect(processed).toBe(CRASHES);
    // The search backfill takes its step in runs asked for shard 0 that found it free, not in all eight at once.
    const all = [backstop, ...runs].flat();
    const askedForZero = [...backstop, ...runs[0]!];
    expect(all.filter((run) => run.searchBackfill !== undefined)).toEqual(
      askedForZero.filter((run) => !run.busy.includes(0) && !run.handedOver.includes(0)),
    );
    expect(runs[0]![0]!.searchBackfill).toBeDefined();

    const days = new Map<string, number>();
    const issues = new Map<string, { count: number; firstSeen: number; lastSeen: number }>();
    const newEvents = new Map<string, number>();
    for (const { productKey } of products) {
      const product = db.collection('products').doc(productKey);
      // Day documents only (not `stats/environments`, the picker's list).
      const stats = (await product.collection('stats').get()).docs.filter((doc) => doc.get('day') !== undefined);
      const ofEnvironments = new Map<string, number>();
      for (const doc of stats) {
        const { day, by, total, rows, environment } = doc.data() as {
          day: string;
          by: string;
          total: { count: number };
          rows: Array<{ count: number }>;
          environment?: string;
        };
        if (by === 'type' || by === 'version' || by === 'issue')
          expect(rows.reduce((n, r) => n + r.count, 0)).toBe(total.count);
        // An environment's copy counts its crashes again: the copies of a day add up to it.
        if (environment !== undefined) {
          const key = `${productKey}/${day}/${by}`;
          ofEnvironments.set(key, (ofEnvironments.get(key) ?? 0) + total.count);
          continue;
        }
        // Every dimension counts every crash; type, version and issue have a value for each.
        expect(total.count).toBe(expected.days.get(`${productKey}/${day}`));
        if (by === 'type') days.set(`${productKey}/${day}`, total.count);
      }
      expect(ofEnvironments.size).toBeGreaterThan(0);
      for (const [key, count] of ofEnvironments) {
        expect([key, count]).toEqual([key, expected.days.get(key.slice(0, key.lastIndexOf('/')))]);
      }
      for (const doc of (await product.collection('issues').get()).docs) {
        const issue = doc.data() as {
          count: number;
          firstSeen: { toMillis(): number };
          lastSeen: { toMillis(): number };
        };
        const daily = doc.get('daily') as Array<{ count: number }>;
        expect(daily.reduce((n, d) => n + d.count, 0)).toBe(issue.count);
        issues.set(`${productKey}/${doc.id}`, {
          count: issue.count,
          firstSeen: issue.firstSeen.toMillis(),
          lastSeen: issue.lastSeen.toMillis(),
        });
      }
      const outbox = await db.collection('alertOutbox').where('productKey', '==', productKey).get();
      for (const doc of outbox.docs)
        for (const e of doc.get('events') as Array<{ event: string; issueId: string }>)
          if (e.event === 'issue.new') {
            const key = `${productKey}/${e.issueId}`;
            newEvents.set(key, (newEvents.get(key) ?? 0) + 1);
          }
    }
    expect(days).toEqual(expected.days);
    expect(issues).toEqual(expected.issues);
    expect(newEvents).toEqual(new Map([...expected.issues.keys()].map((key) => [key, 1])));

    // Nothing is left for a single run over every shard, and nothing is counted twice by it.
    const after = await rollup.untilCaughtUp();
    expect(after.reduce((n, run) => n + run.processed, 0)).toBe(0);
  }, 240_000);

  it('hands a shard another run holds over to it (marked wanted), whether asked for by name or by the backstop', async () => {
    // A crash waiting in shards 3, 4 and 5 each; shard 3 is another run's.
    const { productKey } = await seedProduct(db, { name: 'parallel busy', ownerUid: 'owner-parallel' });
    const fixtures = loadFixtures().slice(0, 2);
    const at = new Date(Date.now() - 60_000);
    for (const shard of [3, 4, 5]) {
      const stored = Array.from({ length: 200 }, (_, i) =>
        storedReport(backlogCrash(fixtures, 10_000 + i, at).report, productKey, 'crashes', 10_000 + i, at),
      ).find((r) => (r.doc as { shard: number }).shard === shard)!;
      await db.doc(stored.path).create(stored.doc);
    }
    const lease = db.collection('rollupState').doc('lease-shard-3');
    const until = new Date(Date.now() + 60_000);
    await lease.set({ holder: 'another-run', until });
    const named = await rollup.post('?shards=3,4');
    expect(named.status).toBe(200);
    expect(named.body).toMatchObject({ shards: [4], handedOver: [3], busy: [], processed: 1, caughtUp: false });
    // The holder keeps its lease, marked: it takes another pass before giving it up.
    const marked = (await lease.get()).data();
    expect(marked).toMatchObject({ holder: 'another-run' });
    expect(marked?.wanted).toBeDefined();
    const backstop = await rollup.post();
    expect(backstop.status).toBe(200);
    expect(backstop.body).toMatchObject({ shards: [5], handedOver: [3], busy: [], processed: 1, caughtUp: false });
    expect((await lease.get()).get('holder')).toBe('another-run');
    // The runs' own leases are given back.
    const leases = await db.collection('rollupState').where('holder', '!=', 'another-run').get();
    expect(leases.size).toBe(0);
    await lease.delete();
    const free = await rollup.post('?shards=3');
    expect(free.status).toBe(200);
    expect(free.body).toMatchObject({ shards: [3], handedOver: [], processed: 1, caughtUp: true });
  });

  it('hands a lease over without a race: marked before the release it stays for another pass, after it the asker takes it', async () => {
    const ref = db.collection('rollupState').doc('lease-handover-test');
    const counts = { reads: 0, writes: 0 };
    const until = new Date(Date.now() + 60_000);
    expect(await takeOrHandOverLease(ref, { holder: 'holder', until }, new Date(), counts)).toBe('taken');
    expect(await takeOrHandOverLease(ref, { holder: 'asker', until }, new Date(), counts)).toBe('handed-over');
    // A second asker finds the mark there: the pass it asks for is already due.
    expect(await takeOrHandOverLease(ref, { holder: 'asker-2', until }, new Date(), counts)).toBe('handed-over');
    expect(await endLeaseUnlessWanted(ref, 'holder', counts)).toBe('wanted');
    const kept = await ref.get();
    expect([kept.get('holder'), kept.get('wanted')]).toEqual(['holder', undefined]);
    expect(await endLeaseUnlessWanted(ref, 'holder', counts)).toBe('ended');
    expect((await ref.get()).exists).toBe(false);
    expect(await takeOrHandOverLease(ref, { holder: 'asker', until }, new Date(), counts)).toBe('taken');
    // Out of time, the holder gives a marked lease up all the same and says it was wanted.
    expect(await takeOrHandOverLease(ref, { holder: 'late', until }, new Date(), counts)).toBe('handed-over');
    expect(await endLeaseUnlessWanted(ref, 'asker', counts, { force: true })).toBe('wanted');
    expect((await ref.get()).exists).toBe(false);
  });

  it('answers 409 with Retry-After for a shard it could neither take nor hand over, after doing the rest', async () => {
    const { productKey } = await seedProduct(db, { name: 'parallel refused', ownerUid: 'owner-parallel' });
    const fixtures = loadFixtures().slice(0, 2);
    const at = new Date(Date.now() - 60_000);
    const byShard = new Map<number, { path: string; doc: object }>();
    for (let i = 0; byShard.size < 2; i++) {
      const stored = storedReport(backlogCrash(fixtures, 20_000 + i, at).report, productKey, 'crashes', 20_000 + i, at);
      const { shard } = stored.doc as { shard: number };
      if (shard === 1 || shard === 2) byShard.set(shard, stored);
    }
    for (const stored of byShard.values()) await db.doc(stored.path).create(stored.doc);
    // A store whose every try at shard 1's lease is lost to another run moving.
    const real = createFirestoreRollupStore(db);
    const store: RollupStore = {
      ...real,
      forRun: () => store,
      claimShards: async (shards: readonly number[], holder: string, now: Date, until: Date) =>
        real.claimShards(
          shards.filter((s) => s !== 1),
          holder,
          now,
          until,
        ),
    };
    const config = RollupConfigSchema.parse({ DUMPCATCHER_ROLLUP_LAG_SECONDS: '0' });
    const server = await serveInProcess('rollup-refused', createRollupHandler({ store, config }));
    try {
      const res = await fetch(`${server.url}/?shards=1,2`, { method: 'POST' });
      expect(res.status).toBe(409);
      expect(res.headers.get('retry-after')).toBe('5');
      const body = (await res.json()) as RunAnswer;
      expect(body.error).toMatchObject({ code: 'conflict', details: { busy: [1] } });
      // Shard 2 was done before the answer.
      expect(await real.readCursor('crashes', 2)).toMatchObject({ path: byShard.get(2)!.path });
    } finally {
      await server.close();
    }
    await rollup.untilCaughtUp('?shards=1');
  });

  it.each([
    ['?shards=8', 'shards'],
    ['?shards=1,x', 'shards'],
    ['?shard=1', 'shard'],
  ])('refuses %s with a 400 naming %s', async (query, name) => {
    const { status, body } = await rollup.post(query);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'invalid_argument' });
    expect(JSON.stringify(body.error)).toContain(name);
  });
});

describe('a deployment from before shard cursors', () => {
  /** 80 crashes a second apart on a database of its own, and the rollup over it. */
  async function withBacklog(
    name: string,
    test: (setup: {
      db: Firestore;
      rollup: Awaited<ReturnType<typeof rollupOn>>;
      productKey: string;
      reports: Array<{ path: string; doc: object }>;
    }) => Promise<void>,
  ): Promise<void> {
    const db = isolatedDb(name);
    const rollup = await rollupOn(db, name);
    try {
      const fixtures = loadFixtures().slice(0, 4);
      const { productKey } = await seedProduct(db, { name, ownerUid: `owner-${name}` });
      const start = Date.now() - DAY_MS;
      const reports = Array.from({ length: 80 }, (_, i) => {
        const at = new Date(start + i * 1000);
        return storedReport(backlogCrash(fixtures, i, at).report, productKey, 'crashes', i, at);
      });
      await seedBacklog(db, reports.length, (i) => reports[i]!);
      await test({ db, rollup, productKey, reports });
    } finally {
      await rollup.close();
    }
  }

  it('resumes every shard after the stream cursor it had, counting nothing twice', () =>
    withBacklog('rollup-legacy', async ({ db, rollup, productKey, reports }) => {
      // The single cursor of before: the first 30 reports, in (receivedAt, path) order, were applied.
      const applied = reports[29]!;
      await db
        .collection('rollupState')
        .doc('crashes')
        .set({ receivedAt: (applied.doc as { receivedAt: Date }).receivedAt, path: applied.path, processed: 30 });
      const runs = await rollup.untilCaughtUp();
      expect(runs.reduce((n, run) => n + run.processed, 0)).toBe(50);
      const stats = await db.collection('products').doc(productKey).collection('stats').where('by', '==', 'type').get();
      // Every environment's documents only: an environment's copy counts the same crashes again.
      const everyEnvironment = stats.docs.filter((d) => d.get('environment') === undefined);
      expect(everyEnvironment.reduce((n, d) => n + (d.get('total.count') as number), 0)).toBe(50);
    }));

  it('carries each shard cursor document of before over into the stream cursors document, and marks it moved', () =>
    withBacklog('rollup-shard-docs', async ({ db, rollup, reports }) => {
      // Each shard's own cursor of before: its reports among the first 30 were applied.
      const state = db.collection('rollupState');
      const moved = new Map<number, { receivedAt: Date; path: string; processed: number }>();
      for (const { path, doc } of reports.slice(0, 30)) {
        const { shard, receivedAt } = doc as { shard: number; receivedAt: Date };
        moved.set(shard, { receivedAt, path, processed: (moved.get(shard)?.processed ?? 0) + 1 });
      }
      expect(moved.size).toBeGreaterThan(1);
      for (const [shard, cursor] of moved) await state.doc(`crashes-shard-${shard}`).set(cursor);
      // Until a run carries them over, the api's crash view reads where each shard stands from them.
      const positions = () => createFirestoreInsightsStore(db).getRollupPositions();
      expect(await positions()).toEqual(
        ALL_SHARDS.map((shard) => {
          const cursor = moved.get(shard);
          return cursor === undefined ? null : { receivedAt: cursor.receivedAt, path: cursor.path };
        }),
      );
      const runs = await rollup.untilCaughtUp();
      expect(runs.reduce((n, run) => n + run.processed, 0)).toBe(50);
      // Each shard's count goes on from the one it had: every report of the shard, once.
      const cursors = (await state.doc('crashes-shards').get()).get('shards') as Record<string, { processed: number }>;
      const ofShard = new Map<number, number>();
      for (const { doc } of reports) {
        const { shard } = doc as { shard: number };
        ofShard.set(shard, (ofShard.get(shard) ?? 0) + 1);
      }
      for (const [shard, count] of ofShard) expect([shard, cursors[String(shard)]?.processed]).toEqual([shard, count]);
      // And then from the cursors document: each shard's last report.
      const last = new Map(reports.map(({ path, doc }) => [(doc as { shard: number }).shard, path]));
      expect((await positions()).map((position) => position?.path ?? null)).toEqual(
        ALL_SHARDS.map((shard) => last.get(shard) ?? null),
      );
      // A run of the previous version still under way finds no cursor it could resume from.
      for (const shard of moved.keys())
        expect((await state.doc(`crashes-shard-${shard}`).get()).data()).toEqual({
          movedTo: 'rollupState/crashes-shards',
        });
    }));
});
