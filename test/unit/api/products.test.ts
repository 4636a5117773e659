import type { Clock } from '../../../functions/src/shared/clock';
import { DumpcatcherError } from '../../../functions/src/shared/errors';
import { acceptInvitation, inviteMember, listProductInvitations } from '../../../functions/src/api/invitations';
import {
  createProduct,
  deleteProduct,
  getProduct,
  listProducts,
  planRotation,
  removeMember,
  rotateSecret,
  updateMemberRole,
  updateProduct,
} from '../../../functions/src/api/products';
import type { GrantedRole } from '../../../functions/src/api/schemas';
import { createMemoryStore } from './memory-store';
import type { Caller } from '../../../functions/src/api/access';
import type { ApiDeps } from '../../../functions/src/api/deps';

const T0 = new Date('2026-11-22T08:00:00.000Z');

function setup() {
  let nowMs = T0.getTime();
  const clock: Clock = () => new Date(nowMs);
  const memory = createMemoryStore();
  const deps: ApiDeps = { store: memory.store, clock };
  const advance = (seconds: number) => {
    nowMs += seconds * 1000;
  };
  return { deps, memory, advance };
}

const caller = (uid: string): Caller => ({
  uid,
  email: `${uid}@example.com`,
  displayName: uid,
  signInProvider: 'google.com',
});
const alice = caller('alice');
const bob = caller('bob');
const carol = caller('carol');

/** Gives `viewer` access the only way there is: the owner invites (as `role`), the viewer accepts. */
async function addViewer(
  deps: ApiDeps,
  owner: Caller,
  productKey: string,
  viewer: Caller,
  role: GrantedRole = 'viewer',
): Promise<void> {
  const { invitation } = await inviteMember(deps, owner, productKey, { email: viewer.email!, role });
  await acceptInvitation(deps, viewer, invitation.id);
}

async function rejects(promise: Promise<unknown>): Promise<DumpcatcherError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DumpcatcherError) return err;
    throw err;
  }
  throw new Error('expected a DumpcatcherError');
}

describe('createProduct', () => {
  it('makes the caller owner and only member, and returns the secret it stored', async () => {
    const { deps, memory } = setup();
    const created = await createProduct(deps, alice, { name: 'Shop' });
    expect(created).toMatchObject({
      name: 'Shop',
      ownerUid: 'alice',
      memberUids: ['alice'],
      role: 'owner',
      createdAt: T0.toISOString(),
    });
    expect(memory.secrets.get(created.productKey)?.secrets).toEqual([
      { secret: created.secret, createdAt: T0, expiresAt: null },
    ]);
  });
});

describe('reading products', () => {
  it("lists owned and viewed products with the caller's role, never a secret", async () => {
    const { deps, memory, advance } = setup();
    const own = await createProduct(deps, alice, { name: 'mine' });
    advance(1);
    const theirs = await createProduct(deps, bob, { name: 'theirs' });
    memory.users.set('alice', { email: 'alice@example.com', displayName: 'Alice', createdAt: T0, lastSeenAt: T0 });
    await addViewer(deps, bob, theirs.productKey, alice);
    const listed = await listProducts(deps, alice);
    expect(listed.products.map((p) => [p.productKey, p.role])).toEqual([
      [theirs.productKey, 'viewer'],
      [own.productKey, 'owner'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(own.secret);
    expect(JSON.stringify(await getProduct(deps, alice, own.productKey))).not.toContain(own.secret);
  });

  it('answers not_found, not permission_denied, to a non-member', async () => {
    const { deps } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'private' });
    const hidden = await rejects(getProduct(deps, bob, productKey));
    const absent = await rejects(getProduct(deps, bob, 'pk_absent_key'));
    expect([hidden.code, hidden.message]).toEqual([absent.code, absent.message]);
    expect(hidden.code).toBe('not_found');
  });
});

describe('owner-only operations', () => {
  const operations: Array<[string, (deps: ApiDeps, who: Caller, key: string) => Promise<unknown>]> = [
    ['updateProduct', (d, c, k) => updateProduct(d, c, k, { name: 'x' })],
    ['rotateSecret', (d, c, k) => rotateSecret(d, c, k, { overlapSeconds: 0 })],
    ['deleteProduct', (d, c, k) => deleteProduct(d, c, k)],
    ['inviteMember', (d, c, k) => inviteMember(d, c, k, { email: 'dora@example.com', role: 'viewer' })],
    ['listProductInvitations', (d, c, k) => listProductInvitations(d, c, k)],
    ['removeMember of someone else', (d, c, k) => removeMember(d, c, k, 'carol')],
    ['updateMemberRole', (d, c, k) => updateMemberRole(d, c, k, 'carol', { role: 'member' })],
  ];
  const asRoles = (['viewer', 'member'] as const).flatMap((role) =>
    operations.map(([name, run]) => [name, role, run] as const),
  );

  it.each(asRoles)('%s refuses a %s with permission_denied and writes nothing', async (_name, role, run) => {
    const { deps, memory } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'shared' });
    memory.users.set('bob', { email: 'bob@example.com', displayName: 'Bob', createdAt: T0, lastSeenAt: T0 });
    memory.users.set('carol', { email: 'carol@example.com', displayName: 'Carol', createdAt: T0, lastSeenAt: T0 });
    await addViewer(deps, alice, productKey, bob, role);
    await addViewer(deps, alice, productKey, carol);
    const writesBefore = memory.writes.length;
    const err = await rejects(run(deps, bob, productKey));
    expect(err.code).toBe('permission_denied');
    expect(memory.writes.length).toBe(writesBefore);
  });

  it.each(operations)('%s refuses a non-member with not_found and writes nothing', async (_name, run) => {
    const { deps, memory } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'private' });
    const writesBefore = memory.writes.length;
    expect((await rejects(run(deps, bob, productKey))).code).toBe('not_found');
    expect(memory.writes.length).toBe(writesBefore);
  });
});

describe('updateProduct', () => {
  it('changes only the given fields and mirrors settings into the secrets document', async () => {
    const { deps, memory, advance } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'old' });
    advance(60);
    const updated = await updateProduct(deps, alice, productKey, { settings: { rateLimitPerMinute: 10 } });
    expect(updated).toMatchObject({
      name: 'old',
      settings: { retentionDays: 90, rateLimitPerMinute: 10 },
      updatedAt: new Date(T0.getTime() + 60_000).toISOString(),
    });
    expect(memory.secrets.get(productKey)).toMatchObject({ retentionDays: 90, rateLimitPerMinute: 10 });
    await updateProduct(deps, alice, productKey, {
      name: 'new',
      settings: { retentionDays: 14, rateLimitPerMinute: null },
    });
    expect(memory.products.get(productKey)).toMatchObject({
      name: 'new',
      settings: { retentionDays: 14, rateLimitPerMinute: null },
    });
    expect(memory.secrets.get(productKey)).toMatchObject({ retentionDays: 14, rateLimitPerMinute: null });
  });
});

describe('planRotation', () => {
  const entry = (secret: string, createdAt: Date, expiresAt: Date | null) => ({ secret, createdAt, expiresAt });

  it('puts the new secret first and gives the current one the overlap', () => {
    const plan = planRotation([entry('sk_a', T0, null)], { newSecret: 'sk_b', now: T0, overlapSeconds: 3600 });
    expect(plan.secrets).toEqual([entry('sk_b', T0, null), entry('sk_a', T0, new Date(T0.getTime() + 3_600_000))]);
    expect(plan.previousExpiresAt).toEqual(new Date(T0.getTime() + 3_600_000));
  });

  it('drops the previous secret at once with no overlap', () => {
    const plan = planRotation([entry('sk_a', T0, null)], { newSecret: 'sk_b', now: T0, overlapSeconds: 0 });
    expect(plan.secrets).toEqual([entry('sk_b', T0, null)]);
    expect(plan.previousExpiresAt).toEqual(T0);
  });

  it('drops a secret still inside an earlier overlap', () => {
    const later = new Date(T0.getTime() + 60_000);
    const current = [entry('sk_b', T0, null), entry('sk_a', T0, new Date(T0.getTime() + 3_600_000))];
    const plan = planRotation(current, { newSecret: 'sk_c', now: later, overlapSeconds: 600 });
    expect(plan.secrets.map((s) => s.secret)).toEqual(['sk_c', 'sk_b']);
  });

  it('keeps the newest live secret when none lacks an expiry', () => {
    const current = [
      entry('sk_old', T0, new Date(T0.getTime() + 1000)),
      entry('sk_new', new Date(T0.getTime() + 1), new Date(T0.getTime() + 2000)),
    ];
    expect(
      planRotation(current, { newSecret: 'sk_x', now: T0, overlapSeconds: 60 }).secrets.map((s) => s.secret),
    ).toEqual(['sk_x', 'sk_new']);
  });

  it('never lengthens the life of a secret that already expires sooner than the overlap', () => {
    const soon = new Date(T0.getTime() + 2000);
    const plan = planRotation([entry('sk_a', T0, soon)], { newSecret: 'sk_b', now: T0, overlapSeconds: 3600 });
    expect(plan).toEqual({ secrets: [entry('sk_b', T0, null), entry('sk_a', T0, soon)], previousExpiresAt: soon });
  });

  it('has no previous secret to keep when every secret has expired', () => {
    const plan = planRotation([entry('sk_a', T0, T0)], { newSecret: 'sk_b', now: T0, overlapSeconds: 60 });
    expect(plan).toEqual({ secrets: [entry('sk_b', T0, null)], previousExpiresAt: null });
  });
});

describe('members', () => {
  it('refuses removing the owner and a uid that is not a member', async () => {
    const { deps } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'p' });
    expect((await rejects(removeMember(deps, alice, productKey, 'alice'))).code).toBe('invalid_argument');
    expect((await rejects(removeMember(deps, alice, productKey, 'nobody'))).code).toBe('not_found');
  });

  it('lets a viewer leave, answering left: true, after which the product is hidden from them', async () => {
    const { deps, memory } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'p' });
    await addViewer(deps, alice, productKey, bob);
    expect(await removeMember(deps, bob, productKey, 'bob')).toEqual({ productKey, uid: 'bob', left: true });
    expect(memory.products.get(productKey)?.memberUids).toEqual(['alice']);
    expect((await rejects(getProduct(deps, bob, productKey))).code).toBe('not_found');
  });

  it('gives the role the invitation names, lists it, and lets the owner change it', async () => {
    const { deps, memory } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'p' });
    await addViewer(deps, alice, productKey, bob, 'member');
    await addViewer(deps, alice, productKey, carol);
    expect((await getProduct(deps, bob, productKey)).role).toBe('member');
    const changed = await updateMemberRole(deps, alice, productKey, 'carol', { role: 'member' });
    expect(changed.members.map((m) => [m.uid, m.role])).toEqual([
      ['alice', 'owner'],
      ['bob', 'member'],
      ['carol', 'member'],
    ]);
    await updateMemberRole(deps, alice, productKey, 'bob', { role: 'viewer' });
    expect(memory.products.get(productKey)?.roles).toEqual({ bob: 'viewer', carol: 'member' });
    expect((await listProducts(deps, bob)).products.map((p) => p.role)).toEqual(['viewer']);
  });

  it("refuses changing the owner's role or that of someone without access", async () => {
    const { deps } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'p' });
    expect((await rejects(updateMemberRole(deps, alice, productKey, 'alice', { role: 'viewer' }))).code).toBe(
      'invalid_argument',
    );
    expect((await rejects(updateMemberRole(deps, alice, productKey, 'nobody', { role: 'member' }))).code).toBe(
      'not_found',
    );
  });

  it('reads someone who joined before roles existed (not in roles) as a viewer', async () => {
    const { deps, memory } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'p' });
    memory.products.get(productKey)!.memberUids.push('bob');
    expect((await getProduct(deps, bob, productKey)).role).toBe('viewer');
  });

  it('lets a member leave, and forgets their role', async () => {
    const { deps, memory } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'p' });
    await addViewer(deps, alice, productKey, bob, 'member');
    expect(await removeMember(deps, bob, productKey, 'bob')).toEqual({ productKey, uid: 'bob', left: true });
    expect(memory.products.get(productKey)?.roles).toEqual({});
  });

  it('answers the owner removing a viewer with the product and its remaining members', async () => {
    const { deps } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'p' });
    await addViewer(deps, alice, productKey, bob);
    const removed = await removeMember(deps, alice, productKey, 'bob');
    expect(removed).toMatchObject({ productKey, memberUids: ['alice'], members: [{ uid: 'alice', role: 'owner' }] });
  });
});

describe('limits', () => {
  it('refuses a product beyond the per-user cap with product_limit and writes nothing', async () => {
    const { deps, memory } = setup();
    deps.limits = { maxProductsPerUser: 2, maxRateLimitPerMinute: 600 };
    await createProduct(deps, alice, { name: 'one' });
    await createProduct(deps, alice, { name: 'two' });
    const err = await rejects(createProduct(deps, alice, { name: 'three' }));
    expect([err.code, err.httpStatus, err.details]).toEqual(['product_limit', 409, { maxProductsPerUser: 2 }]);
    expect(memory.products.size).toBe(2);
    // The cap counts products owned, not viewed: another user is unaffected.
    await expect(createProduct(deps, bob, { name: 'bobs' })).resolves.toMatchObject({ ownerUid: 'bob' });
  });

  it("refuses a rate limit above the service's cap, naming the field and the cap", async () => {
    const { deps, memory } = setup();
    deps.limits = { maxProductsPerUser: 20, maxRateLimitPerMinute: 600 };
    const { productKey } = await createProduct(deps, alice, { name: 'p' });
    const err = await rejects(updateProduct(deps, alice, productKey, { settings: { rateLimitPerMinute: 601 } }));
    expect(err.code).toBe('invalid_body');
    expect(err.details).toMatchObject({
      issues: [{ path: 'settings.rateLimitPerMinute', message: expect.stringContaining('600') }],
      maxRateLimitPerMinute: 600,
    });
    expect(memory.secrets.get(productKey)?.rateLimitPerMinute).toBeNull();
    const atCap = await updateProduct(deps, alice, productKey, { settings: { rateLimitPerMinute: 600 } });
    expect(atCap.settings.rateLimitPerMinute).toBe(600);
  });
});

describe('deleteProduct', () => {
  it('removes the product and its secrets', async () => {
    const { deps, memory } = setup();
    const { productKey } = await createProduct(deps, alice, { name: 'gone' });
    expect(await deleteProduct(deps, alice, productKey)).toEqual({ productKey, deleted: true });
    expect([memory.products.has(productKey), memory.secrets.has(productKey)]).toEqual([false, false]);
    expect((await rejects(getProduct(deps, alice, productKey))).code).toBe('not_found');
  });
});
