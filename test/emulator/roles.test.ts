/**
 * The three roles and a stranger against the real api and the real Firestore rules on the
 * emulators: each action through the api, and each read a client could try directly, so that
 * what `firestore.rules` lets a client do agrees with what the api lets that role do.
 */
import { randomUUID } from 'node:crypto';
import type { Timestamp } from 'firebase-admin/firestore';
import { fixtureCrash, fixtureIssueId } from '../unit/rollup/reports';
import { callApi, googleUser, rollUpToTheEnd, signedSender } from './api-client';
import { requireEnv, testDb } from './helpers';

type User = Awaited<ReturnType<typeof googleUser>>;
type Who = 'owner' | 'member' | 'viewer' | 'stranger';

/** A Firestore REST call as a client SDK makes it, with the user's ID token. */
async function firestore(method: 'GET' | 'PATCH', path: string, token: string, body?: unknown): Promise<number> {
  const url = `http://${requireEnv('FIRESTORE_EMULATOR_HOST')}/v1/projects/${requireEnv('GCLOUD_PROJECT')}/databases/(default)/documents/${path}`;
  const res = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await res.text();
  return res.status;
}

async function invite(owner: User, productKey: string, user: User, role?: 'member' | 'viewer'): Promise<void> {
  const invited = await callApi(owner.token, 'POST', `/v1/products/${productKey}/invitations`, {
    email: user.email,
    ...(role === undefined ? {} : { role }),
  });
  expect(invited.status).toBe(201);
  const accepted = await callApi(user.token, 'POST', `/v1/invitations/${invited.json.id as string}/accept`);
  expect([accepted.status, accepted.json.role]).toEqual([200, role ?? 'viewer']);
}

let users: Record<Who, User>;
let productKey: string;
let base: string;
let issueId: string;
let send: ReturnType<typeof signedSender>;

beforeAll(async () => {
  users = {
    owner: await googleUser('owner'),
    member: await googleUser('member'),
    viewer: await googleUser('viewer'),
    stranger: await googleUser('stranger'),
  };
  const created = await callApi(users.owner.token, 'POST', '/v1/products', { name: 'Team' });
  expect(created.status).toBe(201);
  productKey = created.json.productKey as string;
  base = `/v1/products/${productKey}`;
  await invite(users.owner, productKey, users.member, 'member');
  // No role named: a viewer, as every invitation meant before roles existed.
  await invite(users.owner, productKey, users.viewer);
  // The stranger is a tenant of their own product.
  expect((await callApi(users.stranger.token, 'POST', '/v1/products', { name: 'Elsewhere' })).status).toBe(201);
  send = signedSender(productKey, created.json.secret as string);
  await send('/v1/crashes', fixtureCrash('python/checkout-1.3.0-checkout', { version: '1.3.0' }));
  await rollUpToTheEnd();
  const listed = await callApi<{ issues: Array<{ id: string }> }>(users.owner.token, 'GET', `${base}/issues`);
  issueId = listed.json.issues[0]!.id;
});

/** What each role gets for each action: the status the api answers. */
const EXPECTED: Record<string, Record<Who, number>> = {
  'read the issue': { owner: 200, member: 200, viewer: 200, stranger: 404 },
  'read the activity': { owner: 200, member: 200, viewer: 200, stranger: 404 },
  'change the status': { owner: 200, member: 200, viewer: 403, stranger: 404 },
  assign: { owner: 200, member: 200, viewer: 403, stranger: 404 },
  comment: { owner: 201, member: 201, viewer: 403, stranger: 404 },
  'manage the product': { owner: 200, member: 403, viewer: 403, stranger: 404 },
  'manage keys': { owner: 200, member: 403, viewer: 403, stranger: 404 },
  'manage members': { owner: 200, member: 403, viewer: 403, stranger: 404 },
  'see invitations': { owner: 200, member: 403, viewer: 403, stranger: 404 },
  'manage alerts': { owner: 201, member: 403, viewer: 403, stranger: 404 },
  'manage mappings': { owner: 201, member: 403, viewer: 403, stranger: 404 },
};

const ACTIONS: Record<string, (who: Who) => Promise<number>> = {
  'read the issue': async (who) => (await callApi(users[who].token, 'GET', `${base}/issues/${issueId}`)).status,
  'read the activity': async (who) =>
    (await callApi(users[who].token, 'GET', `${base}/issues/${issueId}/activity`)).status,
  'change the status': async (who) =>
    (await callApi(users[who].token, 'PATCH', `${base}/issues/${issueId}`, { status: 'ignored' })).status,
  assign: async (who) =>
    (await callApi(users[who].token, 'PATCH', `${base}/issues/${issueId}`, { assignee: users.member.uid })).status,
  comment: async (who) =>
    (await callApi(users[who].token, 'POST', `${base}/issues/${issueId}/comments`, { text: `from the ${who}` })).status,
  'manage the product': async (who) => (await callApi(users[who].token, 'PATCH', base, { name: 'Team app' })).status,
  'manage keys': async (who) => (await callApi(users[who].token, 'GET', `${base}/upload-tokens`)).status,
  'manage members': async (who) =>
    (await callApi(users[who].token, 'PATCH', `${base}/members/${users.viewer.uid}`, { role: 'viewer' })).status,
  'see invitations': async (who) => (await callApi(users[who].token, 'GET', `${base}/invitations`)).status,
  'manage alerts': async (who) =>
    (
      await callApi(users[who].token, 'POST', `${base}/alerts`, {
        kind: 'webhook',
        url: `http://127.0.0.1:9/${randomUUID()}`,
        events: ['issue.new'],
      })
    ).status,
  'manage mappings': async (who) =>
    (await callApi(users[who].token, 'POST', `${base}/upload-tokens`, { name: `ci ${who}` })).status,
};

describe('each role on each action, through the api', () => {
  const cases = Object.keys(EXPECTED).flatMap((action) =>
    (['owner', 'member', 'viewer', 'stranger'] as const).map((who) => [action, who, EXPECTED[action]![who]] as const),
  );
  it.each(cases)('%s as the %s answers %d', async (action, who, status) => {
    expect(await ACTIONS[action]!(who)).toBe(status);
  });
});

describe('each role reading directly from Firestore, as the rules allow', () => {
  const roles = [
    ['owner', 200],
    ['member', 200],
    ['viewer', 200],
    ['stranger', 403],
  ] as const;
  it.each(roles)('the %s reading the issue and its activity gets %d', async (who, status) => {
    const issuePath = `products/${productKey}/issues/${issueId}`;
    expect(await firestore('GET', issuePath, users[who].token)).toBe(status);
    expect(await firestore('GET', `${issuePath}/activity`, users[who].token)).toBe(status);
  });
  it.each(roles)('the %s changes no status or assignee, and adds no comment, directly', async (who) => {
    const issuePath = `products/${productKey}/issues/${issueId}`;
    const patch = { fields: { status: { stringValue: 'resolved' }, assigneeUid: { stringValue: users[who].uid } } };
    expect(await firestore('PATCH', `${issuePath}?updateMask.fieldPaths=status`, users[who].token, patch)).toBe(403);
    const comment = { fields: { kind: { stringValue: 'comment' }, text: { stringValue: 'direct' } } };
    expect(await firestore('PATCH', `${issuePath}/activity/direct-${who}`, users[who].token, comment)).toBe(403);
  });
  it.each(roles)('the %s cannot give themself a role directly', async (who) => {
    const patch = { fields: { roles: { mapValue: { fields: { [users[who].uid]: { stringValue: 'member' } } } } } };
    expect(
      await firestore('PATCH', `products/${productKey}?updateMask.fieldPaths=roles`, users[who].token, patch),
    ).toBe(403);
  });
});

describe('triage on the real stack', () => {
  it('records who did what, newest first, and the rollup keeps the assignee', async () => {
    const assigned = await callApi(users.member.token, 'PATCH', `${base}/issues/${issueId}`, {
      status: 'resolved',
      resolution: { kind: 'nextRelease' },
      assignee: users.owner.uid,
    });
    expect(assigned.json).toMatchObject({
      status: 'resolved',
      resolvedAfterVersion: '1.3.0',
      assigneeUid: users.owner.uid,
    });
    const said = await callApi(users.member.token, 'POST', `${base}/issues/${issueId}/comments`, {
      text: 'Fixed in #88',
    });
    expect(said.json).toMatchObject({
      kind: 'comment',
      text: 'Fixed in #88',
      by: { uid: users.member.uid, email: users.member.email },
    });

    const page = await callApi<{ activity: Array<Record<string, unknown>>; nextCursor: string | null }>(
      users.viewer.token,
      'GET',
      `${base}/issues/${issueId}/activity?limit=2`,
    );
    expect(page.json.activity[0]).toMatchObject({ kind: 'comment', text: 'Fixed in #88' });
    expect(page.json.nextCursor).not.toBeNull();
    const rest = await callApi<{ activity: Array<Record<string, unknown>> }>(
      users.viewer.token,
      'GET',
      `${base}/issues/${issueId}/activity?limit=100&cursor=${page.json.nextCursor!}`,
    );
    const all = [...page.json.activity, ...rest.json.activity];
    const times = all.map((a) => a.at as string);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all).toContainEqual(
      expect.objectContaining({
        kind: 'assign',
        by: expect.objectContaining({ uid: users.member.uid }),
        assignee: expect.objectContaining({ uid: users.owner.uid, email: users.owner.email }),
      }),
    );
    expect(all).toContainEqual(
      expect.objectContaining({
        kind: 'status',
        status: 'resolved',
        resolution: { kind: 'nextRelease', afterVersion: '1.3.0' },
      }),
    );

    // A later crash is rolled into the issue; the assignee the api set stays.
    await send('/v1/crashes', fixtureCrash('python/checkout-1.3.0-checkout', { version: '1.3.0' }));
    await rollUpToTheEnd();
    const stored = await testDb().doc(`products/${productKey}/issues/${issueId}`).get();
    expect([stored.get('count'), stored.get('assigneeUid')]).toEqual([2, users.owner.uid]);
    // The listing's row carries the assignee too.
    const listed = await callApi<{ issues: Array<{ id: string; assigneeUid: string | null }> }>(
      users.viewer.token,
      'GET',
      `${base}/issues?status=resolved`,
    );
    expect(listed.json.issues.find((i) => i.id === issueId)?.assigneeUid).toBe(users.owner.uid);
  });

  it('records a regression the rollup writes in the activity once, with its version, in the same commit', async () => {
    const fixture = 'node/checkout-1.3.0-shipping';
    const id = fixtureIssueId(fixture);
    const issueDoc = testDb().doc(`products/${productKey}/issues/${id}`);
    const regressions = async () => {
      const res = await callApi<{ activity: Array<Record<string, unknown>> }>(
        users.viewer.token,
        'GET',
        `${base}/issues/${id}/activity?limit=100`,
      );
      expect(res.status).toBe(200);
      return res.json.activity.filter((a) => a.kind === 'status' && a.status === 'regressed');
    };
    await send('/v1/crashes', fixtureCrash(fixture, { version: '1.3.0' }));
    await rollUpToTheEnd();
    const resolved = await callApi(users.member.token, 'PATCH', `${base}/issues/${id}`, {
      status: 'resolved',
      resolution: { kind: 'nextRelease' },
    });
    expect(resolved.json).toMatchObject({ status: 'resolved', resolvedAfterVersion: '1.3.0' });
    expect(await regressions()).toEqual([]);

    // A crash of a newer release reopens it; the rollup's commit records it, nobody acting yet.
    await send('/v1/crashes', fixtureCrash(fixture, { version: '1.4.0' }));
    await rollUpToTheEnd();
    const at = ((await issueDoc.get()).get('statusChangedAt') as Timestamp).toDate().toISOString();
    const entry = { kind: 'status', status: 'regressed', by: null, at, regressedInVersion: '1.4.0', resolution: null };
    expect(await regressions()).toEqual([expect.objectContaining(entry)]);
    // The entry is no issue: the list row stays the issue's.
    const listed = await callApi<{ issues: Array<{ id: string; count: number; title: string }> }>(
      users.viewer.token,
      'GET',
      `${base}/issues?status=regressed`,
    );
    expect(listed.json.issues.map((i) => [i.id, i.count, typeof i.title])).toEqual([[id, 2, 'string']]);
    // Another run, and another crash of the regressed issue, add nothing.
    await rollUpToTheEnd();
    await send('/v1/crashes', fixtureCrash(fixture, { version: '1.4.0' }));
    await rollUpToTheEnd();
    expect(await regressions()).toEqual([expect.objectContaining(entry)]);
    // Acting on it does not record the regression a second time.
    await callApi(users.member.token, 'PATCH', `${base}/issues/${id}`, { status: 'ignored' });
    expect(await regressions()).toEqual([expect.objectContaining(entry)]);

    // An issue the rollup reopened before it recorded regressions gets its entry when next acted on.
    const earlier = new Date('2026-11-02T10:00:00.000Z');
    await issueDoc.update({ status: 'regressed', statusChangedAt: earlier, regressedInVersion: '1.3.9' });
    await callApi(users.member.token, 'PATCH', `${base}/issues/${id}`, { status: 'unresolved' });
    const both = await regressions();
    expect(both).toHaveLength(2);
    expect(both[1]).toMatchObject({ at: earlier.toISOString(), by: null, regressedInVersion: '1.3.9' });
  });

  it('refuses an assignee without access to the product, naming assignee', async () => {
    const res = await callApi(users.owner.token, 'PATCH', `${base}/issues/${issueId}`, {
      assignee: users.stranger.uid,
    });
    expect([res.status, res.json.error?.code, res.json.error?.details?.issues?.[0]?.path]).toEqual([
      400,
      'invalid_body',
      'assignee',
    ]);
  });

  it('refuses a comment over 2,000 characters, naming text', async () => {
    const res = await callApi(users.member.token, 'POST', `${base}/issues/${issueId}/comments`, {
      text: 'x'.repeat(2001),
    });
    expect([res.status, res.json.error?.details?.issues?.[0]?.path]).toEqual([400, 'text']);
  });
});
