import { FieldValue } from 'firebase-admin/firestore';
import { newClientId, sampleCrash, sendSigned } from '../../scripts/lib/client';
import { callApi, googleUser } from './api-client';
import { requireEnv, rollUpToTheEnd, testDb } from './helpers';

/**
 * The emulator the suites (and `npm start`, through the same scripts/lib/stack.ts) run has
 * `firestore.rules` loaded: a client without admin credentials meets the deployed rules, and
 * what the rules let a client read directly agrees with what the api answers.
 */

/** A Firestore REST call as a client SDK makes it: with the user's ID token, or none. */
async function firestoreGet(path: string, idToken: string | null): Promise<number> {
  const host = requireEnv('FIRESTORE_EMULATOR_HOST');
  const project = requireEnv('GCLOUD_PROJECT');
  const res = await fetch(`http://${host}/v1/projects/${project}/databases/(default)/documents/${path}`, {
    headers: idToken === null ? {} : { Authorization: `Bearer ${idToken}` },
  });
  await res.text();
  return res.status;
}

async function firestoreWrite(path: string): Promise<number> {
  const host = requireEnv('FIRESTORE_EMULATOR_HOST');
  const project = requireEnv('GCLOUD_PROJECT');
  const res = await fetch(`http://${host}/v1/projects/${project}/databases/(default)/documents/${path}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ fields: { secrets: { arrayValue: { values: [] } } } }),
  });
  await res.text();
  return res.status;
}

async function api(token: string, path: string): Promise<number> {
  return (await callApi(token, 'GET', path)).status;
}

async function rollUp(): Promise<void> {
  await rollUpToTheEnd();
}

describe('firestore.rules on the local stack', () => {
  let productKey: string;

  beforeAll(async () => {
    const owner = await googleUser('rules-owner');
    const res = await fetch(requireEnv('DUMPCATCHER_API_URL') + '/v1/products', {
      method: 'POST',
      headers: { Authorization: `Bearer ${owner.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'rules loaded' }),
    });
    expect(res.status).toBe(201);
    productKey = ((await res.json()) as { productKey: string }).productKey;
  });

  it('refuses an unauthenticated read of productSecrets/{key} (the document exists)', async () => {
    expect((await testDb().collection('productSecrets').doc(productKey).get()).exists).toBe(true);
    expect(await firestoreGet(`productSecrets/${productKey}`, null)).toBe(403);
  });

  it('refuses an unauthenticated read of the product and an unauthenticated write of its secrets', async () => {
    expect(await firestoreGet(`products/${productKey}`, null)).toBe(403);
    expect(await firestoreWrite(`productSecrets/${productKey}`)).toBe(403);
    expect((await testDb().collection('productSecrets').doc(productKey).get()).get('secrets')).toHaveLength(1);
  });

  it('refuses even the owner reading the secrets with their own ID token', async () => {
    const owner = await googleUser('rules-owner2');
    const res = await fetch(requireEnv('DUMPCATCHER_API_URL') + '/v1/products', {
      method: 'POST',
      headers: { Authorization: `Bearer ${owner.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'own secrets' }),
    });
    const key = ((await res.json()) as { productKey: string }).productKey;
    expect(await firestoreGet(`products/${key}`, owner.token)).toBe(200);
    expect(await firestoreGet(`productSecrets/${key}`, owner.token)).toBe(403);
  });
});

describe('rules and the api agree', () => {
  const today = new Date().toISOString().slice(0, 10);
  let productKey: string;
  let issueId: string;
  const parties: Record<'owner' | 'viewer' | 'stranger', { uid: string; token: string }> = {} as never;

  beforeAll(async () => {
    const [owner, viewer, stranger] = await Promise.all([
      googleUser('agree-owner'),
      googleUser('agree-viewer'),
      googleUser('agree-stranger'),
    ]);
    Object.assign(parties, { owner, viewer, stranger });
    const res = await fetch(requireEnv('DUMPCATCHER_API_URL') + '/v1/products', {
      method: 'POST',
      headers: { Authorization: `Bearer ${owner.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'agreement' }),
    });
    const created = (await res.json()) as { productKey: string; secret: string };
    productKey = created.productKey;
    // Membership is what both sides check, however it came about (the api's invitations are tested elsewhere).
    await testDb()
      .collection('products')
      .doc(productKey)
      .update({ memberUids: FieldValue.arrayUnion(viewer.uid) });
    const sent = await sendSigned({
      baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
      productKey,
      secret: created.secret,
      clientId: newClientId(),
      counter: 1,
      body: sampleCrash(),
    });
    expect(sent.status).toBe(202);
    await rollUp();
    const issues = await testDb().collection('products').doc(productKey).collection('issues').get();
    expect(issues.size).toBe(1);
    issueId = issues.docs[0]!.id;
  });

  const reads = () => [
    {
      what: 'issues',
      api: `/v1/products/${productKey}/issues`,
      rules: `products/${productKey}/issues`,
    },
    {
      what: 'one issue with its recent crashes',
      api: `/v1/products/${productKey}/issues/${issueId}`,
      rules: `products/${productKey}/crashes`,
    },
    {
      what: 'stats',
      api: `/v1/products/${productKey}/stats?by=type&from=${today}&to=${today}`,
      rules: `products/${productKey}/stats`,
    },
    { what: 'the product', api: `/v1/products/${productKey}`, rules: `products/${productKey}` },
  ];

  it.each([
    ['owner', true],
    ['viewer', true],
    ['stranger', false],
  ] as const)('the %s: the api and a direct client read both allow (%s) or both refuse', async (who, allowed) => {
    const token = parties[who].token;
    for (const read of reads()) {
      const viaApi = await api(token, read.api);
      const direct = await firestoreGet(read.rules, token);
      expect([read.what, viaApi === 200, direct === 200]).toEqual([read.what, allowed, allowed]);
      // Refusals are refusals, not errors: the api hides the product (404), the rules deny (403).
      if (!allowed) expect([read.what, viaApi, direct]).toEqual([read.what, 404, 403]);
    }
  });

  it('a removed viewer loses both at once', async () => {
    const gone = await googleUser('agree-removed');
    await testDb()
      .collection('products')
      .doc(productKey)
      .update({ memberUids: FieldValue.arrayUnion(gone.uid) });
    expect(await api(gone.token, `/v1/products/${productKey}/issues`)).toBe(200);
    expect(await firestoreGet(`products/${productKey}/crashes`, gone.token)).toBe(200);
    await testDb()
      .collection('products')
      .doc(productKey)
      .update({ memberUids: FieldValue.arrayRemove(gone.uid) });
    expect(await api(gone.token, `/v1/products/${productKey}/issues`)).toBe(404);
    expect(await firestoreGet(`products/${productKey}/crashes`, gone.token)).toBe(403);
  });
});
