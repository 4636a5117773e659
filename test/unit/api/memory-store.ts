import { DumpcatcherError } from '../../../functions/src/shared/errors';
import type { ApiStore } from '../../../functions/src/api/products';
import type { ProductDoc, SecretEntry, UserDoc } from '../../../functions/src/api/schemas';

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
  const authEmails = new Map<string, string>();
  const writes: string[] = [];
  const missing = () => new DumpcatcherError('not_found', 'No such product.');

  const store: ApiStore = {
    async createProduct(docs) {
      if (products.has(docs.productKey)) throw new Error('exists');
      products.set(docs.productKey, structuredClone(docs.product));
      secrets.set(docs.productKey, structuredClone(docs.secrets));
      writes.push(`create ${docs.productKey}`);
    },
    async getProduct(key) {
      const p = products.get(key);
      return p === undefined ? null : structuredClone(p);
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
    async addMember(key, uid, now) {
      const p = products.get(key);
      if (p === undefined) throw missing();
      if (!p.memberUids.includes(uid)) p.memberUids.push(uid);
      p.updatedAt = now;
      writes.push(`add ${key} ${uid}`);
    },
    async removeMember(key, uid, now) {
      const p = products.get(key);
      if (p === undefined) throw missing();
      p.memberUids = p.memberUids.filter((m) => m !== uid);
      p.updatedAt = now;
      writes.push(`remove ${key} ${uid}`);
    },
    async deleteProduct(key) {
      secrets.delete(key);
      products.delete(key);
      writes.push(`delete ${key}`);
    },
    async getUsers(uids) {
      return new Map(uids.flatMap((uid) => (users.has(uid) ? [[uid, structuredClone(users.get(uid)!)] as const] : [])));
    },
    async findUidByEmail(email) {
      for (const [uid, u] of users) if (u.email === email) return uid;
      return authEmails.get(email.toLowerCase()) ?? null;
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
  return { store, products, secrets, users, authEmails, writes };
}
