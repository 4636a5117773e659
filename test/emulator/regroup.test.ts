import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { callApi, productWithViewer, sendApi, signedSender } from './api-client';
import { requireEnv, rollUpToTheEnd, testDb } from './helpers';

const FIXTURES = join(__dirname, '../fixtures/android');
const read = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

interface IssueRow {
  id: string;
  title: string;
  type: string;
  count: number;
  clients: number;
  status: string;
  firstSeen: string;
  lastSeen: string;
  lastVersion: string;
  daily: number[];
  assigneeUid: string | null;
}

type Entry = { kind: string; by: { uid: string } | null; [field: string]: unknown };

/** One rollup run, as Cloud Scheduler or a task makes it (the mapping upload happened before it). */
async function rollUpOnce(): Promise<Record<string, unknown>> {
  const res = await fetch(requireEnv('DUMPCATCHER_ROLLUP_URL'), { method: 'POST' });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** Runs the rollup until it has caught up with every report. */
async function rollUp(): Promise<void> {
  await rollUpToTheEnd();
}

/** Webhook bodies received, by path: each product's destination posts to its own. */
const received = new Map<string, string[]>();
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.set(req.url ?? '', [...(received.get(req.url ?? '') ?? []), Buffer.concat(chunks).toString('utf8')]);
    res.writeHead(200).end('ok');
  });
});
beforeAll(() => new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve)));
afterAll(() => new Promise((resolve) => receiver.close(resolve)));

async function setup() {
  const product = await productWithViewer();
  const { productKey, secret, owner, base } = product;
  const hook = `/hook/${randomUUID()}`;
  const destination = await callApi(owner.token, 'POST', `${base}/alerts`, {
    kind: 'webhook',
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${hook}`,
    events: ['issue.new', 'issue.regressed'],
  });
  expect(destination.status).toBe(201);
  // Two installs of the obfuscated release build, each its own signed client.
  const installs = ['install-a', 'install-b'].map((installId) => ({
    installId,
    send: signedSender(productKey, secret),
  }));
  const crash = async (install: number, fixture: string, type: string, version: string) => {
    const { installId, send } = installs[install]!;
    return send('/v1/crashes', {
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      installId,
      exception: { type, message: 'no note n42', stacktrace: read(fixture) },
      app: { name: 'notes', version },
      runtime: { name: 'android', version: '34' },
    });
  };
  const list = async (): Promise<IssueRow[]> => {
    const answer = await callApi<{ issues: IssueRow[] }>(owner.token, 'GET', `${base}/issues`);
    expect(answer.status).toBe(200);
    return answer.json.issues;
  };
  // What the Gradle task and the dashboard's settings page send: PUT of the mapping.txt as text.
  const uploadMapping = async (mapId: string, fixture: string) => {
    const put = await sendApi(owner.token, 'PUT', `${base}/mappings/${mapId}`, {
      body: read(fixture),
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(put.status).toBe(201);
  };
  // The issues of every issue.new webhook the product's destination received (sent at the end of each run).
  const newIssueAlerts = (): string[] =>
    (received.get(hook) ?? [])
      .map((body) => JSON.parse(body) as { type: string; issues: Array<{ id: string }> })
      .filter((body) => body.type === 'issue.new')
      .flatMap((body) => body.issues.map((i) => i.id));
  // An issue's activity, newest first, as any member reads it.
  const activity = async (issueId: string): Promise<Entry[]> => {
    const answer = await callApi<{ activity: Entry[] }>(
      owner.token,
      'GET',
      `${base}/issues/${issueId}/activity?limit=100`,
    );
    expect(answer.status).toBe(200);
    return answer.json.activity;
  };
  // The activity entries left under an issue id in Firestore (none once it was merged away).
  const storedActivity = async (issueId: string) =>
    (await testDb().collection(`products/${productKey}/issues/${issueId}/activity`).get()).size;
  return { ...product, crash, list, uploadMapping, newIssueAlerts, activity, storedActivity };
}

const READABLE_TITLE = 'com.acme.notes.data.MissingNoteException: no note n42';

describe('mapping uploaded after the crashes (real emulators)', () => {
  it('merges the obfuscated issue into the readable one on the next run, and later crashes land on it', async () => {
    const s = await setup();
    await s.crash(0, 'r8-notes-2.0.txt', 'b.b', '2.0');
    await s.crash(1, 'r8-notes-2.0.txt', 'b.b', '2.0');
    await s.crash(0, 'r8-notes-2.0.txt', 'b.b', '2.0');
    await rollUp();
    const [obfuscated, ...others] = await s.list();
    expect(others).toEqual([]);
    expect([obfuscated!.title, obfuscated!.count, obfuscated!.clients]).toEqual(['b.b: no note n42', 3, 2]);
    const before = await callApi(s.owner.token, 'GET', `${s.base}/issues/${obfuscated!.id}`);
    expect(before.json.retrace).toEqual({ status: 'missing_mapping', mapId: '7f3c2a1', source: 'map_id' });
    // The owner ignores the unreadable issue, assigns it and comments; the merge keeps all of it.
    const ignored = await callApi(s.owner.token, 'PATCH', `${s.base}/issues/${obfuscated!.id}`, { status: 'ignored' });
    expect(ignored.status).toBe(200);
    const assigned = await callApi(s.owner.token, 'PATCH', `${s.base}/issues/${obfuscated!.id}`, {
      assignee: s.viewer.uid,
    });
    expect(assigned.status).toBe(200);
    const said = await callApi(s.owner.token, 'POST', `${s.base}/issues/${obfuscated!.id}/comments`, {
      text: 'Only on the release build',
    });
    expect(said.status).toBe(201);
    const history = await s.activity(obfuscated!.id);
    expect(history.map((e) => e.kind)).toEqual(['comment', 'assign', 'status']);

    await s.uploadMapping('7f3c2a1', 'r8-notes-2.0-mapping.txt');
    // A crash of that build arrives after the upload, before the run that merges.
    await s.crash(1, 'r8-notes-2.0.txt', 'b.b', '2.0');
    // The very next run, within the 60 s a missing mapping used to be believed, merges. (Alone it
    // also applies the new crash and catches up; the suites share one rollup, so drain after it.)
    const next = (await rollUpOnce()) as { regroup?: { requests: number } };
    expect(next.regroup?.requests).toBeGreaterThanOrEqual(1);
    await rollUp();

    const after = await s.list();
    expect(after).toHaveLength(1);
    const readable = after[0]!;
    expect(readable.id).not.toBe(obfuscated!.id);
    expect(readable).toMatchObject({
      title: READABLE_TITLE,
      type: 'com.acme.notes.data.MissingNoteException',
      count: 4,
      clients: 2,
      status: 'ignored',
      firstSeen: obfuscated!.firstSeen,
      lastVersion: '2.0',
    });
    expect(readable.lastSeen > obfuscated!.lastSeen).toBe(true);
    expect(readable.daily.reduce((a, b) => a + b, 0)).toBe(4);
    const detail = await callApi(s.owner.token, 'GET', `${s.base}/issues/${readable.id}`);
    expect(detail.json).toMatchObject({
      retrace: { status: 'retraced', mapId: '7f3c2a1', source: 'map_id' },
      culprit: 'com.acme.notes.data.NoteRepository.requireNote',
      installs: { total: 2, releases: [{ version: '2.0', installs: 2, crashes: 4 }] },
    });
    expect((detail.json.daily as Array<{ count: number }>).reduce((a, b) => a + b.count, 0)).toBe(4);
    expect((detail.json.recentCrashes as unknown[]).length).toBe(4);
    // The day's issue stats count the crashes under the survivor, in all and in production's copy.
    for (const environment of [undefined, 'production']) {
      const day = new Date().toISOString().slice(0, 10);
      const query = `by=issue&from=${day}&to=${day}${environment === undefined ? '' : `&environment=${environment}`}`;
      const stats = await callApi(s.owner.token, 'GET', `${s.base}/stats?${query}`);
      expect([stats.status, stats.json.rows]).toEqual([200, [{ value: readable.id, count: 4, clients: 2 }]]);
    }
    // The old issue's address answers with the survivor.
    const old = await callApi(s.owner.token, 'GET', `${s.base}/issues/${obfuscated!.id}`);
    expect([old.status, old.json.id, old.json.redirectedFrom]).toEqual([200, readable.id, obfuscated!.id]);
    // The assignee and the whole activity came along, under the merge's own entry; none is left behind.
    expect(readable.assigneeUid).toBe(s.viewer.uid);
    const merge = { kind: 'merge', by: null, mergedFrom: obfuscated!.id, mapId: '7f3c2a1', count: 3 };
    expect(await s.activity(readable.id)).toEqual([expect.objectContaining(merge), ...history]);
    expect(await s.storedActivity(obfuscated!.id)).toBe(0);

    // A later crash of the same build lands on the survivor; no second issue, and no issue.new for it.
    await s.crash(1, 'r8-notes-2.0.txt', 'b.b', '2.0');
    await rollUp();
    const last = await s.list();
    expect(last.map((i) => [i.id, i.count, i.status])).toEqual([[readable.id, 5, 'ignored']]);
    expect(s.newIssueAlerts()).toEqual([obfuscated!.id]);
    // The runs since the merge moved or recorded nothing again.
    expect((await s.activity(readable.id)).map((e) => e.kind)).toEqual(['merge', 'comment', 'assign', 'status']);
  }, 120_000);

  it('adds the obfuscated crashes to a readable issue that already exists: counts, first seen, open status', async () => {
    const s = await setup();
    await s.crash(0, 'r8-notes-2.0.txt', 'b.b', '2.0');
    await s.crash(1, 'r8-notes-2.0.txt', 'b.b', '2.0');
    await rollUp();
    const [obfuscated] = await s.list();
    // The same bug in a debug build: readable from the start, a separate issue until the mapping comes.
    await s.crash(1, 'd8-notes-2.0-debug.txt', 'com.acme.notes.data.MissingNoteException', '2.0-debug');
    await rollUp();
    const both = await s.list();
    expect(both).toHaveLength(2);
    const debug = both.find((i) => i.id !== obfuscated!.id)!;
    expect([debug.title, debug.count]).toEqual([READABLE_TITLE, 1]);
    // The readable one was resolved, the obfuscated one is open: the open one wins.
    const resolved = await callApi(s.owner.token, 'PATCH', `${s.base}/issues/${debug.id}`, { status: 'resolved' });
    expect(resolved.status).toBe(200);
    // Each is assigned: the readable one keeps its own assignee.
    for (const [id, uid] of [
      [debug.id, s.owner.uid],
      [obfuscated!.id, s.viewer.uid],
    ] as const)
      expect((await callApi(s.owner.token, 'PATCH', `${s.base}/issues/${id}`, { assignee: uid })).status).toBe(200);

    await s.uploadMapping('7f3c2a1', 'r8-notes-2.0-mapping.txt');
    await rollUp();

    const after = await s.list();
    expect(after.map((i) => [i.id, i.title, i.count, i.clients, i.status, i.firstSeen, i.lastSeen])).toEqual([
      [debug.id, READABLE_TITLE, 3, 2, 'unresolved', obfuscated!.firstSeen, debug.lastSeen],
    ]);
    expect(after[0]!.assigneeUid).toBe(s.owner.uid);
    // Both issues' entries, newest first, under the merge's own.
    const merged = await s.activity(debug.id);
    expect(merged.map((e) => [e.kind, e.kind === 'assign' ? (e.assignee as { uid: string }).uid : null])).toEqual([
      ['merge', null],
      ['assign', s.viewer.uid],
      ['assign', s.owner.uid],
      ['status', null],
    ]);
    expect(merged[0]).toMatchObject({ mergedFrom: obfuscated!.id, count: 2 });
    expect(await s.storedActivity(obfuscated!.id)).toBe(0);
    const detail = await callApi(s.owner.token, 'GET', `${s.base}/issues/${debug.id}`);
    expect(detail.json.installs).toEqual({
      total: 2,
      releases: [
        { version: '2.0', installs: 2, crashes: 2 },
        { version: '2.0-debug', installs: 1, crashes: 1 },
      ],
    });
    expect((detail.json.daily as Array<{ count: number }>).reduce((a, b) => a + b.count, 0)).toBe(3);
    expect(s.newIssueAlerts()).toEqual(expect.arrayContaining([obfuscated!.id, debug.id]));
    expect(s.newIssueAlerts().length).toBe(2);
  }, 120_000);
});
