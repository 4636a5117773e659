import type { Auth } from 'firebase-admin/auth';
import { createFirebaseVerifier } from '../../../functions/src/api/firebase-auth';
import { DumpcatcherError } from '../../../functions/src/shared/errors';

/** A stand-in for firebase-admin's Auth whose verifyIdToken answers `outcome`. */
function fakeAuth(outcome: () => Promise<unknown>) {
  const calls: Array<[string, boolean]> = [];
  const auth = {
    verifyIdToken: (token: string, checkRevoked: boolean) => {
      calls.push([token, checkRevoked]);
      return outcome();
    },
  } as unknown as Auth;
  return { auth, calls };
}

const authError = (code: string) => Object.assign(new Error(code), { code });
const googleClaims = {
  uid: 'u1',
  email: 'u1@example.com',
  email_verified: true,
  name: 'U',
  firebase: { sign_in_provider: 'google.com' },
};

describe('createFirebaseVerifier', () => {
  it('verifies with revocation checks and answers the caller', async () => {
    const { auth, calls } = fakeAuth(async () => googleClaims);
    const caller = await createFirebaseVerifier(auth, ['google.com'])('Bearer tok.en.x');
    expect(calls).toEqual([['tok.en.x', true]]);
    expect(caller).toEqual({ uid: 'u1', email: 'u1@example.com', displayName: 'U', signInProvider: 'google.com' });
  });

  it.each([
    'auth/id-token-expired',
    'auth/id-token-revoked',
    'auth/argument-error',
    'auth/user-disabled',
    'auth/user-not-found',
  ])('turns %s into a 401', async (code) => {
    const { auth } = fakeAuth(async () => Promise.reject(authError(code)));
    const err = await createFirebaseVerifier(auth, ['google.com'])('Bearer t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DumpcatcherError);
    expect((err as DumpcatcherError).details).toEqual({ reason: 'invalid_token' });
  });

  it.each(['auth/internal-error', 'app/network-error'])('lets %s through as our own failure (500)', async (code) => {
    const failure = authError(code);
    const { auth } = fakeAuth(async () => Promise.reject(failure));
    // The very error Auth threw, so the error handler answers a bare 500 for it.
    await expect(createFirebaseVerifier(auth, ['google.com'])('Bearer t')).rejects.toBe(failure);
  });

  it('does not call Firebase Auth without a bearer token', async () => {
    const { auth, calls } = fakeAuth(async () => googleClaims);
    await expect(createFirebaseVerifier(auth, ['google.com'])(undefined)).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    expect(calls).toEqual([]);
  });
});
