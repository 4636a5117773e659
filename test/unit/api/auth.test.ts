import { callerFromClaims, isAllowedUser, parseBearerToken, verifiedEmailOf } from '../../../functions/src/api/auth';
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
  const claims = {
    uid: 'u1',
    email: 'a@example.com',
    email_verified: true,
    name: 'A',
    firebase: { sign_in_provider: 'google.com' },
  };
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

describe('verifiedEmailOf', () => {
  const base = {
    uid: 'u1',
    email: ' Ann@Example.com',
    email_verified: true,
    firebase: { sign_in_provider: 'google.com' },
  };
  it('answers a Google-verified address, normalised', () => {
    expect(verifiedEmailOf(base)).toBe('ann@example.com');
  });
  it.each([
    ['an unverified address', { ...base, email_verified: false }],
    ['no email_verified claim', { uid: 'u1', email: 'ann@example.com', firebase: { sign_in_provider: 'google.com' } }],
    ['a password sign-in, even verified', { ...base, firebase: { sign_in_provider: 'password' } }],
    ['no address', { uid: 'u1', email_verified: true, firebase: { sign_in_provider: 'google.com' } }],
  ])('answers null for %s', (_name, claims) => {
    expect(verifiedEmailOf(claims)).toBeNull();
  });
  it('gives the caller no address when it is unverified', () => {
    expect(callerFromClaims({ ...base, email_verified: false }, ['google.com']).email).toBeNull();
  });
});

describe('isAllowedUser', () => {
  const list = ['ann@example.org', '@example.com'];
  it.each([
    ['a listed address', 'ann@example.org', true],
    ['an address in a listed domain', 'bob@example.com', true],
    ['another address of a listed address’s domain', 'bob@example.org', false],
    ['a subdomain of a listed domain', 'bob@evil.example.com', false],
    ['a domain that only ends like a listed one', 'bob@notexample.com', false],
    ['no verified address', null, false],
  ])('answers %s', (_name, email, expected) => {
    expect(isAllowedUser(email, list)).toBe(expected);
  });
  it('admits nobody with an empty list', () => {
    expect(isAllowedUser('ann@example.org', [])).toBe(false);
  });
});
