import { randomUUID } from 'node:crypto';
import { sampleCrash } from '../../scripts/lib/client';
import { signInWithGoogle } from '../../scripts/lib/id-token';
import { callApi, productWithViewer, rollUpToTheEnd } from './api-client';
import { requireEnv, testDb } from './helpers';

// A lone surrogate, as Python's surrogateescape makes from a file name that is not UTF-8.
const LONE = 'caf\udce9';
const FIXED = 'caf\ufffd';

describe('api: lone surrogates in every field of every JSON body, over HTTP', () => {
  let s: Awaited<ReturnType<typeof productWithViewer>>;
  beforeAll(async () => {
    s = await productWithViewer();
  });

  it('a product name is stored with U+FFFD, on create and on change', async () => {
    const created = await callApi<{ productKey: string; name: string }>(s.owner.token, 'POST', '/v1/products', {
      name: `shop ${LONE}`,
    });
    expect([created.status, created.json.name]).toEqual([201, `shop ${FIXED}`]);
    const changed = await callApi<{ name: string }>(s.owner.token, 'PATCH', `/v1/products/${created.json.productKey}`, {
      name: `\ud800 ${LONE} \udfff`,
    });
    expect([changed.status, changed.json.name]).toEqual([200, `\ufffd ${FIXED} \ufffd`]);
    const doc = await testDb().collection('products').doc(created.json.productKey).get();
    expect(doc.get('name')).toBe(`\ufffd ${FIXED} \ufffd`);
  });

  it('an issue resolvedInVersion is stored with U+FFFD', async () => {
    await s.send('/v1/crashes', sampleCrash({ label: 'well-formed' }));
    await rollUpToTheEnd();
    const issues = await callApi<{ issues: Array<{ id: string }> }>(s.owner.token, 'GET', `${s.base}/issues`);
    const id = issues.json.issues[0]!.id;
    const patched = await callApi<{ resolvedInVersion: string }>(s.owner.token, 'PATCH', `${s.base}/issues/${id}`, {
      status: 'resolved',
      resolvedInVersion: `1.0-${LONE}`,
    });
    expect([patched.status, patched.json.resolvedInVersion]).toEqual([200, `1.0-${FIXED}`]);
    const badStatus = await callApi(s.owner.token, 'PATCH', `${s.base}/issues/${id}`, { status: LONE });
    expect([badStatus.status, badStatus.json.error?.code]).toEqual([400, 'invalid_body']);
  });

  it('an upload token name is stored with U+FFFD', async () => {
    const made = await callApi<{ name: string }>(s.owner.token, 'POST', `${s.base}/upload-tokens`, {
      name: `ci ${LONE}`,
    });
    expect([made.status, made.json.name]).toEqual([201, `ci ${FIXED}`]);
  });

  it.each([
    [
      'an alert event',
      'POST',
      '/alerts',
      { kind: 'webhook', url: 'https://hooks.example.com/x', events: [`issue.${LONE}`] },
    ],
    ['an alert kind', 'POST', '/alerts', { kind: LONE, url: 'https://hooks.example.com/x', events: ['issue.new'] }],
    ['an invited address', 'POST', '/invitations', { email: `${LONE}@example.com` }],
    ['a field name', 'PATCH', '', { [`name${LONE}`]: 'x' }],
    ['a settings field name', 'PATCH', '', { settings: { [LONE]: 1 } }],
    ['rotate', 'POST', '/rotate', { overlapSeconds: LONE }],
  ])(
    '%s, where the schema allows no such character: 400 naming the field, never a 500',
    async (_what, method, path, body) => {
      const answer = await callApi(s.owner.token, method, `${s.base}${path}`, body);
      expect([answer.status, answer.json.error?.code]).toEqual([400, 'invalid_body']);
    },
  );

  it('an alert URL is stored with U+FFFD', async () => {
    const answer = await callApi<{ url: string }>(s.owner.token, 'POST', `${s.base}/alerts`, {
      kind: 'webhook',
      url: `https://8.8.8.8/${LONE}`,
      events: ['issue.new'],
    });
    expect(answer.status).toBe(201);
    expect(answer.json.url).toBe(`https://8.8.8.8/${FIXED}`);
  });

  it('a display name with one from the ID token is stored with U+FFFD', async () => {
    const email = `lone-${randomUUID().slice(0, 8)}@example.com`;
    const signIn = await signInWithGoogle(requireEnv('FIREBASE_AUTH_EMULATOR_HOST'), { email, name: `Ana ${LONE}` });
    const me = await callApi<{ displayName: string }>(signIn.idToken, 'GET', '/v1/me');
    expect([me.status, me.json.displayName]).toEqual([200, `Ana ${FIXED}`]);
    const user = await testDb().collection('users').doc(signIn.localId).get();
    expect(user.get('displayName')).toBe(`Ana ${FIXED}`);
  });

  it('a viewer who sends one gets the same answer as for any other character', async () => {
    const answer = await callApi(s.viewer.token, 'PATCH', s.base, { name: LONE });
    expect(answer.status).toBe(403);
  });
});
