import { callerFromClaims, parseBearerToken } from '../../../functions/src/api/auth';
import { DumpcatcherError } from '../../../functions/src/shared/errors';

function reasonOf(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    if (err instanceof DumpcatcherError && err.code === 'unauthenticated') return err.details?.reason;
    throw err;
  }
  return 'no error';
}

describe('parseBearerToken', () => {
  it('returns the token of a Bearer header, in any case of the scheme', () => {
    expect(parseBearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(parseBearerToken('bearer abc.def.')).toBe('abc.def.');
  });
  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['Bearer without a token', 'Bearer '],
    ['two headers', ['Bearer a', 'Bearer b']],
    ['a token with spaces', 'Bearer a b'],
  ])('refuses %s as missing_token', (_name, header) => {
    expect(reasonOf(() => parseBearerToken(header))).toBe('missing_token');
  });
});

describe('callerFromClaims', () => {
  const claims = { uid: 'u1', email: 'a@example.com', name: 'A', firebase: { sign_in_provider: 'google.com' } };
  it('accepts an allowed provider and keeps email and name', () => {
    expect(callerFromClaims(claims, ['google.com'])).toEqual({
      uid: 'u1',
      email: 'a@example.com',
      displayName: 'A',
      signInProvider: 'google.com',
    });
  });
  it('uses null for a missing email and name', () => {
    expect(callerFromClaims({ uid: 'u1', firebase: { sign_in_provider: 'google.com' } }, ['google.com'])).toMatchObject(
      { email: null, displayName: null },
    );
  });
  it.each(['password', 'anonymous', 'custom', 'github.com'])(
    'refuses %s when only google.com is allowed',
    (provider) => {
      expect(
        reasonOf(() => callerFromClaims({ ...claims, firebase: { sign_in_provider: provider } }, ['google.com'])),
      ).toBe('provider_not_allowed');
    },
  );
  it('accepts another provider once configured', () => {
    expect(
      callerFromClaims({ ...claims, firebase: { sign_in_provider: 'password' } }, ['google.com', 'password'])
        .signInProvider,
    ).toBe('password');
  });
});
