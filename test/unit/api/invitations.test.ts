import type { Clock } from '../../../functions/src/shared/clock';
import { DumpcatcherError } from '../../../functions/src/shared/errors';
import {
  acceptInvitation,
  declineInvitation,
  inviteMember,
  listMyInvitations,
  listProductInvitations,
  revokeInvitation,
} from '../../../functions/src/api/invitations';
import { createProduct, getProduct } from '../../../functions/src/api/products';
import {
  INVITATION_TTL_MS,
  InvitationDocSchema,
  InviteBodySchema,
  MAX_PENDING_INVITATIONS,
} from '../../../functions/src/api/schemas';
import { createMemoryStore } from './memory-store';
import type { Caller } from '../../../functions/src/api/access';
import type { ApiDeps } from '../../../functions/src/api/deps';

const T0 = new Date('2026-11-22T08:00:00.000Z');

function setup() {
  let nowMs = T0.getTime();
  const clock: Clock = () => new Date(nowMs);
  const memory = createMemoryStore();
  const deps: ApiDeps = { store: memory.store, clock };
  return { deps, memory, advanceMs: (ms: number) => (nowMs += ms) };
}

const caller = (uid: string, email: string | null = `${uid}@example.com`): Caller => ({
  uid,
  email,
  displayName: uid.toUpperCase(),
  signInProvider: 'google.com',
});
const owner = caller('owner');
const bob = caller('bob');
const mallory = caller('mallory');

async function rejects(promise: Promise<unknown>): Promise<DumpcatcherError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DumpcatcherError) return err;
    throw err;
  }
  throw new Error('expected a DumpcatcherError');
}

async function invited(deps: ApiDeps, email = 'bob@example.com') {
  const { productKey } = await createProduct(deps, owner, { name: 'Shop' });
  const { created, invitation } = await inviteMember(deps, owner, productKey, InviteBodySchema.parse({ email }));
  return { productKey, created, invitation };
}

describe('InviteBodySchema', () => {
  it('normalises the address (trim, lower-case) and invites a viewer when no role is named', () => {
    expect(InviteBodySchema.parse({ email: '  Bob@Example.COM ' })).toEqual({
      email: 'bob@example.com',
      role: 'viewer',
    });
  });
  it('keeps the role it names', () => {
    expect(InviteBodySchema.parse({ email: 'bob@example.com', role: 'member' }).role).toBe('member');
  });
  it.each([
    ['not an address', { email: 'bob' }],
    ['the owner role', { email: 'bob@example.com', role: 'owner' }],
    ['an extra field', { email: 'bob@example.com', admin: true }],
  ])('refuses %s', (_name, body) => {
    expect(InviteBodySchema.safeParse(body).success).toBe(false);
  });
});

describe('inviteMember', () => {
  it('answers the contract shape, expiring after 14 days, with the inviter', async () => {
    const { deps } = setup();
    const { productKey, created, invitation } = await invited(deps, ' Bob@Example.com');
    expect(created).toBe(true);
    expect(invitation).toEqual({
      id: expect.stringMatching(/^inv_[A-Za-z0-9_-]{22}$/),
      productKey,
      email: 'bob@example.com',
      role: 'viewer',
      createdAt: T0.toISOString(),
      expiresAt: new Date(T0.getTime() + INVITATION_TTL_MS).toISOString(),
      invitedBy: { uid: 'owner', displayName: 'OWNER' },
    });
  });

  it('answers the pending invitation again for the same address instead of a second one', async () => {
    const { deps, memory } = setup();
    const { productKey, invitation } = await invited(deps);
    const again = await inviteMember(deps, owner, productKey, { email: 'bob@example.com', role: 'viewer' });
    expect(again).toEqual({ created: false, invitation });
    expect(memory.invitations.size).toBe(1);
  });

  it('invites again once the earlier invitation has expired', async () => {
    const { deps, advanceMs } = setup();
    const { productKey, invitation } = await invited(deps);
    advanceMs(INVITATION_TTL_MS);
    const again = await inviteMember(deps, owner, productKey, { email: 'bob@example.com', role: 'viewer' });
    expect(again.created).toBe(true);
    expect(again.invitation.id).not.toBe(invitation.id);
  });

  it('caps pending invitations per product', async () => {
    const { deps, memory } = setup();
    const { productKey } = await createProduct(deps, owner, { name: 'Shop' });
    for (let i = 0; i < MAX_PENDING_INVITATIONS; i++)
      await inviteMember(deps, owner, productKey, { email: `p${i}@example.com`, role: 'viewer' });
    const err = await rejects(
      inviteMember(deps, owner, productKey, { email: 'one-too-many@example.com', role: 'viewer' }),
    );
    expect([err.code, err.details]).toEqual(['conflict', { maxPendingInvitations: MAX_PENDING_INVITATIONS }]);
    expect(memory.invitations.size).toBe(MAX_PENDING_INVITATIONS);
  });

  it("refuses an address that already belongs to a member (the owner's own included)", async () => {
    const { deps, memory } = setup();
    memory.users.set('owner', { email: 'owner@example.com', displayName: 'O', createdAt: T0, lastSeenAt: T0 });
    const { productKey } = await createProduct(deps, owner, { name: 'Shop' });
    const err = await rejects(inviteMember(deps, owner, productKey, { email: 'owner@example.com', role: 'viewer' }));
    expect([err.code, err.details]).toEqual(['conflict', { field: 'email', reason: 'already_member' }]);
  });
});

describe('an invitation as a member', () => {
  it('says its role to the invitee, who joins as a member', async () => {
    const { deps } = setup();
    const { productKey } = await createProduct(deps, owner, { name: 'Shop' });
    const { invitation } = await inviteMember(deps, owner, productKey, { email: 'bob@example.com', role: 'member' });
    expect(invitation.role).toBe('member');
    expect((await listMyInvitations(deps, bob)).invitations.map((i) => i.role)).toEqual(['member']);
    expect(await acceptInvitation(deps, bob, invitation.id)).toMatchObject({ role: 'member' });
  });

  it('reads a stored invitation without a role (sent before roles) as one for a viewer', () => {
    const stored = {
      productKey: 'pk_1',
      email: 'bob@example.com',
      invitedBy: { uid: 'owner', displayName: null },
      createdAt: T0,
      expiresAt: T0,
    };
    expect(InvitationDocSchema.parse(stored).role).toBe('viewer');
  });
});

describe('the invitee', () => {
  it('sees the invitation with the product name and accepts it, becoming a viewer', async () => {
    const { deps, memory } = setup();
    const { productKey, invitation } = await invited(deps);
    expect(await listMyInvitations(deps, bob)).toEqual({
      invitations: [
        {
          id: invitation.id,
          productKey,
          productName: 'Shop',
          email: 'bob@example.com',
          role: 'viewer',
          invitedBy: { displayName: 'OWNER' },
          createdAt: invitation.createdAt,
          expiresAt: invitation.expiresAt,
        },
      ],
    });
    const accepted = await acceptInvitation(deps, bob, invitation.id);
    expect(accepted).toMatchObject({ productKey, role: 'viewer', memberUids: ['owner', 'bob'] });
    expect(accepted).toEqual(await getProduct(deps, bob, productKey));
    expect(memory.invitations.size).toBe(0);
    expect(await listMyInvitations(deps, bob)).toEqual({ invitations: [] });
  });

  it('declines, which deletes the invitation and changes no membership', async () => {
    const { deps, memory } = setup();
    const { productKey, invitation } = await invited(deps);
    expect(await declineInvitation(deps, bob, invitation.id)).toEqual({ id: invitation.id, declined: true });
    expect(memory.invitations.size).toBe(0);
    expect(memory.products.get(productKey)?.memberUids).toEqual(['owner']);
  });

  it('cannot accept after expiry', async () => {
    const { deps, advanceMs } = setup();
    const { invitation } = await invited(deps);
    advanceMs(INVITATION_TTL_MS);
    expect((await rejects(acceptInvitation(deps, bob, invitation.id))).code).toBe('not_found');
  });
});

describe('someone else', () => {
  it.each([
    ['another verified address', mallory],
    ['no verified address', caller('mallory', null)],
  ])('with %s sees none, and gets the same 404 as for an unknown id on accept and decline', async (_name, who) => {
    const { deps, memory } = setup();
    const { productKey, invitation } = await invited(deps);
    expect(await listMyInvitations(deps, who)).toEqual({ invitations: [] });
    const unknown = await rejects(acceptInvitation(deps, who, 'inv_0000000000000000000000'));
    for (const run of [acceptInvitation, declineInvitation]) {
      const err = await rejects(run(deps, who, invitation.id));
      expect([err.code, err.message]).toEqual([unknown.code, unknown.message]);
    }
    expect(memory.products.get(productKey)?.memberUids).toEqual(['owner']);
    expect(memory.invitations.has(invitation.id)).toBe(true);
  });
});

describe('the owner', () => {
  it('lists pending invitations and revokes one, after which it cannot be accepted', async () => {
    const { deps } = setup();
    const { productKey, invitation } = await invited(deps);
    expect(await listProductInvitations(deps, owner, productKey)).toEqual({ invitations: [invitation] });
    expect(await revokeInvitation(deps, owner, productKey, invitation.id)).toEqual({
      id: invitation.id,
      revoked: true,
    });
    expect(await listProductInvitations(deps, owner, productKey)).toEqual({ invitations: [] });
    expect((await rejects(acceptInvitation(deps, bob, invitation.id))).code).toBe('not_found');
  });

  it("cannot revoke another product's invitation through their own product", async () => {
    const { deps, memory } = setup();
    const { invitation } = await invited(deps);
    const other = await createProduct(deps, mallory, { name: 'Other' });
    expect((await rejects(revokeInvitation(deps, mallory, other.productKey, invitation.id))).code).toBe('not_found');
    expect(memory.invitations.has(invitation.id)).toBe(true);
  });

  it('refuses a viewer listing or revoking invitations with permission_denied', async () => {
    const { deps } = setup();
    const { productKey, invitation } = await invited(deps);
    await acceptInvitation(deps, bob, invitation.id);
    expect((await rejects(listProductInvitations(deps, bob, productKey))).code).toBe('permission_denied');
    expect((await rejects(inviteMember(deps, bob, productKey, { email: 'x@example.com', role: 'viewer' }))).code).toBe(
      'permission_denied',
    );
  });
});
