/**
 * Who may do what: the caller, their role on a product, and the one check every route makes
 * before it reads or changes a product's data.
 */
import { DumpcatcherError } from '../shared/errors';
import type { ProductDoc } from './schemas';

/** Who is calling: a verified Firebase user. */
export interface Caller {
  uid: string;
  /** The caller's verified Google address, normalised; null for any other (see `verifiedGoogleEmail`). */
  email: string | null;
  displayName: string | null;
  signInProvider: string;
}

/**
 * A caller's relation to a product, least to most: a viewer reads; a member also triages issues
 * (status, assignee, comments); the owner also manages the product, its keys, people, alerts and mappings.
 */
export type Role = 'owner' | 'member' | 'viewer';

const RANK: Record<Role, number> = { viewer: 0, member: 1, owner: 2 };

/** Reads a product by key (the api's store and the insights store both can). */
export interface ProductReader {
  getProduct(productKey: string): Promise<ProductDoc | null>;
}

/** The answer for "does not exist" and "not yours" alike, so a key's existence is not revealed. */
export function notFound(): DumpcatcherError {
  return new DumpcatcherError('not_found', 'No such product.');
}

/**
 * The caller's role on `product`, or null when they have no access. Everyone with access is in
 * `memberUids`; `roles` names those who are members, and anyone else there (all who joined
 * before roles existed) is a viewer.
 */
export function roleOf(product: ProductDoc, uid: string): Role | null {
  if (product.ownerUid === uid) return 'owner';
  if (!product.memberUids.includes(uid)) return null;
  return product.roles?.[uid] ?? 'viewer';
}

/** Whether `role` may do what needs `need`. */
export function mayAct(role: Role, need: Role): boolean {
  return RANK[role] >= RANK[need];
}

/**
 * Loads a product the caller has access to, with their role; 404 for anyone else, 403 when
 * their role is below `need`.
 */
export async function loadProductFor(
  products: ProductReader,
  caller: Caller,
  productKey: string,
  need: Role,
): Promise<{ product: ProductDoc; role: Role }> {
  const product = await products.getProduct(productKey);
  const role = product === null ? null : roleOf(product, caller.uid);
  if (product === null || role === null) throw notFound();
  if (!mayAct(role, need)) {
    const message =
      need === 'owner' ? 'Only the product owner may do this.' : 'Only the owner or a member may do this.';
    throw new DumpcatcherError('permission_denied', message, { details: { role, need } });
  }
  return { product, role };
}
