import { runRollup } from '../../../functions/src/rollup/rollup';
import { releaseLastHour } from '../../../functions/src/alerts/rate';
import {
  MAX_RELEASES_PER_DAY,
  mergeReleasesDay,
  mergeReleasesIndex,
  reduceSessions,
  releasesDayPath,
  releasesIndexPath,
} from '../../../functions/src/rollup/sessions';
import {
  ReleasesDayDocSchema,
  ReleasesIndexDocSchema,
  type ReleasesDayDoc,
  type ReleasesIndexDoc,
  type SessionDoc,
} from '../../../functions/src/grouping/schemas';
import { withReleaseOutbox } from '../../../functions/src/alerts/outbox';
import type { OutboxDoc } from '../../../functions/src/alerts/schemas';
import { createMemoryRollupStore } from './memory-store';

const KEY = 'pk_product_1';
const NOW = new Date('2026-12-07T12:30:00Z');

type Bucket = SessionDoc['sessions'][number];
const bucket = (started: string, counts: Partial<Omit<Bucket, 'started'>>): Bucket => ({
  started,
  ok: 0,
  errored: 0,
  crashed: 0,
  abnormal: 0,
  ...counts,
});

let n = 0;
function record(version: string, install: string | null, sessions: Bucket[], receivedAt = NOW) {
  const id = `s${String(n++).padStart(5, '0')}`;
  const doc: SessionDoc = {
    productKey: KEY,
    clientId: `client-${install ?? id}`,
    ...(install === null ? {} : { installId: install }),
    receivedAt,
    app: { version },
    sessions,
  };
  return { path: `products/${KEY}/sessions/${id}`, id, doc };
}

function dayDoc(docs: Map<string, unknown>, day: string): ReleasesDayDoc {
  return ReleasesDayDocSchema.parse(docs.get(releasesDayPath(KEY, day)));
}

describe('reduceSessions and mergeReleasesDay', () => {
  it('counts sessions by status, installs and crashed installs per release and day of each bucket', () => {
    const records = [
      record('2.0.0', 'inst-a', [bucket('2026-12-07T10:00:00Z', { ok: 2, errored: 1 })]),
      record('2.0.0', 'inst-b', [
        bucket('2026-12-07T11:00:00Z', { crashed: 1 }),
        bucket('2026-12-06T23:00:00Z', { abnormal: 1 }),
      ]),
      record('2.0.0', 'inst-a', [bucket('2026-12-07T11:00:00Z', { crashed: 2 })]),
      record('1.9.0', 'inst-c', [bucket('2026-12-07T09:00:00Z', { ok: 5 })]),
    ];
    const { days } = reduceSessions(records);
    expect([...days.keys()].sort()).toEqual([
      releasesDayPath(KEY, '2026-12-06'),
      releasesDayPath(KEY, '2026-12-06', 'production'),
      releasesDayPath(KEY, '2026-12-07'),
      releasesDayPath(KEY, '2026-12-07', 'production'),
    ]);
    const doc = mergeReleasesDay(null, days.get(releasesDayPath(KEY, '2026-12-07'))!, NOW);
    expect(doc.releases.map((r) => r.version)).toEqual(['2.0.0', '1.9.0']);
    const [v2, v19] = doc.releases;
    expect(v2!.sessions).toEqual({ total: 6, ok: 2, errored: 1, crashed: 3, abnormal: 0 });
    expect(v2!.installs.clients).toBe(2);
    expect(v2!.crashedInstalls.clients).toBe(2);
    expect(v19!.sessions.total).toBe(5);
    expect(v19!.crashedInstalls.clients).toBe(0);
    expect(doc.installs.clients).toBe(3);
    // The late bucket (the 6th) went to its own day, with its install.
    const late = mergeReleasesDay(null, days.get(releasesDayPath(KEY, '2026-12-06'))!, NOW);
    expect(late.releases).toHaveLength(1);
    expect(late.releases[0]!.sessions).toEqual({ total: 1, ok: 0, errored: 0, crashed: 0, abnormal: 1 });
    expect(late.releases[0]!.installs.clients).toBe(1);
  });

  it("counts a report again in its environment's copy of the day and of the index, and only there", () => {
    const staging = { ...record('2.0.0', 'inst-s', [bucket('2026-12-07T10:00:00Z', { crashed: 1 })]) };
    staging.doc = { ...staging.doc, environment: 'staging' };
    const { days, index } = reduceSessions([
      staging,
      record('2.0.0', 'inst-p', [bucket('2026-12-07T10:00:00Z', { ok: 3 })]),
    ]);
    const day = (environment?: string) =>
      mergeReleasesDay(null, days.get(releasesDayPath(KEY, '2026-12-07', environment))!, NOW);
    expect(day().releases[0]!.sessions.total).toBe(4);
    expect(day('staging')).toMatchObject({ environment: 'staging', installs: { clients: 1 } });
    expect(day('staging').releases[0]!.sessions).toEqual({ total: 1, ok: 0, errored: 0, crashed: 1, abnormal: 0 });
    expect(day('production').releases[0]!.sessions.total).toBe(3);
    expect(day()).not.toHaveProperty('environment');
    expect([...index.keys()].sort()).toEqual(
      [releasesIndexPath(KEY), releasesIndexPath(KEY, 'production'), releasesIndexPath(KEY, 'staging')].sort(),
    );
    const stagingIndex = mergeReleasesIndex(null, index.get(releasesIndexPath(KEY, 'staging'))!, NOW);
    expect(stagingIndex).toMatchObject({ environment: 'staging', releases: [{ version: '2.0.0' }] });
    expect(stagingIndex.releases[0]!.current).toEqual({ sessions: 1, crashed: 1 });
  });

  it('counts the client id as the install when the report has no installId', () => {
    const { days } = reduceSessions([
      record('1.0.0', null, [bucket('2026-12-07T10:00:00Z', { ok: 1 })]),
      record('1.0.0', null, [bucket('2026-12-07T10:00:00Z', { ok: 1 })]),
    ]);
    const doc = mergeReleasesDay(null, [...days.values()][0]!, NOW);
    expect(doc.releases[0]!.installs.clients).toBe(2);
  });

  it('merges into the stored day without counting an install twice', () => {
    const first = reduceSessions([record('1.0.0', 'inst-a', [bucket('2026-12-07T10:00:00Z', { crashed: 1 })])]);
    const second = reduceSessions([
      record('1.0.0', 'inst-a', [bucket('2026-12-07T10:00:00Z', { ok: 1 })]),
      record('1.0.0', 'inst-b', [bucket('2026-12-07T10:00:00Z', { ok: 1 })]),
    ]);
    const path = releasesDayPath(KEY, '2026-12-07');
    const stored = mergeReleasesDay(null, first.days.get(path)!, NOW);
    const merged = mergeReleasesDay(stored, second.days.get(path)!, NOW);
    expect(merged.releases[0]!.sessions).toEqual({ total: 3, ok: 2, errored: 0, crashed: 1, abnormal: 0 });
    expect(merged.releases[0]!.installs.clients).toBe(2);
    expect(merged.releases[0]!.crashedInstalls.clients).toBe(1);
    expect(merged.installs.clients).toBe(2);
  });

  it(`keeps at most ${MAX_RELEASES_PER_DAY} releases a day and counts the sessions of later ones in otherSessions`, () => {
    const records = Array.from({ length: MAX_RELEASES_PER_DAY + 2 }, (_, i) =>
      record(`1.${i}.0`, `inst-${i}`, [bucket('2026-12-07T10:00:00Z', { ok: 1, crashed: 1 })]),
    );
    const { days } = reduceSessions(records);
    const doc = mergeReleasesDay(null, [...days.values()][0]!, NOW);
    expect(doc.releases).toHaveLength(MAX_RELEASES_PER_DAY);
    expect(doc.otherSessions).toEqual({ total: 4, ok: 2, errored: 0, crashed: 2, abnormal: 0 });
    expect(doc.installs.clients).toBe(MAX_RELEASES_PER_DAY + 2);
  });
});

describe('mergeReleasesIndex', () => {
  it('keeps each release first and last session start, and its sessions of the last hour', () => {
    const batch1 = reduceSessions([
      record('2.0.0', 'inst-a', [
        bucket('2026-12-07T09:00:00Z', { ok: 8 }),
        bucket('2026-12-07T11:00:00Z', { crashed: 2 }),
      ]),
    ]);
    const at1 = new Date('2026-12-07T11:45:00Z');
    const index1 = mergeReleasesIndex(null, batch1.index.get(releasesIndexPath(KEY))!, at1);
    const entry1 = index1.releases[0]!;
    expect(entry1.firstSeen.toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(entry1.lastSeen.toISOString()).toBe('2026-12-07T11:00:00.000Z');
    expect(releaseLastHour(entry1, at1)).toEqual({ sessions: 10, crashed: 2 });

    // Half an hour later, in the next clock hour: the previous hour counts for the part the last 60 minutes still cover.
    const at2 = new Date('2026-12-07T12:15:00Z');
    const batch2 = reduceSessions([record('2.0.0', 'inst-b', [bucket('2026-12-07T12:00:00Z', { ok: 4 })])]);
    const index2 = mergeReleasesIndex(index1, batch2.index.get(releasesIndexPath(KEY))!, at2);
    const entry2 = index2.releases[0]!;
    expect(entry2.previous).toEqual({ sessions: 10, crashed: 2 });
    expect(releaseLastHour(entry2, at2)).toEqual({ sessions: 4 + 10 * 0.75, crashed: 2 * 0.75 });
    expect(entry2.lastSeen.toISOString()).toBe('2026-12-07T12:00:00.000Z');
    // Two hours on, nothing is left of either hour.
    expect(releaseLastHour(entry2, new Date('2026-12-07T14:00:00Z'))).toEqual({ sessions: 0, crashed: 0 });
  });
});

describe('runRollup on the sessions stream', () => {
  it('applies each sessions report once, into the day documents and the index', async () => {
    const store = createMemoryRollupStore(() => NOW);
    store.products.add(KEY);
    for (let i = 0; i < 30; i++) {
      const r = record(
        i % 2 === 0 ? '2.0.0' : '1.0.0',
        `inst-${i % 10}`,
        [bucket('2026-12-07T10:00:00Z', i % 5 === 0 ? { crashed: 1 } : { ok: 1 })],
        new Date(NOW.getTime() - 120_000 + i),
      );
      store.addReport('sessions', { path: r.path, id: r.id, receivedAt: r.doc.receivedAt, data: r.doc });
    }
    const config = {
      DUMPCATCHER_ROLLUP_LAG_SECONDS: 2,
      DUMPCATCHER_ROLLUP_BUDGET_SECONDS: 50,
      DUMPCATCHER_ROLLUP_BATCH_SIZE: 7,
    };
    const summary = await runRollup({ store, clock: () => NOW, config });
    expect(summary.sessionsProcessed).toBe(30);
    const again = await runRollup({ store, clock: () => NOW, config });
    expect(again.sessionsProcessed).toBe(0);
    const doc = dayDoc(store.docs, '2026-12-07');
    const v2 = doc.releases.find((r) => r.version === '2.0.0')!;
    const v1 = doc.releases.find((r) => r.version === '1.0.0')!;
    // i even → 2.0.0 (installs 0,2,4,6,8); crashed when i % 5 === 0 → i = 0, 10, 20 (install 0) on 2.0.0, i = 5, 15, 25 (install 5) on 1.0.0.
    expect(v2.sessions).toEqual({ total: 15, ok: 12, errored: 0, crashed: 3, abnormal: 0 });
    expect(v1.sessions).toEqual({ total: 15, ok: 12, errored: 0, crashed: 3, abnormal: 0 });
    expect([v2.installs.clients, v2.crashedInstalls.clients, v1.installs.clients, v1.crashedInstalls.clients]).toEqual([
      5, 1, 5, 1,
    ]);
    const index = ReleasesIndexDocSchema.parse(store.docs.get(releasesIndexPath(KEY)));
    expect(index.releases.map((r) => r.version)).toEqual(['2.0.0', '1.0.0']);
  });
});

describe('withReleaseOutbox', () => {
  const path = releasesIndexPath(KEY);
  const batch = (current: ReleasesIndexDoc | null, counts: { ok?: number; crashed?: number }, at: Date) => {
    const { index } = reduceSessions([
      {
        path: `products/${KEY}/sessions/s1`,
        id: 's1',
        doc: {
          productKey: KEY,
          clientId: 'client-1',
          receivedAt: at,
          app: { version: '2.0.0' },
          sessions: [
            {
              started: '2026-12-07T10:00:00Z',
              ok: counts.ok ?? 0,
              errored: 0,
              crashed: counts.crashed ?? 0,
              abnormal: 0,
            },
          ],
        },
      },
    ]);
    const next = mergeReleasesIndex(current, index.get(path)!, at);
    const out = withReleaseOutbox(new Map(current === null ? [] : [[path, current]]), new Map([[path, next]]), at);
    const outbox = [...out].filter(([p]) => p.startsWith('alertOutbox/')).map(([, d]) => d as OutboxDoc);
    return { index: out.get(path) as ReleasesIndexDoc, events: outbox.flatMap((d) => d.events) };
  };

  it('queues a release with crashes in its last hour, its recovery once, then nothing', () => {
    const t0 = new Date('2026-12-07T10:10:00Z');
    const first = batch(null, { ok: 9, crashed: 1 }, t0);
    expect(first.events.map((e) => e.release)).toEqual([{ version: '2.0.0', sessions: 10, crashed: 1 }]);
    expect(first.index.releases[0]!.watch).toBe(true);
    const clean = batch(first.index, { ok: 10 }, new Date('2026-12-07T10:20:00Z'));
    expect(clean.events.map((e) => e.release)).toEqual([{ version: '2.0.0', sessions: 20, crashed: 1 }]);
    // Two hours on, the crash has left the window: one last queue of the clean hour, then quiet.
    const later = batch(clean.index, { ok: 5 }, new Date('2026-12-07T12:30:00Z'));
    expect(later.events.map((e) => e.release)).toEqual([{ version: '2.0.0', sessions: 5, crashed: 0 }]);
    expect(later.index.releases[0]!.watch).toBe(false);
    expect(batch(later.index, { ok: 5 }, new Date('2026-12-07T12:40:00Z')).events).toEqual([]);
  });

  it('queues nothing for a release that never crashed', () => {
    expect(batch(null, { ok: 100 }, new Date('2026-12-07T10:10:00Z')).events).toEqual([]);
  });
});
