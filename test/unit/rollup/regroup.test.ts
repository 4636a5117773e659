import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { classifyCrash, type ReportRecord } from '../../../functions/src/grouping/classify';
import type { MappingLookup } from '../../../functions/src/grouping/retrace';
import { createMappingCache } from '../../../functions/src/grouping/retrace/cache';
import type { RegroupRequestDoc } from '../../../functions/src/grouping/retrace/schemas';
import type { CrashDoc, CrashStatsDoc, IssueDoc } from '../../../functions/src/grouping/schemas';
import { decodeSketch, estimateDistinct } from '../../../functions/src/grouping/sketch';
import { mergeCrashStats, mergeIssue, reduceClassified } from '../../../functions/src/rollup/aggregate';
import {
  REGROUP_SETTLE_MS,
  daysOf,
  mergeStatus,
  moveIssueRow,
  runRegroup,
  type RegroupStore,
} from '../../../functions/src/rollup/regroup';

const KEY = 'pk_notes_1';
const FIXTURES = join(__dirname, '../../fixtures/android');
const read = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const MAPPING = read('r8-notes-2.0-mapping.txt');
const UPLOADED = new Date('2026-11-22T12:00:00Z');

let seq = 0;
/** A stored crash of the obfuscated 2.0 build (or the debug build), as the rollup reads it. */
function crash(at: string, installId: string, fixture = 'r8-notes-2.0.txt', version = '2.0'): ReportRecord<CrashDoc> {
  const id = `crash${++seq}`;
  return {
    path: `products/${KEY}/crashes/${id}`,
    id,
    doc: {
      productKey: KEY,
      clientId: `client-${installId}`,
      installId,
      receivedAt: new Date(at),
      exception: {
        type: fixture.startsWith('r8') ? 'b.b' : 'com.acme.notes.data.MissingNoteException',
        message: 'no note n42',
        stacktrace: read(fixture),
      },
      app: { version },
      runtime: { name: 'android' },
    },
  };
}

/** What the rollup stored for `crashes` before the mapping came: the issue (its id and document) and its day's issue stats. */
function rolledUp(crashes: Array<ReportRecord<CrashDoc>>, lookup: MappingLookup = () => null) {
  const delta = reduceClassified(crashes.map((c) => classifyCrash(c, undefined, lookup)));
  const [[path, issueDelta]] = [...delta.issues] as [[string, Parameters<typeof mergeIssue>[1]]];
  const issue = mergeIssue(null, issueDelta, UPLOADED);
  const stats = new Map<string, CrashStatsDoc>();
  for (const [statsPath, d] of delta.stats)
    if (d.by === 'issue') stats.set(statsPath, mergeCrashStats(null, d, UPLOADED));
  return { id: path.split('/')[3]!, path, issue, stats };
}

/** An in-memory RegroupStore: documents by path, merges applied atomically. */
function memoryStore(docs: Map<string, unknown>, crashes: Array<ReportRecord<CrashDoc>>) {
  const requests: RegroupRequestDoc[] = [];
  const store: RegroupStore = {
    listRequests: async () => [...requests],
    deleteRequest: async (r) => {
      const at = requests.findIndex((q) => q.mapId === r.mapId && q.requestedAt.getTime() === r.requestedAt.getTime());
      if (at !== -1) requests.splice(at, 1);
    },
    listIssuesNeeding: async (productKey, mapId, limit) =>
      [...docs]
        .filter(([p, d]) => p.startsWith(`products/${productKey}/issues/`) && (d as IssueDoc).retrace?.mapId === mapId)
        .slice(0, limit)
        .map(([p, d]) => ({ id: p.split('/')[3]!, issue: d as IssueDoc })),
    listEnvironments: async () => ['production', 'staging'],
    getCrashes: async (_key, ids) =>
      ids.flatMap((id) => crashes.filter((c) => c.id === id).map((c) => ({ path: c.path, id: c.id, data: c.doc }))),
    applyMerge: async (paths, activityOf, plan) => {
      const current = new Map(paths.filter((p) => docs.has(p)).map((p) => [p, docs.get(p)]));
      for (const issue of activityOf)
        for (const [p, d] of docs) if (p.startsWith(`${issue}/activity/`)) current.set(p, d);
      const writes = plan(current);
      if (writes === null) return false;
      for (const [p, d] of writes) {
        if (d === null) docs.delete(p);
        else docs.set(p, d);
      }
      return true;
    },
  };
  return { store, requests };
}

const uploadedMapping = () =>
  createMappingCache({ loadCompressed: async (_p, mapId) => (mapId === '7f3c2a1' ? gzipSync(MAPPING) : null) });

describe('runRegroup', () => {
  it('merges the obfuscated issue into the readable one, moves its issue stats row and keeps the request until runs begun before the upload are over', async () => {
    const crashes = [
      crash('2026-11-21T09:00:00Z', 'a'),
      crash('2026-11-22T10:00:00Z', 'b'),
      crash('2026-11-22T11:00:00Z', 'a'),
    ];
    const obfuscated = rolledUp(crashes);
    expect(obfuscated.issue.retrace).toEqual({ status: 'missing_mapping', mapId: '7f3c2a1', source: 'map_id' });
    const docs = new Map<string, unknown>([[obfuscated.path, obfuscated.issue], ...obfuscated.stats]);
    const { store, requests } = memoryStore(docs, crashes);
    requests.push({ productKey: KEY, mapId: '7f3c2a1', requestedAt: UPLOADED });
    // A run before the upload left "no mapping stored" in this instance's cache, within its 60 s.
    let stored = false;
    const mappings = createMappingCache({
      loadCompressed: async (_p, mapId) => (stored && mapId === '7f3c2a1' ? gzipSync(MAPPING) : null),
    });
    await mappings.prepare([{ productKey: KEY, mapId: '7f3c2a1' }]);
    stored = true;
    let now = new Date(UPLOADED.getTime() + 5_000);
    const deadline = new Date(UPLOADED.getTime() + 60_000);
    const first = await runRegroup({ store, mappings, clock: () => now, deadline });
    expect(first).toEqual({ requests: 1, merged: 1, unreadable: 0, completed: 0 });
    expect(docs.has(obfuscated.path)).toBe(false);
    const lookedUp = rolledUp(crashes, mappings.lookup);
    // The survivor is the issue a retraced crash of this bug gets.
    expect(lookedUp.id).not.toBe(obfuscated.id);
    const survivor = docs.get(lookedUp.path) as IssueDoc;
    expect(survivor).toMatchObject({
      title: 'com.acme.notes.data.MissingNoteException: no note n42',
      type: 'com.acme.notes.data.MissingNoteException',
      count: 3,
      clients: 2,
      firstSeen: new Date('2026-11-21T09:00:00Z'),
      lastSeen: new Date('2026-11-22T11:00:00Z'),
      status: 'unresolved',
      retrace: { status: 'retraced', mapId: '7f3c2a1', source: 'map_id' },
      daily: [
        { day: '2026-11-21', count: 1 },
        { day: '2026-11-22', count: 2 },
      ],
      recentCrashIds: crashes.map((c) => c.id).reverse(),
    });
    expect(survivor.title).toBe(lookedUp.issue.title);
    expect(docs.get(`products/${KEY}/mergedIssues/${obfuscated.id}`)).toEqual({
      productKey: KEY,
      mergedInto: lookedUp.id,
      mergedAt: now,
      mapId: '7f3c2a1',
      count: 3,
    });
    // Every environment together, and production's own copy (the reports name none).
    expect([...obfuscated.stats.keys()].filter((p) => p.endsWith('_issue@production'))).toHaveLength(2);
    for (const [path, before] of obfuscated.stats) {
      const after = docs.get(path) as CrashStatsDoc;
      expect(after.total).toEqual(before.total);
      expect(after.rows.map((r) => [r.value, r.count])).toEqual(before.rows.map((r) => [lookedUp.id, r.count]));
    }
    expect(requests).toHaveLength(1);

    now = new Date(UPLOADED.getTime() + REGROUP_SETTLE_MS);
    const later = await runRegroup({ store, mappings, clock: () => now, deadline: new Date(now.getTime() + 1000) });
    expect(later).toEqual({ requests: 1, merged: 0, unreadable: 0, completed: 1 });
    expect(requests).toHaveLength(0);
  });

  describe('carries the assignee and the activity to the survivor, and says it merged', () => {
    const crashes = [crash('2026-11-21T09:00:00Z', 'a'), crash('2026-11-22T10:00:00Z', 'b')];
    const debug = [crash('2026-11-22T11:00:00Z', 'a', 'd8-notes-2.0-debug.txt', '2.0-debug')];
    const comment = { kind: 'comment', at: new Date('2026-11-22T10:30:00Z'), by: null, text: 'b.b is the note lookup' };
    const merge = async (targetAssignee: string | null | undefined) => {
      const obfuscated = rolledUp(crashes);
      const docs = new Map<string, unknown>([
        [obfuscated.path, { ...obfuscated.issue, assigneeUid: 'u-viewer' }],
        [`${obfuscated.path}/activity/e1`, comment],
      ]);
      const readable = rolledUp(debug);
      if (targetAssignee !== undefined) docs.set(readable.path, { ...readable.issue, assigneeUid: targetAssignee });
      const { store, requests } = memoryStore(docs, [...crashes, ...debug]);
      requests.push({ productKey: KEY, mapId: '7f3c2a1', requestedAt: UPLOADED });
      const now = new Date(UPLOADED.getTime() + 5_000);
      const deadline = new Date(now.getTime() + 60_000);
      const run = () => runRegroup({ store, mappings: uploadedMapping(), clock: () => now, deadline });
      expect(await run()).toMatchObject({ merged: 1 });
      // Another run finds nothing left to merge: nothing moved or recorded twice.
      expect(await run()).toMatchObject({ merged: 0 });
      const under = (path: string) =>
        [...docs].filter(([p]) => p.startsWith(`${path}/activity/`)).map(([p, d]) => [p.split('/').pop(), d]);
      return {
        assignee: (docs.get(readable.path) as IssueDoc).assigneeUid,
        moved: under(readable.path),
        left: under(obfuscated.path),
        obfuscatedId: obfuscated.id,
        now,
      };
    };

    it('to a new readable issue: the source’s assignee, its entries under their ids, and the merge', async () => {
      const m = await merge(undefined);
      expect(m.assignee).toBe('u-viewer');
      expect(m.left).toEqual([]);
      expect(m.moved).toEqual([
        ['e1', comment],
        [
          `merged-${m.obfuscatedId}`,
          { kind: 'merge', at: m.now, by: null, mergedFrom: m.obfuscatedId, mapId: '7f3c2a1', count: 2 },
        ],
      ]);
    });

    it.each([
      ['keeps its own assignee', 'u-owner', 'u-owner'],
      ['without one, takes the source’s', null, 'u-viewer'],
    ])('to a readable issue that exists: %s', async (_name, own, expected) => {
      const m = await merge(own);
      expect(m.assignee).toBe(expected);
      expect(m.moved.map(([id]) => id)).toEqual(['e1', `merged-${m.obfuscatedId}`]);
    });
  });

  it('merges a ProGuard build whose mapping is stored under its app version', async () => {
    const proguard = (at: string): ReportRecord<CrashDoc> => {
      const record = crash(at, 'a', 'proguard-notes-1.0.txt', '1.0');
      return { ...record, doc: { ...record.doc, exception: { ...record.doc.exception, type: 'com.acme.notes.a' } } };
    };
    const crashes = [proguard('2026-11-22T10:00:00Z'), proguard('2026-11-22T10:05:00Z')];
    const obfuscated = rolledUp(crashes);
    expect(obfuscated.issue.retrace).toEqual({ status: 'missing_mapping', mapId: '1.0', source: 'app_version' });
    const docs = new Map<string, unknown>([[obfuscated.path, obfuscated.issue]]);
    const { store, requests } = memoryStore(docs, crashes);
    requests.push({ productKey: KEY, mapId: '1.0', requestedAt: UPLOADED });
    const text = read('proguard-notes-1.0-mapping.txt');
    const mappings = createMappingCache({ loadCompressed: async (_p, id) => (id === '1.0' ? gzipSync(text) : null) });
    const now = new Date(UPLOADED.getTime() + 1000);
    const summary = await runRegroup({ store, mappings, clock: () => now, deadline: new Date(now.getTime() + 9000) });
    expect(summary.merged).toBe(1);
    const issues = [...docs]
      .filter(([p]) => p.includes('/issues/') && !p.includes('/activity/'))
      .map(([, d]) => d as IssueDoc);
    expect(issues).toHaveLength(1);
    const survivor = issues[0];
    expect(survivor).toMatchObject({
      title: 'com.acme.notes.MissingNoteException: no note n42',
      culprit: 'com.acme.notes.NoteStore.requireNote',
      count: 2,
      retrace: { status: 'retraced', mapId: '1.0', source: 'app_version' },
    });
  });

  it("interleaves the survivor's recent crashes with the readable issue's by receipt time, times kept beside them", async () => {
    const early = [crash('2026-11-22T09:00:00Z', 'a'), crash('2026-11-22T11:00:00Z', 'b')];
    const obfuscated = rolledUp(early);
    const mappings = uploadedMapping();
    await mappings.prepare([{ productKey: KEY, mapId: '7f3c2a1' }]);
    // Crashes of the same build rolled up after the upload, retraced: the readable issue, last seen later.
    const late = [crash('2026-11-22T10:00:00Z', 'c'), crash('2026-11-22T12:00:00Z', 'd')];
    const readable = rolledUp(late, mappings.lookup);
    expect(readable.id).not.toBe(obfuscated.id);
    const docs = new Map<string, unknown>([
      [obfuscated.path, obfuscated.issue],
      [readable.path, readable.issue],
    ]);
    const { store, requests } = memoryStore(docs, [...early, ...late]);
    requests.push({ productKey: KEY, mapId: '7f3c2a1', requestedAt: UPLOADED });
    const now = new Date(UPLOADED.getTime() + 1000);
    const summary = await runRegroup({ store, mappings, clock: () => now, deadline: new Date(now.getTime() + 9000) });
    expect(summary.merged).toBe(1);
    const newestFirst = [late[1]!, early[1]!, late[0]!, early[0]!];
    expect(docs.get(readable.path)).toMatchObject({
      count: 4,
      recentCrashIds: newestFirst.map((c) => c.id),
      recentCrashTimes: newestFirst.map((c) => c.doc.receivedAt),
    });
  });

  it('leaves an issue none of whose crashes is stored any more, and says so', async () => {
    const crashes = [crash('2026-11-22T10:00:00Z', 'a')];
    const obfuscated = rolledUp(crashes);
    const docs = new Map<string, unknown>([[obfuscated.path, obfuscated.issue]]);
    const { store, requests } = memoryStore(docs, []);
    requests.push({ productKey: KEY, mapId: '7f3c2a1', requestedAt: UPLOADED });
    const now = new Date(UPLOADED.getTime() + 1000);
    const summary = await runRegroup({
      store,
      mappings: uploadedMapping(),
      clock: () => now,
      deadline: new Date(now.getTime() + 9000),
    });
    expect(summary).toEqual({ requests: 1, merged: 0, unreadable: 1, completed: 0 });
    expect(docs.get(obfuscated.path)).toEqual(obfuscated.issue);
  });

  it('merges no more issues than a run allows, and leaves the rest and the request for the next run', async () => {
    const crashes = [crash('2026-11-22T10:00:00Z', 'a')];
    const obfuscated = rolledUp(crashes);
    const docs = new Map<string, unknown>([[obfuscated.path, obfuscated.issue]]);
    const { store, requests } = memoryStore(docs, crashes);
    requests.push({ productKey: KEY, mapId: '7f3c2a1', requestedAt: UPLOADED });
    const now = new Date(UPLOADED.getTime() + REGROUP_SETTLE_MS * 2);
    const mappings = uploadedMapping();
    const none = await runRegroup({
      store,
      mappings,
      clock: () => now,
      deadline: new Date(now.getTime() + 1000),
      maxMerges: 0,
    });
    expect([none, docs.has(obfuscated.path), requests.length]).toEqual([
      { requests: 1, merged: 0, unreadable: 0, completed: 0 },
      true,
      1,
    ]);
  });
});

describe('mergeStatus', () => {
  const base = rolledUp([crash('2026-11-22T10:00:00Z', 'a')]).issue;
  const issue = (fields: Partial<IssueDoc>): IssueDoc => ({ ...base, ...fields });
  const at = (iso: string) => new Date(iso);
  const resolvedAt = (iso: string, more: Partial<IssueDoc> = {}) =>
    issue({ status: 'resolved', statusChangedAt: at(iso), ...more });
  const cases: Array<[string, IssueDoc, IssueDoc | null, IssueDoc['status']]> = [
    ['no readable issue yet: the obfuscated one as it was', resolvedAt('2026-11-22T11:00:00Z'), null, 'resolved'],
    [
      'an open obfuscated issue reopens a resolved readable one',
      issue({}),
      resolvedAt('2026-11-22T12:00:00Z'),
      'unresolved',
    ],
    [
      'an open readable issue stays open when the obfuscated one was ignored',
      issue({ status: 'ignored', statusChangedAt: at('2026-11-22T13:00:00Z') }),
      issue({}),
      'unresolved',
    ],
    [
      'regressed beats unresolved',
      issue({ status: 'regressed', statusChangedAt: at('2026-11-22T09:00:00Z'), regressedInVersion: '2.0' }),
      issue({}),
      'regressed',
    ],
    [
      'both closed: the later decision, ignored',
      issue({ status: 'ignored', statusChangedAt: at('2026-11-22T13:00:00Z') }),
      resolvedAt('2026-11-22T12:00:00Z'),
      'ignored',
    ],
    [
      'both closed: the later resolution, broken by a readable crash after it',
      resolvedAt('2026-11-22T12:00:00Z'),
      issue({ status: 'ignored', statusChangedAt: at('2026-11-22T11:00:00Z'), lastSeen: at('2026-11-22T12:30:00Z') }),
      'regressed',
    ],
    [
      'both closed: the readable decision when it is the later one',
      resolvedAt('2026-11-22T11:00:00Z'),
      issue({ status: 'ignored', statusChangedAt: at('2026-11-22T12:00:00Z') }),
      'ignored',
    ],
  ];
  it.each(cases)('%s', (_name, source, target, status) => {
    const merged = target ?? source;
    expect(mergeStatus(source, target, merged).status).toBe(status);
  });

  it('keeps the version and time of the crash that broke the resolution', () => {
    const source = resolvedAt('2026-11-22T12:00:00Z', { resolvedInVersion: '2.0' });
    const target = issue({
      status: 'ignored',
      statusChangedAt: at('2026-11-22T11:00:00Z'),
      lastSeen: at('2026-11-22T12:30:00Z'),
      lastVersion: '2.1',
    });
    expect(mergeStatus(source, target, target)).toEqual({
      status: 'regressed',
      resolvedInVersion: '2.0',
      resolvedAfterVersion: null,
      statusChangedAt: at('2026-11-22T12:30:00Z'),
      regressedInVersion: '2.1',
    });
  });
});

describe('moveIssueRow', () => {
  const both = rolledUp([crash('2026-11-22T10:00:00Z', 'a'), crash('2026-11-22T10:30:00Z', 'b')]);
  const [path, stats] = [...both.stats][0]!;
  const other = rolledUp([crash('2026-11-22T10:00:00Z', 'a', 'd8-notes-2.0-debug.txt', '2.0-debug')]);
  const withTarget: CrashStatsDoc = { ...stats, rows: [...stats.rows, ...[...other.stats.values()][0]!.rows] };

  it("adds the row into the readable issue's row: counts summed, clients counted once", () => {
    const moved = moveIssueRow(withTarget, both.id, other.id, UPLOADED)!;
    expect(moved.rows.map((r) => [r.value, r.count, r.clients])).toEqual([[other.id, 3, 2]]);
    expect(estimateDistinct(decodeSketch(moved.rows[0]!.sketch))).toBe(2);
    expect(moved.total).toEqual(withTarget.total);
  });

  it('renames the row when the readable issue has none that day, and does nothing without a row to move', () => {
    expect(moveIssueRow(stats, both.id, other.id, UPLOADED)?.rows.map((r) => [r.value, r.count])).toEqual([
      [other.id, 2],
    ]);
    expect(moveIssueRow(stats, other.id, both.id, UPLOADED)).toBeNull();
    expect(path).toContain('_issue');
  });
});

describe('daysOf', () => {
  it('lists the days from the first crash to the last, within the 30 days an issue keeps', () => {
    const issue = rolledUp([crash('2026-11-20T23:00:00Z', 'a'), crash('2026-11-22T01:00:00Z', 'a')]).issue;
    expect(daysOf(issue, UPLOADED)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    const old = { ...issue, firstSeen: new Date('2026-01-01T00:00:00Z') };
    const days = daysOf(old, UPLOADED);
    expect([days.length, days[0], days[29]]).toEqual([30, '2026-10-24', '2026-11-22']);
  });
});

describe('a crash retraced in the batch', () => {
  it('opens its issue and counts its type stats under the readable class, not the obfuscated one', async () => {
    const mappings = createMappingCache({ loadCompressed: async () => gzipSync(MAPPING) });
    await mappings.prepare([{ productKey: KEY, mapId: '7f3c2a1' }]);
    const delta = reduceClassified([
      classifyCrash(crash('2026-11-22T13:00:00Z', 'install-r1'), undefined, mappings.lookup),
    ]);
    const [issue] = [...delta.issues.values()];
    expect(issue!.type).toBe('com.acme.notes.data.MissingNoteException');
    const types = [...delta.stats.values()].filter((d) => d.by === 'type').flatMap((d) => [...d.rows.keys()]);
    expect(types).toEqual(['com.acme.notes.data.MissingNoteException', 'com.acme.notes.data.MissingNoteException']);
  });
});
