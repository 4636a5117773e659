import type { Auth } from 'firebase-admin/auth';
import { FieldValue, Timestamp, type DocumentData, type Firestore, type UpdateData } from 'firebase-admin/firestore';
import { DumpcatcherError } from '../shared/errors';
import { isAlreadyExists } from '../shared/firestore';
import { COLLECTIONS } from '../shared/paths';
import type { ApiStore } from './products';
import { ProductDocSchema, SecretEntrySchema, UserDocSchema, type ProductDoc, type UserDoc } from './schemas';

/** Time allowed, beyond the ingest's cache bound, for a report accepted just before it to be written. */
const LATE_WRITE_MARGIN_MS = 1000;

/** Most products one listing returns. */
export const MAX_LISTED_PRODUCTS = 200;

/** Firestore Timestamps (at any depth) turned into Dates, so documents can be checked with zod. */
function withDates(value: unknown): unknown {
  if (value instanceof Timestamp) return value.toDate();
  if (Array.isArray(value)) return value.map(withDates);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDates(v)]));
  return value;
}

function parseDoc<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[] }> } };
  },
  path: string,
  data: DocumentData | undefined,
): T {
  const result = schema.safeParse(withDates(data));
  if (!result.success)
    throw new Error(`malformed document ${path}: ${result.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return result.data;
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 5 || code === 'not-found' || code === 'NOT_FOUND';
}

/** Runs an update of `products/{key}`, turning "the document is gone" (deleted meanwhile) into a 404. */
async function updateExisting(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (isNotFound(err)) throw new DumpcatcherError('not_found', 'No such product.');
    throw err;
  }
}

function isAuthUserNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'auth/user-not-found';
}

/** The api's reads and writes on Firestore (and the Auth user directory for email lookups). */
export function createFirestoreApiStore(db: Firestore, auth: Auth, options: { ingestCacheMs: number }): ApiStore {
  const products = db.collection(COLLECTIONS.products);
  const secrets = db.collection(COLLECTIONS.productSecrets);
  const users = db.collection(COLLECTIONS.users);

  return {
    async createProduct(docs) {
      const batch = db.batch();
      batch.create(products.doc(docs.productKey), docs.product);
      batch.create(secrets.doc(docs.productKey), docs.secrets);
      await batch.commit();
    },

    async getProduct(productKey) {
      const snap = await products.doc(productKey).get();
      return snap.exists ? parseDoc<ProductDoc>(ProductDocSchema, snap.ref.path, snap.data()) : null;
    },

    async listProductsOf(uid) {
      // Needs the composite index (memberUids CONTAINS, createdAt DESC) in firestore.indexes.json.
      const snap = await products
        .where('memberUids', 'array-contains', uid)
        .orderBy('createdAt', 'desc')
        .limit(MAX_LISTED_PRODUCTS)
        .get();
      return snap.docs.map((d) => ({
        productKey: d.id,
        product: parseDoc<ProductDoc>(ProductDocSchema, d.ref.path, d.data()),
      }));
    },

    async updateProduct(productKey, change) {
      const productUpdate: UpdateData<DocumentData> = { updatedAt: change.updatedAt };
      const secretsUpdate: UpdateData<DocumentData> = {};
      if (change.name !== undefined) productUpdate.name = change.name;
      if (change.settings?.retentionDays !== undefined) {
        productUpdate['settings.retentionDays'] = change.settings.retentionDays;
        secretsUpdate.retentionDays = change.settings.retentionDays;
      }
      if (change.settings?.rateLimitPerMinute !== undefined) {
        productUpdate['settings.rateLimitPerMinute'] = change.settings.rateLimitPerMinute;
        secretsUpdate.rateLimitPerMinute = change.settings.rateLimitPerMinute;
      }
      const batch = db.batch();
      batch.update(products.doc(productKey), productUpdate);
      if (Object.keys(secretsUpdate).length > 0) batch.update(secrets.doc(productKey), secretsUpdate);
      await updateExisting(() => batch.commit());
    },

    async updateSecrets(productKey, plan) {
      const ref = secrets.doc(productKey);
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return null;
        const raw = withDates(snap.get('secrets'));
        const current = SecretEntrySchema.array().safeParse(raw);
        if (!current.success) throw new Error(`malformed document ${ref.path}: secrets`);
        const next = plan(current.data);
        tx.update(ref, { secrets: next.secrets });
        return next.result;
      });
    },

    async addMember(productKey, uid, now) {
      await updateExisting(() =>
        products.doc(productKey).update({ memberUids: FieldValue.arrayUnion(uid), updatedAt: now }),
      );
    },

    async removeMember(productKey, uid, now) {
      await updateExisting(() =>
        products.doc(productKey).update({ memberUids: FieldValue.arrayRemove(uid), updatedAt: now }),
      );
    },

    async deleteProduct(productKey) {
      const productRef = products.doc(productKey);
      // Secrets first: from here on the ingest refuses the key, once its cache has expired.
      await secrets.doc(productKey).delete();
      const secretsGoneMs = Date.now();
      // BulkWriter batches and throttles the deletes, so any number of documents fits in memory.
      const writer = db.bulkWriter();
      try {
        for (const sub of await productRef.listCollections()) await db.recursiveDelete(sub, writer);
        // An ingest instance that cached the secrets may still accept reports until its cache
        // expires; sweep again after that, so none is left behind. The product document goes
        // last, so a deletion that failed half-way can be retried through the api.
        const waitMs = secretsGoneMs + options.ingestCacheMs + LATE_WRITE_MARGIN_MS - Date.now();
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        await db.recursiveDelete(productRef, writer);
      } finally {
        await writer.close();
      }
    },

    async getUsers(uids) {
      const out = new Map<string, UserDoc>();
      if (uids.length === 0) return out;
      const snaps = await db.getAll(...uids.map((uid) => users.doc(uid)));
      for (const snap of snaps)
        if (snap.exists) out.set(snap.id, parseDoc<UserDoc>(UserDocSchema, snap.ref.path, snap.data()));
      return out;
    },

    async findUidByEmail(email) {
      const snap = await users.where('email', '==', email).limit(1).get();
      const first = snap.docs[0];
      if (first !== undefined) return first.id;
      try {
        // Auth compares emails case-insensitively and knows users who have not called the api yet.
        return (await auth.getUserByEmail(email)).uid;
      } catch (err) {
        if (isAuthUserNotFound(err)) return null;
        throw err;
      }
    },

    async getUser(uid) {
      const snap = await users.doc(uid).get();
      return snap.exists ? parseDoc<UserDoc>(UserDocSchema, snap.ref.path, snap.data()) : null;
    },

    async upsertUser(uid, profile, now) {
      const ref = users.doc(uid);
      try {
        await ref.create({ email: profile.email, displayName: profile.displayName, createdAt: now, lastSeenAt: now });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        await ref.update({ email: profile.email, displayName: profile.displayName, lastSeenAt: now });
      }
    },
  };
}
