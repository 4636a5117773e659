import { FieldPath, FieldValue, type DocumentData, type Firestore, type UpdateData } from 'firebase-admin/firestore';
import { DumpcatcherError } from '../shared/errors';
import { isAlreadyExists, memberRemoval, parseStoredDoc, withDates } from '../shared/firestore';
import { COLLECTIONS } from '../shared/paths';
import {
  InvitationDocSchema,
  ProductDocSchema,
  SecretEntrySchema,
  UserDocSchema,
  type InvitationDoc,
  type ProductDoc,
  type UserDoc,
} from './schemas';
import type { ApiStore, InvitationRow } from './deps';

/** Time allowed, beyond the ingest's cache bound, for a report accepted just before it to be written. */
const LATE_WRITE_MARGIN_MS = 1000;

/** Most products one listing returns. */
export const MAX_LISTED_PRODUCTS = 200;

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

/** Pending rows, oldest first: expired invitations wait for Firestore's TTL deletion but count for nothing. */
function pendingRows(
  docs: Array<{ id: string; ref: { path: string }; data(): DocumentData }>,
  now: Date,
): InvitationRow[] {
  return docs
    .map((d) => ({ id: d.id, invitation: parseStoredDoc<InvitationDoc>(InvitationDocSchema, d.ref.path, d.data()) }))
    .filter((r) => r.invitation.expiresAt.getTime() > now.getTime())
    .sort((a, b) => a.invitation.createdAt.getTime() - b.invitation.createdAt.getTime());
}

/** Most invitations one query reads; pending ones are capped far below this per product. */
const MAX_READ_INVITATIONS = 500;

/** The api's reads and writes on Firestore. */
export function createFirestoreApiStore(db: Firestore, options: { ingestCacheMs: number }): ApiStore {
  const products = db.collection(COLLECTIONS.products);
  const secrets = db.collection(COLLECTIONS.productSecrets);
  const users = db.collection(COLLECTIONS.users);
  const invitations = db.collection(COLLECTIONS.invitations);

  return {
    async createProduct(docs, maxOwned) {
      // In a transaction, so two creations at once cannot both pass the count.
      return db.runTransaction(async (tx) => {
        const owned = await tx.get(products.where('ownerUid', '==', docs.product.ownerUid).limit(maxOwned));
        if (owned.size >= maxOwned) return false;
        tx.create(products.doc(docs.productKey), docs.product);
        tx.create(secrets.doc(docs.productKey), docs.secrets);
        return true;
      });
    },

    async getProduct(productKey) {
      const snap = await products.doc(productKey).get();
      return snap.exists ? parseStoredDoc<ProductDoc>(ProductDocSchema, snap.ref.path, snap.data()) : null;
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
        product: parseStoredDoc<ProductDoc>(ProductDocSchema, d.ref.path, d.data()),
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

    async removeMember(productKey, uid, now) {
      await updateExisting(() => products.doc(productKey).update(...memberRemoval(uid, now)));
    },

    async setMemberRole(productKey, uid, role, now) {
      await updateExisting(() =>
        products.doc(productKey).update(new FieldPath('roles', uid), role, new FieldPath('updatedAt'), now),
      );
    },

    async deleteProduct(productKey) {
      const productRef = products.doc(productKey);
      // Secrets first: from here on the ingest refuses the key, once its cache has expired.
      await secrets.doc(productKey).delete();
      const pending = await invitations.where('productKey', '==', productKey).get();
      await Promise.all(pending.docs.map((d) => d.ref.delete()));
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
        if (snap.exists) out.set(snap.id, parseStoredDoc<UserDoc>(UserDocSchema, snap.ref.path, snap.data()));
      return out;
    },

    async getUser(uid) {
      const snap = await users.doc(uid).get();
      return snap.exists ? parseStoredDoc<UserDoc>(UserDocSchema, snap.ref.path, snap.data()) : null;
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

    async createInvitation(fresh, now, maxPending) {
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(
          invitations.where('productKey', '==', fresh.invitation.productKey).limit(MAX_READ_INVITATIONS),
        );
        const pending = pendingRows(snap.docs, now);
        const existing = pending.find((r) => r.invitation.email === fresh.invitation.email);
        if (existing !== undefined) return { kind: 'existing' as const, row: existing };
        if (pending.length >= maxPending) return { kind: 'limit' as const };
        tx.create(invitations.doc(fresh.id), fresh.invitation);
        return { kind: 'created' as const, row: fresh };
      });
    },

    async listInvitationsOfProduct(productKey, now) {
      const snap = await invitations.where('productKey', '==', productKey).limit(MAX_READ_INVITATIONS).get();
      return pendingRows(snap.docs, now);
    },

    async listInvitationsTo(email, now) {
      const snap = await invitations.where('email', '==', email).limit(MAX_READ_INVITATIONS).get();
      return pendingRows(snap.docs, now);
    },

    async getInvitation(id) {
      const snap = await invitations.doc(id).get();
      if (!snap.exists) return null;
      return { id, invitation: parseStoredDoc<InvitationDoc>(InvitationDocSchema, snap.ref.path, snap.data()) };
    },

    async deleteInvitation(id) {
      await invitations.doc(id).delete();
    },

    async acceptInvitation(id, uid, now, check) {
      return db.runTransaction(async (tx) => {
        const invitationRef = invitations.doc(id);
        const invitationSnap = await tx.get(invitationRef);
        const row = invitationSnap.exists
          ? {
              id,
              invitation: parseStoredDoc<InvitationDoc>(InvitationDocSchema, invitationRef.path, invitationSnap.data()),
            }
          : null;
        const productRef = row === null ? null : products.doc(row.invitation.productKey);
        const productSnap = productRef === null ? null : await tx.get(productRef);
        const product =
          productSnap?.exists === true
            ? parseStoredDoc<ProductDoc>(ProductDocSchema, productSnap.ref.path, productSnap.data())
            : null;
        check(row, product);
        // check() refuses a missing invitation or product, so both exist from here on.
        if (row === null || product === null || productRef === null) throw new Error('accept checked nothing');
        const joined = product.memberUids.includes(uid) ? product.memberUids : [...product.memberUids, uid];
        const role = row.invitation.role;
        tx.update(
          productRef,
          new FieldPath('memberUids'),
          FieldValue.arrayUnion(uid),
          new FieldPath('roles', uid),
          role,
          new FieldPath('updatedAt'),
          now,
        );
        tx.delete(invitationRef);
        return {
          productKey: row.invitation.productKey,
          product: { ...product, memberUids: joined, roles: { ...product.roles, [uid]: role }, updatedAt: now },
        };
      });
    },
  };
}
