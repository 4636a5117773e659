import { randomBytes } from 'node:crypto';
import { DumpcatcherError } from '../shared/errors';
import { membersOf, toProductView, type MemberView, type ProductView } from './products';
import { INVITATION_TTL_MS, MAX_MEMBERS, MAX_PENDING_INVITATIONS, type GrantedRole, type InviteBody } from './schemas';
import { loadProductFor, roleOf, type Caller } from './access';
import type { ApiDeps, InvitationRow } from './deps';

/** An invitation as its product's owner sees it. */
export interface InvitationView {
  id: string;
  productKey: string;
  email: string;
  role: GrantedRole;
  createdAt: string;
  expiresAt: string;
  invitedBy: { uid: string; displayName: string | null };
}

/** An invitation as the invitee sees it: no uids of people they do not know yet. */
export interface ReceivedInvitationView {
  id: string;
  productKey: string;
  productName: string;
  email: string;
  /** What accepting makes the invitee: a member (triages issues) or a viewer. */
  role: GrantedRole;
  invitedBy: { displayName: string | null };
  createdAt: string;
  expiresAt: string;
}

/** A new invitation id: `inv_` + 128 random bits, URL-safe. */
export function generateInvitationId(): string {
  return 'inv_' + randomBytes(16).toString('base64url');
}

function toInvitationView(row: InvitationRow): InvitationView {
  const i = row.invitation;
  return {
    id: row.id,
    productKey: i.productKey,
    email: i.email,
    role: i.role,
    createdAt: i.createdAt.toISOString(),
    expiresAt: i.expiresAt.toISOString(),
    invitedBy: { uid: i.invitedBy.uid, displayName: i.invitedBy.displayName },
  };
}

function noSuchInvitation(): DumpcatcherError {
  // Same answer for "does not exist", "expired" and "addressed to someone else": ids are never confirmed.
  return new DumpcatcherError('not_found', 'No such invitation.');
}

/** Whether `row` is pending and addressed to the caller's verified Google address. */
function isFor(caller: Caller, row: InvitationRow | null, now: Date): row is InvitationRow {
  return (
    row !== null &&
    caller.email !== null &&
    row.invitation.email === caller.email &&
    row.invitation.expiresAt.getTime() > now.getTime()
  );
}

/**
 * Invites an address as a member or a viewer (owner only). The answer is the same whether or not anyone has
 * signed in with that address; inviting an address already pending answers that invitation.
 */
export async function inviteMember(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  body: InviteBody,
): Promise<{ created: boolean; invitation: InvitationView }> {
  const { product } = await loadProductFor(deps.store, caller, productKey, 'owner');
  // Members' (verified) addresses are already shown to the owner, so saying so reveals nothing.
  const members = await deps.store.getUsers(product.memberUids);
  if ([...members.values()].some((u) => u.email === body.email)) {
    throw new DumpcatcherError('conflict', 'This address already belongs to a member of the product.', {
      details: { field: 'email', reason: 'already_member' },
    });
  }
  const now = deps.clock();
  const fresh: InvitationRow = {
    id: generateInvitationId(),
    invitation: {
      productKey,
      email: body.email,
      role: body.role,
      invitedBy: { uid: caller.uid, displayName: caller.displayName },
      createdAt: now,
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
    },
  };
  const result = await deps.store.createInvitation(fresh, now, MAX_PENDING_INVITATIONS);
  if (result.kind === 'limit') {
    throw new DumpcatcherError(
      'conflict',
      `A product has at most ${MAX_PENDING_INVITATIONS} pending invitations; revoke one or wait until they are answered.`,
      { details: { maxPendingInvitations: MAX_PENDING_INVITATIONS } },
    );
  }
  return { created: result.kind === 'created', invitation: toInvitationView(result.row) };
}

/** The product's pending invitations (owner only). */
export async function listProductInvitations(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
): Promise<{ invitations: InvitationView[] }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const rows = await deps.store.listInvitationsOfProduct(productKey, deps.clock());
  return { invitations: rows.map(toInvitationView) };
}

/** Withdraws a pending invitation (owner only). */
export async function revokeInvitation(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  id: string,
): Promise<{ id: string; revoked: true }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const row = await deps.store.getInvitation(id);
  if (row === null || row.invitation.productKey !== productKey) throw noSuchInvitation();
  await deps.store.deleteInvitation(id);
  return { id, revoked: true };
}

/** The caller's pending invitations, matched only against their verified Google address. */
export async function listMyInvitations(
  deps: ApiDeps,
  caller: Caller,
): Promise<{ invitations: ReceivedInvitationView[] }> {
  if (caller.email === null) return { invitations: [] };
  const now = deps.clock();
  const rows = await deps.store.listInvitationsTo(caller.email, now);
  const invitations: ReceivedInvitationView[] = [];
  for (const row of rows) {
    const product = await deps.store.getProduct(row.invitation.productKey);
    // A product deleted since the invitation was sent leaves nothing to accept.
    if (product === null) continue;
    invitations.push({
      id: row.id,
      productKey: row.invitation.productKey,
      productName: product.name,
      email: row.invitation.email,
      role: row.invitation.role,
      invitedBy: { displayName: row.invitation.invitedBy.displayName },
      createdAt: row.invitation.createdAt.toISOString(),
      expiresAt: row.invitation.expiresAt.toISOString(),
    });
  }
  return { invitations };
}

/** Accepts an invitation addressed to the caller: they join with its role. Answers the product as `GET` does. */
export async function acceptInvitation(
  deps: ApiDeps,
  caller: Caller,
  id: string,
): Promise<ProductView & { members: MemberView[] }> {
  const now = deps.clock();
  const { productKey, product } = await deps.store.acceptInvitation(id, caller.uid, now, (row, current) => {
    if (!isFor(caller, row, now) || current === null) throw noSuchInvitation();
    if (!current.memberUids.includes(caller.uid) && current.memberUids.length >= MAX_MEMBERS) {
      throw new DumpcatcherError('conflict', `A product has at most ${MAX_MEMBERS} members.`, {
        details: { maxMembers: MAX_MEMBERS },
      });
    }
  });
  const role = roleOf(product, caller.uid) ?? 'viewer';
  return { ...toProductView(productKey, product, role), members: await membersOf(deps, product) };
}

/** Declines an invitation addressed to the caller; it is deleted. */
export async function declineInvitation(
  deps: ApiDeps,
  caller: Caller,
  id: string,
): Promise<{ id: string; declined: true }> {
  const row = await deps.store.getInvitation(id);
  if (!isFor(caller, row, deps.clock())) throw noSuchInvitation();
  await deps.store.deleteInvitation(id);
  return { id, declined: true };
}
