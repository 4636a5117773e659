import { randomUUID } from 'node:crypto';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { signInWithGoogle } from '../../scripts/lib/id-token';
import { requireEnv, testDb } from './helpers';
import { callApi as call } from './api-client';

async function googleUser(label: string) {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const signIn = await signInWithGoogle(requireEnv('FIREBASE_AUTH_EMULATOR_HOST'), { email, name: label });
  const user = { uid: signIn.localId, email, token: signIn.idToken };
  expect((await call(user.token, 'GET', '/v1/me')).status).toBe(200);
  return user;
}

function adminAuth() {
  const app = getApps()[0] ?? initializeApp({ projectId: requireEnv('GCLOUD_PROJECT') });
  return getAuth(app);
}

/** The owner invites `viewer` (as `role`), who accepts: membership the way the api grants it. */
async function join(
  owner: { token: string },
  productKey: string,
  viewer: { token: string; email: string },
  role: 'member' | 'viewer' = 'viewer',
) {
  const invited = await call(owner.token, 'POST', `/v1/products/${productKey}/invitations`, {
    email: viewer.email,
    role,
  });
  expect(invited.status).toBe(201);
  expect((await call(viewer.token, 'POST', `/v1/invitations/${String(invited.json.id)}/accept`)).status).toBe(200);
}

const userExists = async (uid: string) => (await testDb().collection('users').doc(uid).get()).exists;
const membersOf = async (productKey: string) =>
  (await testDb().collection('products').doc(productKey).get()).get('memberUids') as string[];

/** Runs the rollup (and with it the user sweep) until `done`, as the Scheduler would every few minutes. */
async function sweepUntil(done: () => Promise<boolean>): Promise<Array<Record<string, unknown>>> {
  const answers: Array<Record<string, unknown>> = [];
  for (let run = 0; run < 100 && !(await done()); run++) {
    const res = await fetch(requireEnv('DUMPCATCHER_ROLLUP_URL'), { method: 'POST' });
    expect(res.status).toBe(200);
    answers.push((await res.json()) as Record<string, unknown>);
  }
  return answers;
}

describe('deleted and disabled users', () => {
  it('leave the products they view and lose users/{uid}; active ones and the product stay', async () => {
    const [owner, stays, deleted, disabled] = await Promise.all([
      googleUser('sweep-owner'),
      googleUser('sweep-stays'),
      googleUser('sweep-deleted'),
      googleUser('sweep-disabled'),
    ]);
    const created = await call(owner.token, 'POST', '/v1/products', { name: 'swept' });
    const productKey = String(created.json.productKey);
    for (const viewer of [stays, deleted, disabled]) await join(owner, productKey, viewer, 'member');
    expect((await membersOf(productKey)).sort()).toEqual([owner.uid, stays.uid, deleted.uid, disabled.uid].sort());

    await adminAuth().deleteUser(deleted.uid);
    await adminAuth().updateUser(disabled.uid, { disabled: true });
    const answers = await sweepUntil(async () => !(await userExists(deleted.uid)) && !(await userExists(disabled.uid)));

    expect(answers.length).toBeGreaterThan(0);
    expect(answers[0]!.users).toEqual(expect.objectContaining({ checked: expect.any(Number) }));
    expect([await userExists(deleted.uid), await userExists(disabled.uid)]).toEqual([false, false]);
    expect([await userExists(owner.uid), await userExists(stays.uid)]).toEqual([true, true]);
    expect((await membersOf(productKey)).sort()).toEqual([owner.uid, stays.uid].sort());
    // Their roles go with them: nothing of theirs is left on the product.
    expect((await testDb().collection('products').doc(productKey).get()).get('roles')).toEqual({
      [stays.uid]: 'member',
    });
    expect((await call(stays.token, 'GET', `/v1/products/${productKey}`)).status).toBe(200);
  });

  it("keep the products they own, with their viewers, when the owner's account is deleted", async () => {
    const [owner, viewer] = await Promise.all([googleUser('sweep-gone-owner'), googleUser('sweep-viewer')]);
    const created = await call(owner.token, 'POST', '/v1/products', { name: 'orphan' });
    const productKey = String(created.json.productKey);
    await join(owner, productKey, viewer);
    await adminAuth().deleteUser(owner.uid);
    await sweepUntil(async () => !(await userExists(owner.uid)));
    expect(await userExists(owner.uid)).toBe(false);
    expect((await membersOf(productKey)).sort()).toEqual([owner.uid, viewer.uid].sort());
    expect((await call(viewer.token, 'GET', `/v1/products/${productKey}`)).status).toBe(200);
  });
});
