import { DumpcatcherError } from '../../../functions/src/shared/errors';
import type { ProductDoc, SecretEntry, UserDoc } from '../../../functions/src/api/schemas';
import type { ApiStore, InvitationRow } from '../../../functions/src/api/deps';

/** Secrets and mirrored settings, as `productSecrets/{key}` holds them. */
export interface MemorySecrets {
  ownerUid: string;
  secrets: SecretEntry[];
  retentionDays: number;
  rateLimitPerMinute: number | null;
}

/** An in-memory `ApiStore` for unit tests of the core, with its state open for assertions. */
export function createMemoryStore() {
  const products = new Map<string, ProductDoc>();
  const secrets = new Map<string, MemorySecrets>();
  const users = new Map<string, UserDoc>();
  const invitations = new Map<string, InvitationRow>();
  const writes: string[] = [];
  const missing = () => new DumpcatcherError('not_found', 'No such product.');
  const pendingOf = (match: (r: InvitationRow) => boolean, now: Date): InvitationRow[] =>
    [...invitations.values()]
      .filter((r) => match(r) && r.invitation.expiresAt.getTime() > now.getTime())
      .sort((a, b) => a.invitation.createdAt.getTime() - b.invitation.createdAt.getTime())
      .map((r) => structuredClone(r));

  const store: ApiStore = {
    async createProduct(docs, maxOwned) {
      if (products.has(docs.productKey)) throw new Error('exists');
      const owned = [...products.values()].filter((p) => p.ownerUid === docs.product.ownerUid).length;
      if (owned >= maxOwned) return false;
      products.set(docs.productKey, structuredClone(docs.product));
      secrets.set(docs.productKey, structuredClone(docs.secrets));
      writes.push(`create ${docs.productKey}`);
      return true;
    },
    async getProduct(key) {
      const p = products.get(key);
      return p === undefined ? null : structuredClone(p);
    },
    async createInvitation(fresh, now, maxPending) {
      const pending = pendingOf((r) => r.invitation.productKey === fresh.invitation.productKey, now);
      const existing = pending.find((r) => r.invitation.email === fresh.invitation.email);
      if (existing !== undefined) return { kind: 'existing', row: existing };
      if (pending.length >= maxPending) return { kind: 'limit' };
      invitations.set(fresh.id, structuredClone(fresh));
      writes.push(`invite ${fresh.id}`);
      return { kind: 'created', row: structuredClone(fresh) };
    },
    async listInvitationsOfProduct(productKey, now) {
      return pendingOf((r) => r.invitation.productKey === productKey, now);
    },
    async listInvitationsTo(email, now) {
      return pendingOf((r) => r.invitation.email === email, now);
    },
    async getInvitation(id) {
      const row = invitations.get(id);
      return row === undefined ? null : structuredClone(row);
    },
    async deleteInvitation(id) {
      invitations.delete(id);
      writes.push(`uninvite ${id}`);
    },
    async acceptInvitation(id, uid, now, check) {
      const row = invitations.get(id) ?? null;
      const product = row === null ? null : (products.get(row.invitation.productKey) ?? null);
      check(row === null ? null : structuredClone(row), product === null ? null : structuredClone(product));
      if (row === null || product === null) throw new Error('accept checked nothing');
      if (!product.memberUids.includes(uid)) product.memberUids.push(uid);
      product.roles = { ...product.roles, [uid]: row.invitation.role };
      product.updatedAt = now;
      invitations.delete(id);
      writes.push(`accept ${id} ${uid}`);
      return { productKey: row.invitation.productKey, product: structuredClone(product) };
    },
    async listProductsOf(uid) {
      return [...products.entries()]
        .filter(([, p]) => p.memberUids.includes(uid))
        .sort(([, a], [, b]) => b.createdAt.getTime() - a.createdAt.getTime())
        .map(([productKey, product]) => ({ productKey, product: structuredClone(product) }));
    },
    async updateProduct(key, change) {
      const p = products.get(key);
      const s = secrets.get(key);
      if (p === undefined || s === undefined) throw missing();
      if (change.name !== undefined) p.name = change.name;
      p.updatedAt = change.updatedAt;
      p.settings = { ...p.settings, ...change.settings };
      if (change.settings?.retentionDays !== undefined) s.retentionDays = change.settings.retentionDays;
      if (change.settings?.rateLimitPerMinute !== undefined) s.rateLimitPerMinute = change.settings.rateLimitPerMinute;
      writes.push(`update ${key}`);
    },
    async updateSecrets(key, plan) {
      const s = secrets.get(key);
      if (s === undefined) return null;
      const next = plan(structuredClone(s.secrets));
      s.secrets = next.secrets;
      writes.push(`secrets ${key}`);
      return next.result;
    },
    async removeMember(key, uid, now) {
      const p = products.get(key);
      if (p === undefined) throw missing();
      p.memberUids = p.memberUids.filter((m) => m !== uid);
      if (p.roles !== undefined) delete p.roles[uid];
      p.updatedAt = now;
      writes.push(`remove ${key} ${uid}`);
    },
    async setMemberRole(key, uid, role, now) {
      const p = products.get(key);
      if (p === undefined) throw missing();
      p.roles = { ...p.roles, [uid]: role };
      p.updatedAt = now;
      writes.push(`role ${key} ${uid} ${role}`);
    },
    async deleteProduct(key) {
      secrets.delete(key);
      products.delete(key);
      writes.push(`delete ${key}`);
    },
    async getUsers(uids) {
      return new Map(uids.flatMap((uid) => (users.has(uid) ? [[uid, structuredClone(users.get(uid)!)] as const] : [])));
    },
    async getUser(uid) {
      const u = users.get(uid);
      return u === undefined ? null : structuredClone(u);
    },
    async upsertUser(uid, profile, now) {
      const existing = users.get(uid);
      users.set(uid, { ...profile, createdAt: existing?.createdAt ?? now, lastSeenAt: now });
      writes.push(`user ${uid}`);
    },
  };
  return { store, products, secrets, users, invitations, writes };
}
