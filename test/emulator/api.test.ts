import { randomUUID } from 'node:crypto';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { newClientId, sampleCrash, sendSigned } from '../../scripts/lib/client';
import { signInWithGoogle, signUpWithPassword, unsignedJwt } from '../../scripts/lib/id-token';
import { callApi, sendApi, type Answer } from './api-client';
import { requireEnv, testDb } from './helpers';

const authHost = () => requireEnv('FIREBASE_AUTH_EMULATOR_HOST');

const call = callApi;

/** A fresh Google user of the Auth emulator, with a real ID token. */
async function googleUser(label: string) {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const signIn = await signInWithGoogle(authHost(), { email, name: `${label} tester` });
  return { uid: signIn.localId, email, token: signIn.idToken };
}

async function createProduct(token: string, name = 'My app') {
  const res = await call(token, 'POST', '/v1/products', { name });
  expect(res.status).toBe(201);
  return res.json as { productKey: string; secret: string; name: string };
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function adminAuth() {
  requireEnv('FIREBASE_AUTH_EMULATOR_HOST');
  const app = getApps()[0] ?? initializeApp({ projectId: requireEnv('GCLOUD_PROJECT') });
  return getAuth(app);
}

describe('api authentication', () => {
  const expectUnauthenticated = (res: Answer, reason: string) => {
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: 'unauthenticated', details: { reason } });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  };

  it('refuses a call without a token', async () => {
    expectUnauthenticated(await call(null, 'GET', '/v1/me'), 'missing_token');
  });

  it('refuses a header that is not a bearer token', async () => {
    const res = await sendApi(null, 'GET', '/v1/me', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } });
    expect(res.status).toBe(401);
  });

  it('refuses a token that is not a JWT', async () => {
    expectUnauthenticated(await call('not-a-jwt', 'GET', '/v1/me'), 'invalid_token');
  });

  it('refuses a forged token that claims an RS256 signature', async () => {
    const user = await googleUser('forger');
    const [, payload] = user.token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'made-up', typ: 'JWT' })).toString('base64url');
    const forged = `${header}.${payload}.${Buffer.from('not a real signature').toString('base64url')}`;
    expectUnauthenticated(await call(forged, 'GET', '/v1/me'), 'invalid_token');
  });

  it('refuses a token for another project', async () => {
    const user = await googleUser('wrong-aud');
    const claims = {
      ...decodePayload(user.token),
      aud: 'some-other-project',
      iss: 'https://securetoken.google.com/some-other-project',
    };
    expectUnauthenticated(await call(unsignedJwt(claims), 'GET', '/v1/me'), 'invalid_token');
  });

  it('refuses an expired token', async () => {
    const user = await googleUser('expired');
    const past = Math.floor(Date.now() / 1000) - 7200;
    const claims = { ...decodePayload(user.token), iat: past, auth_time: past, exp: past + 3600 };
    expectUnauthenticated(await call(unsignedJwt(claims), 'GET', '/v1/me'), 'invalid_token');
  });

  it('refuses a token whose user does not exist', async () => {
    const user = await googleUser('ghost');
    const claims = { ...decodePayload(user.token), sub: 'no-such-user', user_id: 'no-such-user' };
    expectUnauthenticated(await call(unsignedJwt(claims), 'GET', '/v1/me'), 'invalid_token');
  });

  it('refuses a revoked token and accepts one issued after the revocation', async () => {
    const user = await googleUser('revoked');
    expect((await call(user.token, 'GET', '/v1/me')).status).toBe(200);
    // Revocation has one-second resolution: revoke in a later second than the token's auth_time.
    const authTimeMs = Number(decodePayload(user.token).auth_time) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, authTimeMs + 1000 - Date.now()) + 50));
    await adminAuth().revokeRefreshTokens(user.uid);
    expectUnauthenticated(await call(user.token, 'GET', '/v1/me'), 'invalid_token');
  });

  it('refuses a disabled user', async () => {
    const user = await googleUser('disabled');
    await adminAuth().updateUser(user.uid, { disabled: true });
    expectUnauthenticated(await call(user.token, 'GET', '/v1/me'), 'invalid_token');
  });

  it('refuses a valid token from email and password sign-in', async () => {
    const signUp = await signUpWithPassword(authHost(), {
      email: `pw-${randomUUID().slice(0, 8)}@example.com`,
      password: 'correct horse battery',
    });
    expectUnauthenticated(await call(signUp.idToken, 'GET', '/v1/me'), 'provider_not_allowed');
    expect((await testDb().collection('users').doc(signUp.localId).get()).exists).toBe(false);
  });
});

describe('api users', () => {
  it('creates users/{uid} on the first call and answers /v1/me from it', async () => {
    const user = await googleUser('newcomer');
    const me = await call(user.token, 'GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({
      uid: user.uid,
      email: user.email,
      displayName: 'newcomer tester',
      signInProvider: 'google.com',
    });
    const doc = await testDb().collection('users').doc(user.uid).get();
    expect(doc.get('email')).toBe(user.email);
    expect(doc.get('displayName')).toBe('newcomer tester');
    expect(doc.get('createdAt').toDate().toISOString()).toBe(me.json.createdAt);
    expect(doc.get('lastSeenAt').toDate().toISOString()).toBe(me.json.lastSeenAt);
  });

  it('says in Server-Timing how long the token check and the route took, and nothing else', async () => {
    const user = await googleUser('timed');
    const me = await call(user.token, 'GET', '/v1/me');
    expect(me.status).toBe(200);
    const timing = me.headers.get('server-timing') ?? '';
    expect(timing).toMatch(/^auth;dur=\d+\.\d, route;dur=\d+\.\d$/);
    // An answer refused before the caller is known carries none.
    expect((await call(null, 'GET', '/v1/me')).headers.get('server-timing')).toBeNull();
  });

  it('does not write users/{uid} again on every call', async () => {
    const user = await googleUser('frequent');
    await call(user.token, 'GET', '/v1/me');
    const first = (await testDb().collection('users').doc(user.uid).get()).updateTime;
    for (let i = 0; i < 3; i++) expect((await call(user.token, 'GET', '/v1/products')).status).toBe(200);
    const later = (await testDb().collection('users').doc(user.uid).get()).updateTime;
    expect(later?.isEqual(first!)).toBe(true);
  });

  it('maps one Google account to one user across sign-ins', async () => {
    const email = `same-${randomUUID().slice(0, 8)}@example.com`;
    const a = await signInWithGoogle(authHost(), { email, googleSub: `sub-${email}` });
    const b = await signInWithGoogle(authHost(), { email, googleSub: `sub-${email}` });
    expect(b.localId).toBe(a.localId);
    expect((await call(a.idToken, 'GET', '/v1/me')).json.uid).toBe(a.localId);
    expect((await call(b.idToken, 'GET', '/v1/me')).json.uid).toBe(a.localId);
    const snap = await testDb().collection('users').where('email', '==', email).get();
    expect(snap.size).toBe(1);
  });
});

describe('api products', () => {
  it('creates a product whose key and secret work at the ingest, and shows the secret only once', async () => {
    const alice = await googleUser('alice');
    const created = await call(alice.token, 'POST', '/v1/products', { name: '  Checkout  ' });
    expect(created.status).toBe(201);
    const { productKey, secret } = created.json as { productKey: string; secret: string };
    expect(productKey).toMatch(/^pk_[A-Za-z0-9_-]{22}$/);
    expect(secret).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(created.json).toMatchObject({
      name: 'Checkout',
      ownerUid: alice.uid,
      memberUids: [alice.uid],
      role: 'owner',
      settings: { retentionDays: 90, rateLimitPerMinute: null },
    });

    const product = await testDb().collection('products').doc(productKey).get();
    expect(product.get('ownerUid')).toBe(alice.uid);
    expect(product.get('memberUids')).toEqual([alice.uid]);
    const secrets = await testDb().collection('productSecrets').doc(productKey).get();
    expect(secrets.get('secrets').map((s: { secret: string }) => s.secret)).toEqual([secret]);

    const sent = await sendSigned({
      baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
      productKey,
      secret,
      clientId: newClientId(),
      counter: 1,
      body: sampleCrash(),
    });
    expect(sent.status).toBe(202);

    const got = await call(alice.token, 'GET', `/v1/products/${productKey}`);
    const listed = await call(alice.token, 'GET', '/v1/products');
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({
      productKey,
      name: 'Checkout',
      role: 'owner',
      members: [{ uid: alice.uid, email: alice.email, role: 'owner' }],
    });
    expect((listed.json.products as Array<{ productKey: string }>).map((p) => p.productKey)).toEqual([productKey]);
    for (const answer of [got, listed]) expect(answer.text).not.toContain(secret);
  });

  it("lists a user's products newest first", async () => {
    const user = await googleUser('lister');
    const first = await createProduct(user.token, 'first');
    const second = await createProduct(user.token, 'second');
    const listed = await call(user.token, 'GET', '/v1/products');
    expect((listed.json.products as Array<{ productKey: string }>).map((p) => p.productKey)).toEqual([
      second.productKey,
      first.productKey,
    ]);
  });

  it('refuses invalid bodies with 400 and names each field', async () => {
    const user = await googleUser('validator');
    const empty = await call(user.token, 'POST', '/v1/products', { name: '   ' });
    const extra = await call(user.token, 'POST', '/v1/products', { name: 'ok', ownerUid: 'someone-else' });
    const notJson = await sendApi(user.token, 'POST', '/v1/products', {
      body: 'name=x',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(empty.status).toBe(400);
    expect(empty.json.error).toMatchObject({ code: 'invalid_body', details: { issues: [{ path: 'name' }] } });
    expect(extra.status).toBe(400);
    expect(extra.json.error?.details?.issues).toEqual([
      expect.objectContaining({ message: expect.stringContaining('ownerUid') }),
    ]);
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toMatchObject({
      code: 'invalid_body',
      details: { header: 'content-type' },
    });
  });

  it('renames and changes settings, mirrored into productSecrets where the ingest applies them', async () => {
    const user = await googleUser('patcher');
    const { productKey, secret } = await createProduct(user.token);
    const res = await call(user.token, 'PATCH', `/v1/products/${productKey}`, {
      name: 'Renamed',
      settings: { retentionDays: 30, rateLimitPerMinute: 1 },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ name: 'Renamed', settings: { retentionDays: 30, rateLimitPerMinute: 1 } });
    const secrets = await testDb().collection('productSecrets').doc(productKey).get();
    expect([secrets.get('retentionDays'), secrets.get('rateLimitPerMinute')]).toEqual([30, 1]);

    const partial = await call(user.token, 'PATCH', `/v1/products/${productKey}`, { settings: { retentionDays: 7 } });
    expect(partial.json).toMatchObject({ name: 'Renamed', settings: { retentionDays: 7, rateLimitPerMinute: 1 } });

    const base = { baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'), productKey, secret, clientId: newClientId() };
    const first = await sendSigned({ ...base, counter: 1, body: sampleCrash() });
    const second = await sendSigned({ ...base, counter: 2, body: sampleCrash() });
    expect([first.status, second.status]).toEqual([202, 429]);
    const stored = await testDb()
      .collection('products')
      .doc(productKey)
      .collection('crashes')
      .doc(first.json.id as string)
      .get();
    // receivedAt is Firestore's time of the write; the retention counts from the ingest's clock.
    const retainedMs = stored.get('expireAt').toDate().getTime() - stored.get('receivedAt').toDate().getTime();
    expect(Math.abs(retainedMs - 7 * 86_400_000)).toBeLessThan(5_000);
  });

  it('refuses invalid settings with field-level details', async () => {
    const user = await googleUser('bad-settings');
    const { productKey } = await createProduct(user.token);
    const res = await call(user.token, 'PATCH', `/v1/products/${productKey}`, {
      settings: { retentionDays: 0, rateLimitPerMinute: 'fast' },
    });
    expect(res.status).toBe(400);
    expect((res.json.error?.details?.issues as Array<{ path: string }>).map((i) => i.path).sort()).toEqual([
      'settings.rateLimitPerMinute',
      'settings.retentionDays',
    ]);
    const nothing = await call(user.token, 'PATCH', `/v1/products/${productKey}`, {});
    expect(nothing.status).toBe(400);
  });

  it('answers 404 for unknown routes and 405 with Allow for other methods', async () => {
    const user = await googleUser('router');
    const unknown = await call(user.token, 'GET', '/v1/nothing');
    const method = await call(user.token, 'PUT', '/v1/products');
    expect(unknown.status).toBe(404);
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, POST');
  });
});

describe('api isolation between users', () => {
  it('gives another user 404 for every route on a product that is not theirs, and changes nothing', async () => {
    const alice = await googleUser('alice');
    const mallory = await googleUser('mallory');
    const { productKey } = await createProduct(alice.token, 'private');
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/v1/products/${productKey}`],
      ['PATCH', `/v1/products/${productKey}`, { name: 'mine now' }],
      ['DELETE', `/v1/products/${productKey}`],
      ['POST', `/v1/products/${productKey}/rotate`, {}],
      ['POST', `/v1/products/${productKey}/invitations`, { email: mallory.email }],
      ['GET', `/v1/products/${productKey}/invitations`],
      ['DELETE', `/v1/products/${productKey}/members/${alice.uid}`],
      ['DELETE', `/v1/products/${productKey}/members/${mallory.uid}`],
    ];
    const unknownKey = await call(mallory.token, 'GET', '/v1/products/pk_does_not_exist_0');
    for (const [method, path, body] of attempts) {
      const res = await call(mallory.token, method, path, body);
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(res.json).toEqual(unknownKey.json);
    }
    expect((await call(mallory.token, 'GET', '/v1/products')).json.products).toEqual([]);
    const doc = await testDb().collection('products').doc(productKey).get();
    expect([doc.get('name'), doc.get('memberUids')]).toEqual(['private', [alice.uid]]);
  });
});

/** Makes `viewer` a member the only way there is: the owner invites, the viewer accepts. */
async function join(owner: { token: string }, productKey: string, viewer: { token: string; email: string }) {
  const invited = await call(owner.token, 'POST', `/v1/products/${productKey}/invitations`, { email: viewer.email });
  expect(invited.status).toBe(201);
  const accepted = await call(viewer.token, 'POST', `/v1/invitations/${invited.json.id as string}/accept`);
  expect(accepted.status).toBe(200);
  return accepted;
}

describe('api members', () => {
  it('lets an invited viewer accept, then read but not change the product', async () => {
    const owner = await googleUser('owner');
    const viewer = await googleUser('viewer');
    const { productKey } = await createProduct(owner.token, 'shared');
    const accepted = await join(owner, productKey, viewer);
    const got = await call(viewer.token, 'GET', `/v1/products/${productKey}`);
    expect(accepted.json).toEqual(got.json);
    expect(got.json).toMatchObject({ productKey, role: 'viewer', memberUids: [owner.uid, viewer.uid] });
    expect(got.json.members).toEqual([
      { uid: owner.uid, email: owner.email, displayName: 'owner tester', role: 'owner' },
      { uid: viewer.uid, email: viewer.email, displayName: 'viewer tester', role: 'viewer' },
    ]);
    const listed = await call(viewer.token, 'GET', '/v1/products');
    expect(listed.json.products).toEqual([expect.objectContaining({ productKey, role: 'viewer' })]);

    const forbidden: Array<[string, string, unknown?]> = [
      ['PATCH', `/v1/products/${productKey}`, { name: 'viewer was here' }],
      ['POST', `/v1/products/${productKey}/rotate`, { overlapSeconds: 0 }],
      ['DELETE', `/v1/products/${productKey}`],
      ['POST', `/v1/products/${productKey}/invitations`, { email: 'friend@example.com' }],
      ['GET', `/v1/products/${productKey}/invitations`],
      ['DELETE', `/v1/products/${productKey}/members/${owner.uid}`],
    ];
    for (const [method, path, body] of forbidden) {
      const res = await call(viewer.token, method, path, body);
      expect([method, path, res.status, res.json.error?.code]).toEqual([method, path, 403, 'permission_denied']);
    }
    expect((await testDb().collection('products').doc(productKey).get()).get('name')).toBe('shared');
    expect((await testDb().collection('productSecrets').doc(productKey).get()).get('secrets')).toHaveLength(1);
    expect((await testDb().collection('invitations').where('productKey', '==', productKey).get()).size).toBe(0);
  });

  it('has no route that adds a member directly', async () => {
    const owner = await googleUser('owner');
    const viewer = await googleUser('viewer');
    await call(viewer.token, 'GET', '/v1/me');
    const { productKey } = await createProduct(owner.token);
    const direct = await call(owner.token, 'POST', `/v1/products/${productKey}/members`, { email: viewer.email });
    expect([direct.status, direct.json.error?.code]).toEqual([404, 'not_found']);
    expect((await testDb().collection('products').doc(productKey).get()).get('memberUids')).toEqual([owner.uid]);
  });

  it('removes a viewer, who then gets 404, and refuses removing the owner', async () => {
    const owner = await googleUser('owner');
    const viewer = await googleUser('viewer');
    const { productKey } = await createProduct(owner.token);
    await join(owner, productKey, viewer);
    const removeOwner = await call(owner.token, 'DELETE', `/v1/products/${productKey}/members/${owner.uid}`);
    expect(removeOwner.status).toBe(400);
    const removed = await call(owner.token, 'DELETE', `/v1/products/${productKey}/members/${viewer.uid}`);
    expect(removed.status).toBe(200);
    expect(removed.json.memberUids).toEqual([owner.uid]);
    expect((await call(viewer.token, 'GET', `/v1/products/${productKey}`)).status).toBe(404);
    expect((await call(owner.token, 'DELETE', `/v1/products/${productKey}/members/${viewer.uid}`)).status).toBe(404);
  });
});
