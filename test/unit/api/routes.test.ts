import { parseBody } from '../../../functions/src/api/route-table';
import { matchRoute } from '../../../functions/src/api/routes';
import { CreateProductBodySchema, RotateBodySchema, UpdateProductBodySchema } from '../../../functions/src/api/schemas';
import { loadApiConfig } from '../../../functions/src/api/config';
import { DumpcatcherError } from '../../../functions/src/shared/errors';

function errorOf(run: () => unknown): DumpcatcherError {
  try {
    run();
  } catch (err) {
    if (err instanceof DumpcatcherError) return err;
    throw err;
  }
  throw new Error('expected a DumpcatcherError');
}

describe('matchRoute', () => {
  it.each([
    ['GET', '/v1/me', 'me', []],
    ['GET', '/v1/products', 'products', []],
    ['POST', '/v1/products', 'products', []],
    ['PATCH', '/v1/products/pk_abcdefgh', 'product', ['pk_abcdefgh']],
    ['POST', '/v1/products/pk_abcdefgh/rotate', 'rotate', ['pk_abcdefgh']],
    ['DELETE', '/v1/products/pk_abcdefgh/members/uid-1', 'member', ['pk_abcdefgh', 'uid-1']],
    ['POST', '/v1/products/pk_abcdefgh/invitations', 'invitations', ['pk_abcdefgh']],
    ['GET', '/v1/products/pk_abcdefgh/invitations', 'invitations', ['pk_abcdefgh']],
    ['DELETE', '/v1/products/pk_abcdefgh/invitations/inv_abcdefgh', 'invitation', ['pk_abcdefgh', 'inv_abcdefgh']],
    ['GET', '/v1/invitations', 'my-invitations', []],
    ['POST', '/v1/invitations/inv_abcdefgh/accept', 'accept', ['inv_abcdefgh']],
    ['POST', '/v1/invitations/inv_abcdefgh/decline', 'decline', ['inv_abcdefgh']],
  ])('routes %s %s to %s', (method, path, name, params) => {
    const matched = matchRoute(method, path);
    expect([matched.name, matched.params]).toEqual([name, params]);
  });
  it('answers 404 for an unknown path and for a key that cannot exist', () => {
    expect(errorOf(() => matchRoute('GET', '/v1/nothing')).httpStatus).toBe(404);
    expect(errorOf(() => matchRoute('GET', '/v1/products/bad.key!')).httpStatus).toBe(404);
  });
  it('has no route that adds a member directly: members join by invitation', () => {
    expect(errorOf(() => matchRoute('POST', '/v1/products/pk_abcdefgh/members')).code).toBe('not_found');
  });
  it('answers 405 with the allowed methods for a known path', () => {
    const err = errorOf(() => matchRoute('PUT', '/v1/products/pk_abcdefgh'));
    expect([err.httpStatus, err.headers.Allow]).toEqual([405, 'GET, PATCH, DELETE']);
  });
});

describe('parseBody', () => {
  it('trims names and refuses empty ones with the field path', () => {
    expect(parseBody(CreateProductBodySchema, { name: '  Shop ' })).toEqual({ name: 'Shop' });
    expect(errorOf(() => parseBody(CreateProductBodySchema, { name: ' ' })).details).toEqual({
      issues: [{ path: 'name', message: 'must not be empty' }],
    });
  });
  it('lists every bad settings field', () => {
    const err = errorOf(() =>
      parseBody(UpdateProductBodySchema, { settings: { retentionDays: 5000, rateLimitPerMinute: 0 } }),
    );
    expect((err.details?.issues as Array<{ path: string }>).map((i) => i.path)).toEqual([
      'settings.retentionDays',
      'settings.rateLimitPerMinute',
    ]);
  });
  it('refuses a PATCH that changes nothing and fields it does not know', () => {
    expect(errorOf(() => parseBody(UpdateProductBodySchema, {})).code).toBe('invalid_body');
    expect(errorOf(() => parseBody(UpdateProductBodySchema, { ownerUid: 'x' })).code).toBe('invalid_body');
  });
  it('defaults the rotation overlap to 24 hours and allows 0', () => {
    expect(parseBody(RotateBodySchema, {})).toEqual({ overlapSeconds: 86_400 });
    expect(parseBody(RotateBodySchema, { overlapSeconds: 0 })).toEqual({ overlapSeconds: 0 });
  });
});

describe('loadApiConfig', () => {
  it('accepts only google.com by default', () => {
    expect(loadApiConfig({}).DUMPCATCHER_API_SIGN_IN_PROVIDERS).toEqual(['google.com']);
  });
  it('reads a comma-separated provider list', () => {
    expect(
      loadApiConfig({ DUMPCATCHER_API_SIGN_IN_PROVIDERS: 'google.com, password' }).DUMPCATCHER_API_SIGN_IN_PROVIDERS,
    ).toEqual(['google.com', 'password']);
  });
  it('reads the allow-list as lower-case addresses and @domains, empty by default', () => {
    expect(loadApiConfig({}).DUMPCATCHER_ALLOWED_USERS).toEqual([]);
    expect(
      loadApiConfig({ DUMPCATCHER_ALLOWED_USERS: ' Ann@Example.org, @example.com ,' }).DUMPCATCHER_ALLOWED_USERS,
    ).toEqual(['ann@example.org', '@example.com']);
  });
  it('defaults the per-user product cap to 20', () => {
    expect(loadApiConfig({}).DUMPCATCHER_MAX_PRODUCTS_PER_USER).toBe(20);
  });
  it.each([
    ['an allow-list entry that is neither an address nor a @domain', { DUMPCATCHER_ALLOWED_USERS: 'example.com' }],
    ['a product cap of 0', { DUMPCATCHER_MAX_PRODUCTS_PER_USER: '0' }],
  ])('refuses %s at cold start', (_name, env) => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(() => loadApiConfig(env)).toThrow(new RegExp(Object.keys(env)[0]!));
    write.mockRestore();
  });
  it('refuses an empty provider list at cold start', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(() => loadApiConfig({ DUMPCATCHER_API_SIGN_IN_PROVIDERS: ' , ' })).toThrow(
      /DUMPCATCHER_API_SIGN_IN_PROVIDERS/,
    );
    write.mockRestore();
  });
});
