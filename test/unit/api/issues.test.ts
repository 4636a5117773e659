/* The api's issue and stats routes (functions/src/api/issues.ts, stats.ts) over an in-memory store. */
import { commentOnIssue, getIssue, listIssueActivity, listIssues, patchIssue } from '../../../functions/src/api/issues';
import { listCrashes } from '../../../functions/src/api/crashes';
import type { ActivityDoc, ProductDoc } from '../../../functions/src/api/schemas';
import { getStats, listDays, MAX_STATS_DAYS } from '../../../functions/src/api/stats';
import type { ReportRecord } from '../../../functions/src/grouping/classify';
import { mergeCrashStats, mergeIssue, reduceCrashes } from '../../../functions/src/rollup/aggregate';
import type { CrashDoc, IssueDoc } from '../../../functions/src/grouping/schemas';
import type { IssueSort } from '../../../functions/src/api/schemas';
import type { RollupPosition } from '../../../functions/src/api/crash-view';
import { DumpcatcherError } from '../../../functions/src/shared/errors';
import { fixtureCrash } from '../rollup/reports';
import type { Caller } from '../../../functions/src/api/access';
import type { InsightsStore } from '../../../functions/src/api/deps';

const KEY = 'pk_product_1';
const caller = (uid: string): Caller => ({ uid, email: null, displayName: null, signInProvider: 'google.com' });
const OWNER = caller('owner');
const VIEWER = caller('viewer');
const NOW = new Date('2026-11-22T12:00:00Z');

function crash(n: number, at: string, clientId: string): ReportRecord<CrashDoc> {
  const body = fixtureCrash('python/checkout-1.3.0-checkout', { version: '1.0', label: 'pay' }) as unknown as CrashDoc;
  return {
    path: `products/${KEY}/crashes/c${n}`,
    id: `c${n}`,
    doc: { ...body, productKey: KEY, clientId, receivedAt: new Date(at) },
  };
}

function storeWith(
  crashes: Array<ReportRecord<CrashDoc>>,
  position: RollupPosition | null = null,
): InsightsStore & {
  issues: Map<string, IssueDoc>;
  stats: Map<string, unknown>;
  activity: Array<{ issueId: string; id: string; activity: ActivityDoc }>;
} {
  const delta = reduceCrashes(crashes);
  const issues = new Map<string, IssueDoc>();
  for (const issue of delta.issues.values()) issues.set(issue.fingerprint, mergeIssue(null, issue, NOW));
  const stats = new Map<string, unknown>();
  for (const s of delta.stats.values()) stats.set(`${s.day}_${s.by}`, mergeCrashStats(null, s, NOW));
  const product: ProductDoc = {
    name: 'Shop',
    ownerUid: 'owner',
    memberUids: ['owner', 'viewer', 'member'],
    roles: { member: 'member' },
    createdAt: NOW,
    updatedAt: NOW,
    settings: { retentionDays: 90, rateLimitPerMinute: null },
  };
  // Stored crashes carry their index shard; c1, c2… fall in shards 1, 2…
  const crashDocs = new Map(
    crashes.map((c, i) => [c.id, { ...c.doc, shard: (i + 1) % 8, extraJson: '{"a":1}' } as Record<string, unknown>]),
  );
  const sortValue = (issue: IssueDoc, sort: IssueSort) =>
    sort === 'lastSeen' ? issue.lastSeen.getTime() : issue[sort];
  const activity: Array<{ issueId: string; id: string; activity: ActivityDoc }> = [];
  // Firestore's order: at descending, then id descending.
  const byNewest = (a: { id: string; activity: ActivityDoc }, b: { id: string; activity: ActivityDoc }) =>
    b.activity.at.getTime() - a.activity.at.getTime() || (a.id < b.id ? 1 : -1);
  return {
    issues,
    stats,
    activity,
    getUser: async (uid) =>
      uid === 'member' ? { email: 'mia@example.com', displayName: 'Mia', createdAt: NOW, lastSeenAt: NOW } : null,
    getProduct: async (key) => (key === KEY ? product : null),
    // Firestore's order: sort value descending, then id descending; `after` excludes it and everything before.
    listIssues: async (_key, q) =>
      [...issues]
        .filter(([, i]) => q.status === undefined || i.status === q.status)
        .map(([id, issue]) => ({ id, issue, v: sortValue(issue, q.sort) }))
        .sort((a, b) => b.v - a.v || (a.id < b.id ? 1 : -1))
        .filter((r) => q.after === null || r.v < q.after.value || (r.v === q.after.value && r.id < q.after.id))
        .slice(0, q.limit)
        .map(({ id, issue }) => ({ id, issue })),
    getIssue: async (_key, id) => issues.get(id) ?? null,
    // No list heads here: every first page comes from the query (heads: test/emulator/list-heads.test.ts).
    getListHead: async () => null,
    putListHead: async () => false,
    listIssuesBetween: async (_key, field, from, until, limit) =>
      [...issues]
        .filter(([, i]) => i[field] >= from && (until === null || i[field] < until))
        .sort(([, a], [, b]) => b[field].getTime() - a[field].getTime())
        .slice(0, limit)
        .map(([id, issue]) => ({ id, issue })),
    getCrashes: async (_key, ids) =>
      ids.filter((id) => id !== 'c1').map((id) => ({ id, data: crashDocs.get(id) ?? { receivedAt: NOW } })),
    updateIssue: async (_key, id, decide) => {
      const issue = issues.get(id);
      if (issue === undefined) return null;
      const { change, activity: added } = decide(issue);
      const next = { ...issue, ...change };
      issues.set(id, next);
      for (const { entry, id: own } of added) {
        const at = activity.findIndex((a) => a.issueId === id && a.id === own);
        if (at >= 0) activity.splice(at, 1);
        activity.push({ issueId: id, id: own ?? `a${activity.length + 10}`, activity: entry });
      }
      return next;
    },
    addActivity: async (_key, issueId, entry) => {
      if (!issues.has(issueId)) return null;
      const id = `a${activity.length + 10}`;
      activity.push({ issueId, id, activity: entry });
      return { id };
    },
    listActivity: async (_key, issueId, q) =>
      activity
        .filter((row) => row.issueId === issueId)
        .sort(byNewest)
        .filter(
          (r) =>
            q.after === null ||
            r.activity.at.getTime() < q.after.atMs ||
            (r.activity.at.getTime() === q.after.atMs && r.id < q.after.id),
        )
        .slice(0, q.limit)
        .map(({ id, activity: entry }) => ({ id, activity: entry })),
    getStats: async (_key, ids) => new Map(ids.filter((id) => stats.has(id)).map((id) => [id, stats.get(id)])),
    listCrashes: async (_key, q) =>
      crashes
        .map((c) => ({ id: c.id, data: crashDocs.get(c.id)!, receivedAtUs: c.doc.receivedAt.getTime() * 1000 }))
        .sort((a, b) => b.receivedAtUs - a.receivedAtUs || (a.id < b.id ? 1 : -1))
        .filter(
          (r) =>
            q.after === null ||
            r.receivedAtUs > q.after.receivedAtUs ||
            (r.receivedAtUs === q.after.receivedAtUs && r.id > q.after.id),
        )
        .slice(0, q.limit),
    // Every shard's cursor at the same place.
    getRollupPositions: async () => Array.from({ length: 8 }, () => position),
  };
}

async function codeOf(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    if (err instanceof DumpcatcherError) return `${err.httpStatus} ${err.code}`;
    throw err;
  }
  return 'ok';
}

describe('issue routes', () => {
  const crashes = [
    crash(1, '2026-11-20T10:00:00Z', 'a'),
    crash(2, '2026-11-21T10:00:00Z', 'a'),
    crash(3, '2026-11-21T11:00:00Z', 'b'),
  ];

  it('lists issues for members with their daily counts, and hides the product from anyone else', async () => {
    const store = storeWith(crashes);
    const deps = { store, clock: () => NOW };
    const listed = await listIssues(deps, { productKey: KEY, query: { days: '3' } }, VIEWER);
    expect(listed.days).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    expect(listed.nextCursor).toBeNull();
    expect(listed.issues).toHaveLength(1);
    expect(listed.issues[0]).toMatchObject({
      count: 3,
      clients: 2,
      status: 'unresolved',
      firstSeen: '2026-11-20T10:00:00.000Z',
      daily: [1, 2, 0],
    });
    expect((await listIssues(deps, { productKey: KEY, query: {} }, VIEWER)).days).toHaveLength(14);
    expect(await listIssues(deps, { productKey: KEY, query: { days: '0' } }, VIEWER)).toMatchObject({
      days: [],
      issues: [{ daily: [] }],
    });
    expect(await codeOf(listIssues(deps, { productKey: KEY, query: {} }, caller('stranger')))).toBe('404 not_found');
    for (const query of [{ sort: 'newest' }, { limit: '101' }, { days: '31' }, { cursor: 'nope' }])
      expect(await codeOf(listIssues(deps, { productKey: KEY, query }, VIEWER))).toBe('400 invalid_argument');
  });

  it('pages by cursor through issues that tie on the sort value, each once, and refuses a cursor of another listing', async () => {
    const store = storeWith([]);
    const base = mergeIssue(null, reduceCrashes(crashes).issues.values().next().value!, NOW);
    for (let i = 0; i < 7; i++) {
      const id = i.toString(16).padStart(64, '0');
      store.issues.set(id, { ...base, fingerprint: id, count: i < 4 ? 5 : i, clients: 1 });
    }
    const deps = { store, clock: () => NOW };
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = { sort: 'count', limit: '3', ...(cursor === null ? {} : { cursor }) };
      const page = await listIssues(deps, { productKey: KEY, query }, VIEWER);
      seen.push(...page.issues.map((i) => `${i.count}:${i.id.slice(-1)}`));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(seen).toEqual(['6:6', '5:5', '5:3', '5:2', '5:1', '5:0', '4:4']);
    expect(pages).toBe(3);

    const first = await listIssues(deps, { productKey: KEY, query: { sort: 'count', limit: '2' } }, VIEWER);
    const other = async (query: Record<string, string>) =>
      codeOf(listIssues(deps, { productKey: KEY, query: { ...query, cursor: first.nextCursor! } }, VIEWER));
    expect(await other({ sort: 'count' })).toBe('ok');
    expect(await other({ sort: 'lastSeen' })).toBe('400 invalid_argument');
    expect(await other({ sort: 'count', status: 'resolved' })).toBe('400 invalid_argument');
  });

  it('shows an issue with its daily counts and the recent crashes that still exist, with frames and extra', async () => {
    const store = storeWith(crashes);
    const [id] = [...store.issues.keys()];
    const deps = { store, clock: () => NOW };
    const issue = await getIssue(deps, { productKey: KEY, issueId: id!, query: { days: '4' } }, VIEWER);
    expect(issue.recentCrashes.map((c) => c.id)).toEqual(['c3', 'c2']); // c1 expired
    expect(issue.recentCrashes[0]).toMatchObject({
      receivedAt: '2026-11-21T11:00:00.000Z',
      extra: { a: 1 },
      issueId: id,
      label: 'pay',
      app: { name: 'shop', version: '1.0' },
      exception: { type: 'KeyError', message: "'BOGUS'", stacktraceTruncated: false },
    });
    // One order for every runtime: the innermost call first, though Python printed it last.
    expect(issue.recentCrashes[0]!.frames.map((f) => f.function)).toEqual([
      'apply_discount',
      'checkout',
      'main',
      '<module>',
    ]);
    expect(issue.daily).toEqual([
      { day: '2026-11-19', count: 0 },
      { day: '2026-11-20', count: 1 },
      { day: '2026-11-21', count: 2 },
      { day: '2026-11-22', count: 0 },
    ]);
    expect((await getIssue(deps, { productKey: KEY, issueId: id!, query: {} }, VIEWER)).daily).toHaveLength(30);
    expect(await codeOf(getIssue(deps, { productKey: KEY, issueId: id!, query: { days: 'x' } }, VIEWER))).toBe(
      '400 invalid_argument',
    );
  });

  it('answers the address of a merged issue with the survivor, through chained merges, and 404 past a dead end', async () => {
    const store = storeWith(crashes);
    const [id] = [...store.issues.keys()];
    const [older, old, gone] = ['a', 'b', 'c'].map((c) => c.repeat(64));
    const merged = new Map([
      [older!, old!],
      [old!, id!],
      [gone!, 'd'.repeat(64)],
    ]);
    const deps = {
      store: { ...store, getMergedInto: async (_key: string, at: string) => merged.get(at) ?? null },
      clock: () => NOW,
    };
    const view = await getIssue(deps, { productKey: KEY, issueId: older!, query: {} }, VIEWER);
    expect([view.id, view.redirectedFrom, view.count]).toEqual([id, older, 3]);
    expect((await getIssue(deps, { productKey: KEY, issueId: id!, query: {} }, VIEWER)).redirectedFrom).toBeUndefined();
    expect(await codeOf(getIssue(deps, { productKey: KEY, issueId: gone!, query: {} }, VIEWER))).toBe('404 not_found');
    expect(await codeOf(patchIssue(deps, { productKey: KEY, issueId: old!, body: { status: 'ignored' } }, OWNER))).toBe(
      '404 not_found',
    );
  });

  it('lets the owner change the status, recording when, and refuses viewers and bad bodies', async () => {
    const store = storeWith(crashes);
    const [id] = [...store.issues.keys()];
    const deps = { store, clock: () => NOW };
    const params = (body: unknown) => ({ productKey: KEY, issueId: id!, body });
    expect(await codeOf(patchIssue(deps, params({ status: 'resolved' }), VIEWER))).toBe('403 permission_denied');
    expect(await codeOf(patchIssue(deps, params({ status: 'regressed' }), OWNER))).toBe('400 invalid_body');
    expect(await codeOf(patchIssue(deps, params({ status: 'unresolved', resolvedInVersion: '1' }), OWNER))).toBe(
      '400 invalid_body',
    );
    expect(await codeOf(patchIssue(deps, { ...params({ status: 'ignored' }), issueId: 'f'.repeat(64) }, OWNER))).toBe(
      '404 not_found',
    );
    const view = await patchIssue(deps, params({ status: 'resolved', resolvedInVersion: ' 1.3 ' }), OWNER);
    expect(view).toMatchObject({ status: 'resolved', resolvedInVersion: '1.3', statusChangedAt: NOW.toISOString() });
    const reopened = await patchIssue(deps, params({ status: 'unresolved' }), OWNER);
    expect([reopened.status, reopened.resolvedInVersion]).toEqual(['unresolved', null]);
  });

  it('resolves in the next release after the newest version stored, in a version, or now', async () => {
    const store = storeWith(crashes);
    const [id] = [...store.issues.keys()];
    // The stored versions decide, not the order they were seen in.
    store.issues.set(id!, { ...store.issues.get(id!)!, versions: ['1.0', '1.10', '1.9'], lastVersion: '1.9' });
    const deps = { store, clock: () => NOW };
    const params = (body: unknown) => ({ productKey: KEY, issueId: id!, body });
    const resolve = (resolution: unknown) => patchIssue(deps, params({ status: 'resolved', resolution }), OWNER);
    expect(await resolve({ kind: 'nextRelease' })).toMatchObject({
      status: 'resolved',
      resolvedInVersion: null,
      resolvedAfterVersion: '1.10',
    });
    expect(await resolve({ kind: 'inVersion', version: ' 2.0 ' })).toMatchObject({
      resolvedInVersion: '2.0',
      resolvedAfterVersion: null,
    });
    expect(await resolve({ kind: 'now' })).toMatchObject({ resolvedInVersion: null, resolvedAfterVersion: null });
    await resolve({ kind: 'nextRelease' });
    const reopened = await patchIssue(deps, params({ status: 'unresolved' }), OWNER);
    expect([reopened.resolvedInVersion, reopened.resolvedAfterVersion]).toEqual([null, null]);
  });

  it.each([
    [{ status: 'resolved', resolution: { kind: 'later' } }, 'resolution.kind'],
    [{ status: 'resolved', resolution: { kind: 'inVersion' } }, 'resolution.version'],
    [{ status: 'resolved', resolution: { kind: 'now', version: '1' } }, '"path":"resolution.version"'],
    [{ status: 'ignored', resolution: { kind: 'now' } }, 'resolution'],
    [{ status: 'resolved', resolution: { kind: 'now' }, resolvedInVersion: '1' }, 'resolution'],
  ])('refuses %j, naming %s', async (body, path) => {
    const store = storeWith(crashes);
    const [id] = [...store.issues.keys()];
    const run = patchIssue({ store, clock: () => NOW }, { productKey: KEY, issueId: id!, body }, OWNER);
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DumpcatcherError);
    expect([(err as DumpcatcherError).httpStatus, (err as DumpcatcherError).code]).toEqual([400, 'invalid_body']);
    expect(JSON.stringify((err as DumpcatcherError).details)).toContain(path);
  });
});

describe('triage by a team', () => {
  const crashes = [crash(1, '2026-11-20T10:00:00Z', 'a'), crash(2, '2026-11-21T10:00:00Z', 'a')];
  const MEMBER: Caller = { uid: 'member', email: 'mia@example.com', displayName: 'Mia', signInProvider: 'google.com' };
  const STRANGER = caller('mallory');

  function setup() {
    const store = storeWith(crashes);
    const [id] = [...store.issues.keys()];
    let now = NOW.getTime();
    const deps = { store, clock: () => new Date((now += 1000)) };
    const params = (body: unknown) => ({ productKey: KEY, issueId: id!, body });
    const page = (query: Record<string, string>, who: Caller = VIEWER) =>
      listIssueActivity(deps, { productKey: KEY, issueId: id!, query }, who);
    return { store, id: id!, deps, params, page };
  }

  it('lets a member change the status and the assignee, recording each with who and when, newest first', async () => {
    const { store, id, deps, params, page } = setup();
    const resolved = await patchIssue(
      deps,
      params({ status: 'resolved', resolution: { kind: 'nextRelease' } }),
      MEMBER,
    );
    expect(resolved).toMatchObject({ status: 'resolved', resolvedAfterVersion: '1.0' });
    const assigned = await patchIssue(deps, params({ assignee: 'owner' }), MEMBER);
    expect([assigned.status, assigned.assigneeUid]).toEqual(['resolved', 'owner']);
    expect(store.issues.get(id)!.assigneeUid).toBe('owner');
    const comment = await commentOnIssue(deps, params({ text: '  Fixed by #12  ' }), MEMBER);
    expect(comment).toMatchObject({
      kind: 'comment',
      text: 'Fixed by #12',
      by: { uid: 'member', email: 'mia@example.com' },
    });
    const mia = { uid: 'member', displayName: 'Mia', email: 'mia@example.com' };
    expect((await page({})).activity).toEqual([
      { id: comment.id, kind: 'comment', at: '2026-11-22T12:00:03.000Z', by: mia, text: 'Fixed by #12' },
      {
        id: expect.any(String),
        kind: 'assign',
        at: '2026-11-22T12:00:02.000Z',
        by: mia,
        assignee: { uid: 'owner', displayName: null, email: null },
      },
      {
        id: expect.any(String),
        kind: 'status',
        at: '2026-11-22T12:00:01.000Z',
        by: mia,
        status: 'resolved',
        resolution: { kind: 'nextRelease', afterVersion: '1.0' },
        regressedInVersion: null,
      },
    ]);
  });

  it('records resolving in a version or now, ignoring and reopening, and the regression it replaces', async () => {
    const { store, id, deps, params, page } = setup();
    await patchIssue(deps, params({ status: 'resolved', resolution: { kind: 'inVersion', version: '2.0' } }), OWNER);
    await patchIssue(deps, params({ status: 'resolved', resolvedInVersion: null }), OWNER);
    await patchIssue(deps, params({ status: 'ignored' }), MEMBER);
    // The rollup reopened it; the next change records that first, at the regression's own time.
    const regressedAt = new Date('2026-11-22T12:00:03.500Z');
    store.issues.set(id, {
      ...store.issues.get(id)!,
      status: 'regressed',
      statusChangedAt: regressedAt,
      regressedInVersion: '2.1',
    });
    await patchIssue(deps, params({ status: 'unresolved' }), MEMBER);
    const entries = (await page({})).activity.map((a) =>
      a.kind === 'status' ? [a.status, a.resolution, a.regressedInVersion, a.by?.uid ?? null, a.at] : a.kind,
    );
    expect(entries).toEqual([
      ['unresolved', null, null, 'member', '2026-11-22T12:00:04.000Z'],
      ['regressed', null, '2.1', null, regressedAt.toISOString()],
      ['ignored', null, null, 'member', '2026-11-22T12:00:03.000Z'],
      ['resolved', { kind: 'now' }, null, 'owner', '2026-11-22T12:00:02.000Z'],
      ['resolved', { kind: 'inVersion', version: '2.0' }, null, 'owner', '2026-11-22T12:00:01.000Z'],
    ]);
  });

  it('pages the activity with a cursor that only this issue accepts', async () => {
    const { deps, params, page } = setup();
    for (const text of ['one', 'two', 'three']) await commentOnIssue(deps, params({ text }), OWNER);
    const first = await page({ limit: '2' });
    expect(first.activity.map((a) => (a.kind === 'comment' ? a.text : a.kind))).toEqual(['three', 'two']);
    const second = await page({ limit: '2', cursor: first.nextCursor! });
    expect([second.activity.map((a) => (a.kind === 'comment' ? a.text : a.kind)), second.nextCursor]).toEqual([
      ['one'],
      null,
    ]);
    const other = 'e'.repeat(64);
    expect(
      await codeOf(
        listIssueActivity(deps, { productKey: KEY, issueId: other, query: { cursor: first.nextCursor! } }, OWNER),
      ),
    ).toBe('400 invalid_argument');
    expect(await codeOf(page({ limit: '101' }))).toBe('400 invalid_argument');
  });

  it('unassigns with null and records assigning the assignee it already has as nothing', async () => {
    const { store, id, deps, params, page } = setup();
    await patchIssue(deps, params({ assignee: 'member' }), OWNER);
    await patchIssue(deps, params({ assignee: 'member' }), OWNER);
    expect(await patchIssue(deps, params({ assignee: null }), MEMBER)).toMatchObject({ assigneeUid: null });
    expect(store.issues.get(id)!.assigneeUid).toBeNull();
    const assigns = (await page({})).activity.map((a) =>
      a.kind === 'assign' ? (a.assignee?.displayName ?? null) : a.kind,
    );
    expect(assigns).toEqual([null, 'Mia']);
  });

  it.each([
    ['someone without access', { assignee: 'mallory' }, 'assignee'],
    ['a malformed uid', { assignee: 'a/b' }, 'assignee'],
    ['no change at all', {}, 'status'],
  ])('refuses to assign %s, naming %s', async (_name, body, path) => {
    const { deps, params } = setup();
    const err = await patchIssue(deps, params(body), OWNER).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DumpcatcherError);
    expect((err as DumpcatcherError).code).toBe('invalid_body');
    expect((err as DumpcatcherError).details).toMatchObject({ issues: [expect.objectContaining({ path })] });
  });

  it.each([
    ['empty', { text: '   ' }, 'text'],
    ['longer than 2,000 characters', { text: 'x'.repeat(2001) }, 'text'],
    ['not text', { text: 12 }, 'text'],
    ['with an extra field', { text: 'hi', by: 'owner' }, 'by'],
  ])('refuses a comment %s, naming %s', async (_name, body, path) => {
    const { deps, params } = setup();
    const err = await commentOnIssue(deps, params(body), OWNER).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as DumpcatcherError).code).toBe('invalid_body');
    expect((err as DumpcatcherError).details).toEqual({ issues: [expect.objectContaining({ path })] });
  });

  it('takes a comment of exactly 2,000 characters', async () => {
    const { deps, params } = setup();
    expect((await commentOnIssue(deps, params({ text: 'x'.repeat(2000) }), MEMBER)).kind).toBe('comment');
  });

  it('lets a viewer read the activity but not change, assign or comment; a stranger gets 404 everywhere', async () => {
    const { deps, params, page } = setup();
    expect(await codeOf(patchIssue(deps, params({ status: 'ignored' }), VIEWER))).toBe('403 permission_denied');
    expect(await codeOf(patchIssue(deps, params({ assignee: 'viewer' }), VIEWER))).toBe('403 permission_denied');
    expect(await codeOf(commentOnIssue(deps, params({ text: 'hi' }), VIEWER))).toBe('403 permission_denied');
    expect(await codeOf(page({}))).toBe('ok');
    expect(await codeOf(patchIssue(deps, params({ status: 'ignored' }), STRANGER))).toBe('404 not_found');
    expect(await codeOf(commentOnIssue(deps, params({ text: 'hi' }), STRANGER))).toBe('404 not_found');
    expect(await codeOf(page({}, STRANGER))).toBe('404 not_found');
  });

  it('answers 404 for the activity of, or a comment on, an issue that does not exist', async () => {
    const { deps } = setup();
    const missing = { productKey: KEY, issueId: 'f'.repeat(64) };
    expect(await codeOf(listIssueActivity(deps, { ...missing, query: {} }, OWNER))).toBe('404 not_found');
    expect(await codeOf(commentOnIssue(deps, { ...missing, body: { text: 'hi' } }, OWNER))).toBe('404 not_found');
  });
});

describe('crash feed route', () => {
  const crashes = [
    crash(1, '2026-11-20T10:00:00Z', 'a'),
    crash(2, '2026-11-21T10:00:00Z', 'a'),
    crash(3, '2026-11-21T10:00:00Z', 'b'),
    crash(4, '2026-11-21T11:00:00Z', 'b'),
  ];

  it('lists the newest crashes first, then only newer ones after the cursor, repeating it when nothing is newer', async () => {
    const store = storeWith(crashes);
    const first = await listCrashes(store, { productKey: KEY, query: { limit: '2' } }, VIEWER);
    expect(first.crashes.map((c) => c.id)).toEqual(['c4', 'c3']);
    const none = await listCrashes(store, { productKey: KEY, query: { after: first.cursor } }, VIEWER);
    expect(none).toEqual({ crashes: [], cursor: first.cursor });

    const fromOlder = await listCrashes(store, { productKey: KEY, query: { limit: '1' } }, VIEWER);
    const older = storeWith(crashes.slice(0, 2));
    const start = await listCrashes(older, { productKey: KEY, query: {} }, VIEWER);
    expect(start.crashes.map((c) => c.id)).toEqual(['c2', 'c1']);
    // c3 has the same receivedAt as c2 and a later id: it is newer in (receivedAt, id) order.
    const next = await listCrashes(store, { productKey: KEY, query: { after: start.cursor } }, VIEWER);
    expect(next.crashes.map((c) => c.id)).toEqual(['c4', 'c3']);
    expect(next.cursor).toBe(fromOlder.cursor);
  });

  it('starts an empty feed with a cursor that later returns the first crashes', async () => {
    const empty = await listCrashes(storeWith([]), { productKey: KEY, query: {} }, VIEWER);
    expect(empty.crashes).toEqual([]);
    const later = await listCrashes(storeWith(crashes), { productKey: KEY, query: { after: empty.cursor } }, VIEWER);
    expect(later.crashes.map((c) => c.id)).toEqual(['c4', 'c3', 'c2', 'c1']);
  });

  it("names the issue of crashes the rollup has applied, the rollup's own fingerprint, and null for the rest", async () => {
    const position = { receivedAt: new Date('2026-11-21T10:00:00Z'), path: `products/${KEY}/crashes/c2` };
    const store = storeWith(crashes, position);
    const [id] = [...store.issues.keys()];
    const feed = await listCrashes(store, { productKey: KEY, query: {} }, VIEWER);
    expect(feed.crashes.map((c) => [c.id, c.issueId])).toEqual([
      ['c4', null],
      ['c3', null],
      ['c2', id],
      ['c1', id],
    ]);
    expect(feed.crashes[0]!.frames[0]).toMatchObject({ function: 'apply_discount', inApp: true });
  });

  it('refuses strangers, a bad limit and a malformed or foreign cursor, naming the parameter', async () => {
    const store = storeWith(crashes);
    expect(await codeOf(listCrashes(store, { productKey: KEY, query: {} }, caller('stranger')))).toBe('404 not_found');
    expect(await codeOf(listCrashes(store, { productKey: KEY, query: { limit: '51' } }, VIEWER))).toBe(
      '400 invalid_argument',
    );
    const foreign = Buffer.from(JSON.stringify({ k: 'pk_other_product', t: 0, id: '' })).toString('base64url');
    for (const after of ['!!', foreign]) {
      const err = await listCrashes(store, { productKey: KEY, query: { after } }, VIEWER).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DumpcatcherError);
      expect((err as DumpcatcherError).details).toEqual({ issues: [{ path: 'after', message: expect.any(String) }] });
    }
  });
});

describe('stats routes', () => {
  it('lists the days of a range and refuses reversed, impossible or too long ranges', () => {
    expect(listDays('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(() => listDays('2026-03-01', '2026-02-28')).toThrow(DumpcatcherError);
    expect(() => listDays('2026-02-30', '2026-03-01')).toThrow('real days');
    expect(listDays('2026-01-01', '2026-04-02')).toHaveLength(MAX_STATS_DAYS);
    expect(() => listDays('2026-01-01', '2026-04-03')).toThrow(`${MAX_STATS_DAYS} days`);
  });

  it('adds counts across days and counts a client seen on two days once', async () => {
    const store = storeWith([
      crash(1, '2026-11-20T10:00:00Z', 'a'),
      crash(2, '2026-11-21T10:00:00Z', 'a'),
      crash(3, '2026-11-21T11:00:00Z', 'b'),
    ]);
    const both = await getStats(
      store,
      { productKey: KEY, query: { by: 'label', from: '2026-11-19', to: '2026-11-21' } },
      VIEWER,
    );
    expect(both).toEqual({
      by: 'label',
      from: '2026-11-19',
      to: '2026-11-21',
      total: { count: 3, clients: 2 },
      rows: [{ value: 'pay', count: 3, clients: 2 }],
      other: null,
    });
    const one = await getStats(
      store,
      { productKey: KEY, query: { by: 'type', from: '2026-11-21', to: '2026-11-21' } },
      VIEWER,
    );
    expect(one).toMatchObject({ total: { count: 2, clients: 2 }, rows: [{ value: 'KeyError', count: 2, clients: 2 }] });
    expect(one).not.toHaveProperty('series');
    const series = await getStats(
      store,
      { productKey: KEY, query: { by: 'type', from: '2026-11-19', to: '2026-11-21', series: 'day' } },
      VIEWER,
    );
    expect(series).toMatchObject({
      total: { count: 3, clients: 2 },
      series: [
        { day: '2026-11-19', count: 0, clients: 0 },
        { day: '2026-11-20', count: 1, clients: 1 },
        { day: '2026-11-21', count: 2, clients: 2 },
      ],
    });
    expect(
      await codeOf(
        getStats(
          store,
          { productKey: KEY, query: { by: 'type', from: '2026-11-21', to: '2026-11-21', series: 'week' } },
          VIEWER,
        ),
      ),
    ).toBe('400 invalid_argument');
    expect(await codeOf(getStats(store, { productKey: KEY, query: { by: 'type', from: '2026-11-21' } }, VIEWER))).toBe(
      '400 invalid_argument',
    );
  });
});
