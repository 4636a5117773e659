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

/** A caller's relation to a product. */
export type Role = 'owner' | 'viewer';

/** Reads a product by key (the api's store and the insights store both can). */
export interface ProductReader {
  getProduct(productKey: string): Promise<ProductDoc | null>;
}

/** The answer for "does not exist" and "not yours" alike, so a key's existence is not revealed. */
export function notFound(): DumpcatcherError {
  return new DumpcatcherError('not_found', 'No such product.');
}

/** The caller's role on `product`, or null when the caller is not a member. */
export function roleOf(product: ProductDoc, uid: string): Role | null {
  if (product.ownerUid === uid) return 'owner';
  return product.memberUids.includes(uid) ? 'viewer' : null;
}

/** Loads a product the caller is a member of, with their role; 404 for anyone else, 403 when `need` is owner. */
export async function loadProductFor(
  products: ProductReader,
  caller: Caller,
  productKey: string,
  need: Role,
): Promise<{ product: ProductDoc; role: Role }> {
  const product = await products.getProduct(productKey);
  const role = product === null ? null : roleOf(product, caller.uid);
  if (product === null || role === null) throw notFound();
  if (need === 'owner' && role !== 'owner') {
    throw new DumpcatcherError('permission_denied', 'Only the product owner may do this.', { details: { role } });
  }
  return { product, role };
}
