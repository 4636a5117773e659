/**
 * The attacks of issue 16 against the real api on the emulators, each as an attacker would try
 * it: real Google sign-ins through the Auth emulator for every party, real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { Timestamp } from 'firebase-admin/firestore';
import { signInWithGoogle, unsignedJwt, type SignInResult } from '../../scripts/lib/id-token';
import { requireEnv, testDb } from './helpers';
import { callApi as call, type Answer } from './api-client';

const authHost = () => requireEnv('FIREBASE_AUTH_EMULATOR_HOST');

const unique = (label: string, domain = 'example.com') => `${label}-${randomUUID().slice(0, 8)}@${domain}`;

/** A Google user of the Auth emulator whose address Google verified. */
async function googleUser(label: string, domain?: string) {
  const email = unique(label, domain);
  const signIn = await signInWithGoogle(authHost(), { email, name: label });
  return { uid: signIn.localId, email, token: signIn.idToken, refreshToken: signIn.refreshToken };
}

/** The Auth emulator's identity toolkit, as a client app calls it. */
async function identityToolkit(method: string, body: object): Promise<SignInResult & { idToken: string }> {
  const res = await fetch(
    `http://${authHost()}/identitytoolkit.googleapis.com/v1/accounts:${method}?key=fake-api-key`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    },
  );
  const json = (await res.json()) as SignInResult & { idToken: string };
  expect([method, res.status]).toEqual([method, 200]);
  return json;
}

/** Google sign-in whose id_token claims an address Google did not verify. */
async function unverifiedGoogleUser(email: string, sub: string) {
  const claims = { sub, email, email_verified: false, name: 'Mallory' };
  const postBody = new URLSearchParams({ id_token: unsignedJwt(claims), providerId: 'google.com' }).toString();
  const signIn = await identityToolkit('signInWithIdp', {
    postBody,
    requestUri: 'http://localhost',
    returnIdpCredential: true,
    returnSecureToken: true,
  });
  return { uid: signIn.localId, token: signIn.idToken };
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function newProduct(token: string, name = 'Shop') {
  const res = await call(token, 'POST', '/v1/products', { name });
  expect(res.status).toBe(201);
  return res.json as { productKey: string; secret: string };
}

async function invite(token: string, productKey: string, email: string) {
  return call(token, 'POST', `/v1/products/${productKey}/invitations`, { email });
}

const memberUidsOf = async (productKey: string) =>
  (await testDb().collection('products').doc(productKey).get()).get('memberUids') as string[];

/** Reads a product's crashes straight from the Firestore emulator as a client with `token` would. */
async function readCrashesDirectly(productKey: string, token: string): Promise<number> {
  const url = `http://${requireEnv('FIRESTORE_EMULATOR_HOST')}/v1/projects/${requireEnv('GCLOUD_PROJECT')}/databases/(default)/documents/products/${productKey}/crashes`;
  return (await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status;
}

function expectNotAllowed(res: Answer, reason: string) {
  expect([res.status, res.json.error?.code, res.json.error?.details]).toEqual([403, 'not_allowed', { reason }]);
}

describe('an address nobody verified', () => {
  it('gets no access through an invitation to that address, and is never stored', async () => {
    const owner = await googleUser('owner');
    const victimEmail = unique('victim');
    const attacker = await unverifiedGoogleUser(victimEmail, `attacker-${randomUUID()}`);
    expect(claimsOf(attacker.token)).toMatchObject({ email: victimEmail, email_verified: false });

    // Before: GET /v1/me stored the address on the attacker's user.
    expectNotAllowed(await call(attacker.token, 'GET', '/v1/me'), 'no_verified_email');
    expect((await testDb().collection('users').doc(attacker.uid).get()).exists).toBe(false);

    const { productKey } = await newProduct(owner.token);
    const invited = await invite(owner.token, productKey, victimEmail);
    expect(invited.status).toBe(201);
    const id = invited.json.id as string;
    expectNotAllowed(await call(attacker.token, 'GET', '/v1/invitations'), 'no_verified_email');
    expectNotAllowed(await call(attacker.token, 'POST', `/v1/invitations/${id}/accept`), 'no_verified_email');
    expect(await memberUidsOf(productKey)).toEqual([owner.uid]);
    expect(await readCrashesDirectly(productKey, attacker.token)).toBe(403);
  });

  it('gained through a password account linked to a Google account counts for nothing', async () => {
    const owner = await googleUser('owner');
    const attacker = await googleUser('linker');
    expect((await call(attacker.token, 'GET', '/v1/me')).json.email).toBe(attacker.email);
    const victimEmail = unique('victim');
    // Linking a password account makes the victim's (unverified) address the account's address.
    const linked = await identityToolkit('update', {
      idToken: attacker.token,
      email: victimEmail,
      password: 'correct horse battery',
      returnSecureToken: true,
    });
    const viaPassword = await identityToolkit('signInWithPassword', {
      email: victimEmail,
      password: 'correct horse battery',
      returnSecureToken: true,
    });
    const viaGoogle = await signInWithGoogle(authHost(), { email: attacker.email, name: 'linker' });
    for (const t of [linked.idToken, viaPassword.idToken, viaGoogle.idToken])
      expect(claimsOf(t)).toMatchObject({ user_id: attacker.uid, email: victimEmail, email_verified: false });

    const { productKey } = await newProduct(owner.token);
    const id = (await invite(owner.token, productKey, victimEmail)).json.id as string;
    // The tokens the link and a password sign-in answer carry the password provider: refused outright.
    // (The link changes the account's password, which revokes sessions from before it to the second:
    // on a slow machine the link's own token can land in the revoked second, and is refused as revoked.)
    for (const [token, reasons] of [
      [linked.idToken, ['provider_not_allowed', 'invalid_token']],
      [viaPassword.idToken, ['provider_not_allowed']],
    ] as const) {
      const res = await call(token, 'GET', '/v1/invitations');
      expect(res.status).toBe(401);
      expect(reasons).toContain(res.json.error?.details?.reason);
    }
    // Google sign-in now carries the linked address, unverified: it counts for nothing.
    expectNotAllowed(await call(viaGoogle.idToken, 'GET', '/v1/invitations'), 'no_verified_email');
    expectNotAllowed(await call(viaGoogle.idToken, 'POST', `/v1/invitations/${id}/accept`), 'no_verified_email');
    expect(await memberUidsOf(productKey)).toEqual([owner.uid]);
    // The stored address is still the one Google verified, never the linked one.
    expect((await testDb().collection('users').doc(attacker.uid).get()).get('email')).toBe(attacker.email);
  });
});

describe('invitations', () => {
  it('answer the same whether or not the address has an account (no enumeration)', async () => {
    const owner = await googleUser('owner');
    const known = await googleUser('known');
    await call(known.token, 'GET', '/v1/me');
    const { productKey } = await newProduct(owner.token);
    const toKnown = await invite(owner.token, productKey, known.email);
    const toNobody = await invite(owner.token, productKey, unique('nobody'));
    expect([toKnown.status, toNobody.status]).toEqual([201, 201]);
    const shape = (a: Answer) => ({ ...a.json, id: 'x', email: 'x', createdAt: 'x', expiresAt: 'x' });
    expect(shape(toKnown)).toEqual(shape(toNobody));
    expect(JSON.stringify(toKnown.json)).not.toContain(known.uid);
  });

  it('make nobody a member without consent; the invitee sees, declines or accepts', async () => {
    const owner = await googleUser('owner');
    const bob = await googleUser('bob');
    const carol = await googleUser('carol');
    const { productKey } = await newProduct(owner.token, 'Checkout');
    const toBob = await invite(owner.token, productKey, `  ${bob.email.toUpperCase()} `);
    expect(toBob.json).toMatchObject({ email: bob.email, role: 'viewer', productKey });
    const toCarol = await invite(owner.token, productKey, carol.email);
    expect(await memberUidsOf(productKey)).toEqual([owner.uid]);
    expect((await call(bob.token, 'GET', `/v1/products/${productKey}`)).status).toBe(404);

    const bobs = await call(bob.token, 'GET', '/v1/invitations');
    expect(bobs.json).toEqual({
      invitations: [
        {
          id: toBob.json.id,
          productKey,
          productName: 'Checkout',
          email: bob.email,
          role: 'viewer',
          invitedBy: { displayName: 'owner' },
          createdAt: toBob.json.createdAt,
          expiresAt: toBob.json.expiresAt,
        },
      ],
    });
    // Carol cannot use Bob's invitation: the same 404 as an id that never existed.
    const unknown = await call(carol.token, 'POST', '/v1/invitations/inv_0000000000000000000000/accept');
    const stolen = await call(carol.token, 'POST', `/v1/invitations/${toBob.json.id as string}/accept`);
    expect([stolen.status, stolen.json]).toEqual([404, unknown.json]);

    const declined = await call(carol.token, 'POST', `/v1/invitations/${toCarol.json.id as string}/decline`);
    expect(declined.json).toEqual({ id: toCarol.json.id, declined: true });
    const accepted = await call(bob.token, 'POST', `/v1/invitations/${toBob.json.id as string}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.json).toMatchObject({ productKey, role: 'viewer' });
    expect(await memberUidsOf(productKey)).toEqual([owner.uid, bob.uid]);
    expect((await call(owner.token, 'GET', `/v1/products/${productKey}/invitations`)).json).toEqual({
      invitations: [],
    });
    expect((await call(bob.token, 'POST', `/v1/invitations/${toBob.json.id as string}/accept`)).status).toBe(404);
  });

  it('are answered again rather than duplicated, can be revoked, and expire', async () => {
    const owner = await googleUser('owner');
    const bob = await googleUser('bob');
    const { productKey } = await newProduct(owner.token);
    const first = await invite(owner.token, productKey, bob.email);
    const again = await invite(owner.token, productKey, bob.email);
    expect([first.status, again.status, again.json]).toEqual([201, 200, first.json]);
    const listed = await call(owner.token, 'GET', `/v1/products/${productKey}/invitations`);
    expect(listed.json).toEqual({ invitations: [first.json] });

    const id = first.json.id as string;
    expect((await call(owner.token, 'DELETE', `/v1/products/${productKey}/invitations/${id}`)).json).toEqual({
      id,
      revoked: true,
    });
    expect((await call(bob.token, 'POST', `/v1/invitations/${id}/accept`)).status).toBe(404);

    const later = await invite(owner.token, productKey, bob.email);
    await testDb()
      .collection('invitations')
      .doc(later.json.id as string)
      .update({ expiresAt: Timestamp.fromMillis(Date.now() - 1000) });
    expect((await call(bob.token, 'GET', '/v1/invitations')).json).toEqual({ invitations: [] });
    expect((await call(bob.token, 'POST', `/v1/invitations/${later.json.id as string}/accept`)).status).toBe(404);
    expect(await memberUidsOf(productKey)).toEqual([owner.uid]);
  });

  it('are deleted with their product', async () => {
    const owner = await googleUser('owner');
    const { productKey } = await newProduct(owner.token);
    expect((await invite(owner.token, productKey, unique('bob'))).status).toBe(201);
    const pending = () => testDb().collection('invitations').where('productKey', '==', productKey).get();
    expect((await pending()).size).toBe(1);
    expect((await call(owner.token, 'DELETE', `/v1/products/${productKey}`)).status).toBe(200);
    expect((await pending()).size).toBe(0);
  }, 90_000);
});

describe('members', () => {
  it('can leave; a viewer cannot remove anyone else', async () => {
    const owner = await googleUser('owner');
    const bob = await googleUser('bob');
    const carol = await googleUser('carol');
    const { productKey } = await newProduct(owner.token);
    for (const who of [bob, carol]) {
      const id = (await invite(owner.token, productKey, who.email)).json.id as string;
      expect((await call(who.token, 'POST', `/v1/invitations/${id}/accept`)).status).toBe(200);
    }
    const kick = await call(bob.token, 'DELETE', `/v1/products/${productKey}/members/${carol.uid}`);
    expect([kick.status, kick.json.error?.code]).toEqual([403, 'permission_denied']);
    const left = await call(bob.token, 'DELETE', `/v1/products/${productKey}/members/${bob.uid}`);
    expect([left.status, left.json]).toEqual([200, { productKey, uid: bob.uid, left: true }]);
    expect(await memberUidsOf(productKey)).toEqual([owner.uid, carol.uid]);
    expect((await call(bob.token, 'GET', `/v1/products/${productKey}`)).status).toBe(404);
    expect(await readCrashesDirectly(productKey, bob.token)).toBe(403);
  });
});

describe('the allow-list', () => {
  it.each([
    ['another domain', 'example.net'],
    ['a subdomain of an allowed domain', 'sub.example.com'],
  ])('refuses a verified Google user from %s on every route, storing nothing', async (_name, domain) => {
    const outsider = await googleUser('outsider', domain);
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', '/v1/me'],
      ['GET', '/v1/products'],
      ['POST', '/v1/products', { name: 'mine' }],
      ['GET', '/v1/invitations'],
      ['GET', '/v1/no-such-route'],
    ];
    for (const [method, path, body] of attempts) {
      const res = await call(outsider.token, method, path, body);
      expect([method, path, res.status, res.json.error?.code]).toEqual([method, path, 403, 'not_allowed']);
    }
    expect((await testDb().collection('users').doc(outsider.uid).get()).exists).toBe(false);
    expect((await testDb().collection('products').where('ownerUid', '==', outsider.uid).get()).size).toBe(0);
  });
});

describe('limits', () => {
  it('refuses a product beyond the per-user cap with 409 product_limit', async () => {
    const user = await googleUser('hoarder');
    for (let i = 0; i < 20; i++) await newProduct(user.token, `p${i}`);
    const more = await call(user.token, 'POST', '/v1/products', { name: 'one too many' });
    expect([more.status, more.json.error?.code, more.json.error?.details]).toEqual([
      409,
      'product_limit',
      { maxProductsPerUser: 20 },
    ]);
    expect((await testDb().collection('products').where('ownerUid', '==', user.uid).get()).size).toBe(20);
  });

  it("refuses a rate limit above the ingest's own cap, naming the field and the cap", async () => {
    const user = await googleUser('greedy');
    const { productKey } = await newProduct(user.token);
    const res = await call(user.token, 'PATCH', `/v1/products/${productKey}`, {
      settings: { rateLimitPerMinute: 1_000_000 },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: 'invalid_body',
      details: {
        issues: [{ path: 'settings.rateLimitPerMinute', message: expect.stringContaining('60000') }],
        maxRateLimitPerMinute: 60000,
      },
    });
    expect((await testDb().collection('productSecrets').doc(productKey).get()).get('rateLimitPerMinute')).toBeNull();
    const atCap = await call(user.token, 'PATCH', `/v1/products/${productKey}`, {
      settings: { rateLimitPerMinute: 60000 },
    });
    expect(atCap.status).toBe(200);
  });
});
