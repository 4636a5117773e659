import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newClientId, sampleCrash, sendSigned } from '../../scripts/lib/client';
import { signInWithGoogle } from '../../scripts/lib/id-token';
import { countDocs, requireEnv, testDb } from './helpers';
import { callApi as call } from './api-client';

/** The test stack caches product secrets for 1 s; this waits the bound out (no other sleeps). */
const CACHE_BOUND_MS = 1200;
const waitForIngestCache = () => new Promise((r) => setTimeout(r, CACHE_BOUND_MS));

async function ownerWithProduct() {
  const signIn = await signInWithGoogle(requireEnv('FIREBASE_AUTH_EMULATOR_HOST'), {
    email: `keys-${randomUUID().slice(0, 8)}@example.com`,
  });
  const created = await call(signIn.idToken, 'POST', '/v1/products', { name: 'keys' });
  expect(created.status).toBe(201);
  const { productKey, secret } = created.json as { productKey: string; secret: string };
  const clientId = newClientId();
  let counter = 0;
  /** Sends one crash signed with `withSecret` and answers the ingest's status. */
  const send = async (withSecret: string) =>
    (
      await sendSigned({
        baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
        productKey,
        secret: withSecret,
        clientId,
        counter: ++counter,
        body: sampleCrash(),
      })
    ).status;
  return { token: signIn.idToken, productKey, secret, send };
}

async function storedSecrets(productKey: string) {
  const snap = await testDb().collection('productSecrets').doc(productKey).get();
  return (snap.get('secrets') as Array<{ secret: string; expiresAt: { toDate(): Date } | null }>).map((s) => ({
    secret: s.secret,
    expiresAt: s.expiresAt?.toDate() ?? null,
  }));
}

describe('api secret rotation, seen by the ingest', () => {
  it('keeps the previous secret for 24 hours by default and lets both sign', async () => {
    const p = await ownerWithProduct();
    expect(await p.send(p.secret)).toBe(202);
    const before = Date.now();
    const rotated = await call(p.token, 'POST', `/v1/products/${p.productKey}/rotate`);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.json.secret as string;
    expect(newSecret).toMatch(/^sk_/);
    expect(newSecret).not.toBe(p.secret);
    expect(rotated.json.overlapSeconds).toBe(86_400);
    const expiresMs = Date.parse(rotated.json.previousExpiresAt as string);
    expect(expiresMs).toBeGreaterThanOrEqual(before + 86_400_000 - 1000);
    expect(expiresMs).toBeLessThanOrEqual(Date.now() + 86_400_000 + 1000);
    expect(await storedSecrets(p.productKey)).toEqual([
      { secret: newSecret, expiresAt: null },
      { secret: p.secret, expiresAt: new Date(expiresMs) },
    ]);
    await waitForIngestCache();
    expect(await p.send(newSecret)).toBe(202);
    expect(await p.send(p.secret)).toBe(202);
  });

  it('stops the previous secret at once with overlapSeconds 0', async () => {
    const p = await ownerWithProduct();
    expect(await p.send(p.secret)).toBe(202);
    const rotated = await call(p.token, 'POST', `/v1/products/${p.productKey}/rotate`, { overlapSeconds: 0 });
    expect(rotated.status).toBe(200);
    expect(await storedSecrets(p.productKey)).toEqual([{ secret: rotated.json.secret, expiresAt: null }]);
    await waitForIngestCache();
    expect(await p.send(p.secret)).toBe(401);
    expect(await p.send(rotated.json.secret as string)).toBe(202);
  });

  it('drops the secret before the previous one on a second rotation, even inside its overlap', async () => {
    const p = await ownerWithProduct();
    const second = (await call(p.token, 'POST', `/v1/products/${p.productKey}/rotate`, { overlapSeconds: 3600 })).json
      .secret as string;
    const third = (await call(p.token, 'POST', `/v1/products/${p.productKey}/rotate`, { overlapSeconds: 600 })).json;
    expect((await storedSecrets(p.productKey)).map((s) => s.secret)).toEqual([third.secret, second]);
    await waitForIngestCache();
    expect(await p.send(p.secret)).toBe(401);
    expect(await p.send(second)).toBe(202);
    expect(await p.send(third.secret as string)).toBe(202);
  });

  it('refuses overlaps below 0 or above 7 days', async () => {
    const p = await ownerWithProduct();
    for (const overlapSeconds of [-1, 7 * 86_400 + 1, 1.5]) {
      const res = await call(p.token, 'POST', `/v1/products/${p.productKey}/rotate`, { overlapSeconds });
      expect([overlapSeconds, res.status, res.json.error?.code]).toEqual([overlapSeconds, 400, 'invalid_body']);
    }
    expect(await storedSecrets(p.productKey)).toEqual([{ secret: p.secret, expiresAt: null }]);
  });
});

describe('api product deletion', () => {
  it('stops the key at the ingest and removes crashes, usage, issues, stats and the secrets', async () => {
    const p = await ownerWithProduct();
    for (let i = 0; i < 3; i++) expect(await p.send(p.secret)).toBe(202);
    const usage = {
      reportId: randomUUID(),
      occurredAt: new Date().toISOString(),
      app: { name: 'demo', version: '1.0.0' },
      metrics: { 'cpu.count': 2 },
    };
    const usageSent = await sendSigned({
      baseUrl: requireEnv('DUMPCATCHER_INGEST_URL'),
      path: '/v1/usage',
      productKey: p.productKey,
      secret: p.secret,
      clientId: newClientId(),
      counter: 1,
      body: usage,
    });
    expect(usageSent.status).toBe(202);
    const productRef = testDb().collection('products').doc(p.productKey);
    await productRef.collection('issues').doc('issue-1').set({ count: 3 });
    await productRef.collection('stats').doc('2026-11-22').set({ crashes: 3 });
    expect(await countDocs(p.productKey, 'crashes')).toBe(3);

    const deleted = await call(p.token, 'DELETE', `/v1/products/${p.productKey}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ productKey: p.productKey, deleted: true });

    expect((await testDb().collection('productSecrets').doc(p.productKey).get()).exists).toBe(false);
    expect((await productRef.get()).exists).toBe(false);
    for (const sub of ['crashes', 'usage', 'issues', 'stats']) {
      expect([sub, (await productRef.collection(sub).count().get()).data().count]).toEqual([sub, 0]);
    }
    expect((await call(p.token, 'GET', `/v1/products/${p.productKey}`)).status).toBe(404);
    expect((await call(p.token, 'GET', '/v1/products')).json.products).toEqual([]);
    await waitForIngestCache();
    expect(await p.send(p.secret)).toBe(401);
    expect(await countDocs(p.productKey, 'crashes')).toBe(0);
  });

  it('leaves none of the reports an ingest with cached secrets accepts while the deletion runs', async () => {
    const p = await ownerWithProduct();
    expect(await p.send(p.secret)).toBe(202); // the ingest now caches the product's secrets
    let finished = false;
    const deletion = call(p.token, 'DELETE', `/v1/products/${p.productKey}`).finally(() => {
      finished = true;
    });
    const statuses: number[] = [];
    while (!finished) {
      statuses.push(await p.send(p.secret));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await deletion).status).toBe(200);
    expect(statuses).toContain(202);
    expect(statuses[statuses.length - 1]).toBe(401);
    expect(await countDocs(p.productKey, 'crashes')).toBe(0);
    expect((await testDb().collection('products').doc(p.productKey).get()).exists).toBe(false);
  });

  it('deletes more documents than one batch holds', async () => {
    const p = await ownerWithProduct();
    const crashes = testDb().collection('products').doc(p.productKey).collection('crashes');
    const writer = testDb().bulkWriter();
    for (let i = 0; i < 1200; i++) void writer.create(crashes.doc(`seed-${i}`), { n: i });
    await writer.close();
    expect(await countDocs(p.productKey, 'crashes')).toBe(1200);
    expect((await call(p.token, 'DELETE', `/v1/products/${p.productKey}`)).status).toBe(200);
    expect(await countDocs(p.productKey, 'crashes')).toBe(0);
  });
});

describe('api logs', () => {
  it('record each change with the product key and never a secret or a token', async () => {
    const p = await ownerWithProduct();
    const rotated = await call(p.token, 'POST', `/v1/products/${p.productKey}/rotate`, { overlapSeconds: 60 });
    expect(rotated.status).toBe(200);
    const dir = requireEnv('DUMPCATCHER_TEST_LOG_DIR');
    const logs = readdirSync(dir)
      .filter((f) => f.startsWith('function-api-'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const changes = logs
      .split('\n')
      .filter((line) => line.includes(p.productKey))
      .map((line) => JSON.parse(line) as { message: string; route: string });
    expect(changes.map((c) => [c.message, c.route])).toEqual([
      ['api change', 'products'],
      ['api change', 'rotate'],
    ]);
    expect(logs).not.toContain(p.secret);
    expect(logs).not.toContain(rotated.json.secret as string);
    expect(logs).not.toContain(p.token);
  });
});
