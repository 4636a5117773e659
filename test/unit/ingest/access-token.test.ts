import { createTokenSource, TOKEN_MARGIN_MS, type TokenCredential } from '../../../functions/src/shared/access-token';

/** A credential that hands out numbered tokens valid for an hour, or fails when told to. */
function fakeCredential() {
  const state = { calls: 0, fail: false };
  const credential: TokenCredential = {
    getAccessToken() {
      state.calls += 1;
      if (state.fail) return Promise.reject(new Error('metadata server unreachable'));
      return Promise.resolve({ access_token: `t${state.calls}`, expires_in: 3600 });
    },
  };
  return { credential, state };
}

describe('createTokenSource', () => {
  it('caches the token until 5 minutes before it expires, then renews it', async () => {
    let nowMs = 0;
    const { credential, state } = fakeCredential();
    const token = createTokenSource(
      () => credential,
      () => nowMs,
    );
    expect(await token(false)).toBe('Bearer t1');
    nowMs = 3600_000 - TOKEN_MARGIN_MS - 1;
    expect(await token(false)).toBe('Bearer t1');
    nowMs += 1;
    expect(await token(false)).toBe('Bearer t2');
    expect(state.calls).toBe(2);
  });

  it('fetches a new token when asked to refresh (after a 401)', async () => {
    const { credential } = fakeCredential();
    const token = createTokenSource(
      () => credential,
      () => 0,
    );
    expect(await token(false)).toBe('Bearer t1');
    expect(await token(true)).toBe('Bearer t2');
    expect(await token(false)).toBe('Bearer t2');
  });

  it('shares one fetch among concurrent callers', async () => {
    const { credential, state } = fakeCredential();
    const token = createTokenSource(
      () => credential,
      () => 0,
    );
    expect(await Promise.all([token(false), token(false), token(true)])).toEqual([
      'Bearer t1',
      'Bearer t1',
      'Bearer t1',
    ]);
    expect(state.calls).toBe(1);
  });

  it('does not keep a failure: the next call tries again', async () => {
    const { credential, state } = fakeCredential();
    const token = createTokenSource(
      () => credential,
      () => 0,
    );
    state.fail = true;
    await expect(token(false)).rejects.toThrow('metadata server unreachable');
    state.fail = false;
    expect(await token(false)).toBe('Bearer t2');
  });

  it('turns a missing credential into a rejected promise, not a throw', async () => {
    const token = createTokenSource(() => {
      throw new Error('firebase-admin has no credential to call Firestore with');
    });
    await expect(token(false)).rejects.toThrow('no credential');
  });
});
