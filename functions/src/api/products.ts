import { DumpcatcherError } from '../shared/errors';
import { buildNewProduct, generateSecret } from '../shared/product-docs';
import {
  type CreateProductBody,
  type ProductDoc,
  type ProductSettings,
  type RotateBody,
  type SecretEntry,
  type UpdateMemberBody,
  type UpdateProductBody,
} from './schemas';
import { loadProductFor, notFound, roleOf, type Caller, type Role } from './access';
import type { ApiDeps, ApiLimits } from './deps';
import type { ProductChange } from './deps';

/** A product as every read endpoint shows it: never with a secret. */
export interface ProductView {
  productKey: string;
  name: string;
  ownerUid: string;
  memberUids: string[];
  role: Role;
  createdAt: string;
  updatedAt: string;
  settings: ProductSettings;
}

/** One member as the product endpoints list them. */
export interface MemberView {
  uid: string;
  email: string | null;
  displayName: string | null;
  role: Role;
}

/** Limits used when none are configured (the defaults of the api's and the ingest's configuration). */
export const DEFAULT_LIMITS: ApiLimits = { maxProductsPerUser: 20, maxRateLimitPerMinute: 60_000 };

/** The read view of a product for a caller with `role`. */
export function toProductView(productKey: string, product: ProductDoc, role: Role): ProductView {
  return {
    productKey,
    name: product.name,
    ownerUid: product.ownerUid,
    memberUids: [...product.memberUids],
    role,
    createdAt: product.createdAt.toISOString(),
    updatedAt: product.updatedAt.toISOString(),
    settings: { ...product.settings },
  };
}

/** The product's members with their profiles. */
export async function membersOf(deps: ApiDeps, product: ProductDoc): Promise<MemberView[]> {
  const users = await deps.store.getUsers(product.memberUids);
  return product.memberUids.map((uid) => ({
    uid,
    email: users.get(uid)?.email ?? null,
    displayName: users.get(uid)?.displayName ?? null,
    role: roleOf(product, uid) ?? 'viewer',
  }));
}

/** Creates a product owned by the caller; the answer is the only place its secret is ever shown. */
export async function createProduct(
  deps: ApiDeps,
  caller: Caller,
  body: CreateProductBody,
): Promise<ProductView & { secret: string }> {
  const docs = buildNewProduct({ name: body.name, ownerUid: caller.uid, now: deps.clock() });
  const max = (deps.limits ?? DEFAULT_LIMITS).maxProductsPerUser;
  if (!(await deps.store.createProduct(docs, max))) {
    throw new DumpcatcherError('product_limit', `You already own ${max} products, the most one user may own here.`, {
      details: { maxProductsPerUser: max },
    });
  }
  return { ...toProductView(docs.productKey, docs.product, 'owner'), secret: docs.secret };
}

/** Every product the caller owns or views, newest first. */
export async function listProducts(deps: ApiDeps, caller: Caller): Promise<{ products: ProductView[] }> {
  const rows = await deps.store.listProductsOf(caller.uid);
  const products: ProductView[] = [];
  for (const row of rows) {
    const role = roleOf(row.product, caller.uid);
    if (role !== null) products.push(toProductView(row.productKey, row.product, role));
  }
  return { products };
}

/** One product with its members, for any member. */
export async function getProduct(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
): Promise<ProductView & { members: MemberView[] }> {
  const { product, role } = await loadProductFor(deps.store, caller, productKey, 'viewer');
  return { ...toProductView(productKey, product, role), members: await membersOf(deps, product) };
}

/** Renames a product or changes its settings (owner only); settings reach the ingest within its cache bound. */
export async function updateProduct(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  body: UpdateProductBody,
): Promise<ProductView> {
  const { product } = await loadProductFor(deps.store, caller, productKey, 'owner');
  const cap = (deps.limits ?? DEFAULT_LIMITS).maxRateLimitPerMinute;
  const asked = body.settings?.rateLimitPerMinute;
  if (typeof asked === 'number' && asked > cap) {
    // A product may lower the service's limit, never raise it past what the deployment was sized for.
    const message = `must be at most ${cap}, the service's own cap (DUMPCATCHER_RATE_PER_PRODUCT)`;
    throw new DumpcatcherError('invalid_body', `Invalid request body: settings.rateLimitPerMinute: ${message}.`, {
      details: { issues: [{ path: 'settings.rateLimitPerMinute', message }], maxRateLimitPerMinute: cap },
    });
  }
  const change: ProductChange = { updatedAt: deps.clock() };
  if (body.name !== undefined) change.name = body.name;
  if (body.settings !== undefined) {
    const settings: Partial<ProductSettings> = {};
    if (body.settings.retentionDays !== undefined) settings.retentionDays = body.settings.retentionDays;
    if (body.settings.rateLimitPerMinute !== undefined) settings.rateLimitPerMinute = body.settings.rateLimitPerMinute;
    change.settings = settings;
  }
  await deps.store.updateProduct(productKey, change);
  const updated: ProductDoc = {
    ...product,
    name: change.name ?? product.name,
    updatedAt: change.updatedAt,
    settings: { ...product.settings, ...change.settings },
  };
  return toProductView(productKey, updated, 'owner');
}

/**
 * The secrets after a rotation at `now`: the new one (no expiry) and the one that was current,
 * now expiring after `overlapSeconds`. Older secrets are dropped; with no overlap, so is the previous.
 */
export function planRotation(
  current: readonly SecretEntry[],
  input: { newSecret: string; now: Date; overlapSeconds: number },
): { secrets: SecretEntry[]; previousExpiresAt: Date | null } {
  const nowMs = input.now.getTime();
  const live = current.filter((s) => s.expiresAt === null || s.expiresAt.getTime() > nowMs);
  // The current secret is the one without expiry; failing that, the newest still alive.
  const previous =
    live.find((s) => s.expiresAt === null) ??
    [...live].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  const fresh: SecretEntry = { secret: input.newSecret, createdAt: input.now, expiresAt: null };
  if (previous === undefined) return { secrets: [fresh], previousExpiresAt: null };
  // A rotation never lengthens the life of a secret that already had an expiry.
  const overlapEndMs = nowMs + input.overlapSeconds * 1000;
  const previousExpiresAt = new Date(
    previous.expiresAt === null ? overlapEndMs : Math.min(previous.expiresAt.getTime(), overlapEndMs),
  );
  if (input.overlapSeconds === 0) return { secrets: [fresh], previousExpiresAt };
  return { secrets: [fresh, { ...previous, expiresAt: previousExpiresAt }], previousExpiresAt };
}

/** Issues a new secret (owner only); the previous one keeps working for the overlap. */
export async function rotateSecret(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  body: RotateBody,
): Promise<{ productKey: string; secret: string; previousExpiresAt: string | null; overlapSeconds: number }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  const newSecret = generateSecret();
  const now = deps.clock();
  const result = await deps.store.updateSecrets(productKey, (current) => {
    const plan = planRotation(current, { newSecret, now, overlapSeconds: body.overlapSeconds });
    return { secrets: plan.secrets, result: { previousExpiresAt: plan.previousExpiresAt } };
  });
  if (result === null) throw notFound();
  return {
    productKey,
    secret: newSecret,
    previousExpiresAt: result.previousExpiresAt?.toISOString() ?? null,
    overlapSeconds: body.overlapSeconds,
  };
}

/** Deletes a product and all its data (owner only). */
export async function deleteProduct(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
): Promise<{ productKey: string; deleted: true }> {
  await loadProductFor(deps.store, caller, productKey, 'owner');
  await deps.store.deleteProduct(productKey);
  // Its destinations went with the product's subcollections; their secrets and messages live outside it.
  await deps.alerts?.store.deleteProductAlerts(productKey);
  return { productKey, deleted: true };
}

/** The answer to a member leaving a product. */
export interface LeftView {
  productKey: string;
  uid: string;
  left: true;
}

/**
 * Removes a member or viewer: the owner may remove anyone but themself (answered with the product
 * and its members); anyone else may remove only themself, i.e. leave. The owner cannot be removed.
 */
export async function removeMember(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  uid: string,
): Promise<(ProductView & { members: MemberView[] }) | LeftView> {
  const leaving = uid === caller.uid;
  const { product, role } = await loadProductFor(deps.store, caller, productKey, leaving ? 'viewer' : 'owner');
  if (uid === product.ownerUid) {
    throw new DumpcatcherError('invalid_argument', 'The owner cannot be removed; delete the product instead.', {
      details: { uid },
    });
  }
  if (!product.memberUids.includes(uid))
    throw new DumpcatcherError('not_found', 'This user is not a member of the product.', { details: { uid } });
  await deps.store.removeMember(productKey, uid, deps.clock());
  if (role !== 'owner') return { productKey, uid, left: true };
  const roles = { ...product.roles };
  delete roles[uid];
  const updated = { ...product, memberUids: product.memberUids.filter((m) => m !== uid), roles };
  return { ...toProductView(productKey, updated, 'owner'), members: await membersOf(deps, updated) };
}

/**
 * Makes someone with access a member or a viewer (owner only); answered with the product and its
 * members. The owner's own role cannot change (400); a uid without access is 404.
 */
export async function updateMemberRole(
  deps: ApiDeps,
  caller: Caller,
  productKey: string,
  uid: string,
  body: UpdateMemberBody,
): Promise<ProductView & { members: MemberView[] }> {
  const { product } = await loadProductFor(deps.store, caller, productKey, 'owner');
  if (uid === product.ownerUid) {
    throw new DumpcatcherError('invalid_argument', "The owner's role cannot change.", { details: { uid } });
  }
  if (!product.memberUids.includes(uid))
    throw new DumpcatcherError('not_found', 'This user is not a member of the product.', { details: { uid } });
  const now = deps.clock();
  await deps.store.setMemberRole(productKey, uid, body.role, now);
  const updated = { ...product, roles: { ...product.roles, [uid]: body.role }, updatedAt: now };
  return { ...toProductView(productKey, updated, 'owner'), members: await membersOf(deps, updated) };
}
