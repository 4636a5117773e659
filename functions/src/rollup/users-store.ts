import type { Auth } from 'firebase-admin/auth';
import { FieldPath, type Firestore } from 'firebase-admin/firestore';
import { z } from 'zod';
import { memberRemoval } from '../shared/firestore';
import { COLLECTIONS } from '../shared/paths';
import type { AuthStanding, UserSweepStore } from './user-sweep';

/** Where the sweep keeps its place: `rollupState/userSweep`. */
const CURSOR_DOC = 'userSweep';

const SweepCursorSchema = z.object({ after: z.string().min(1).nullable() });

/** The user sweep's reads and writes on Firestore and its lookups in Firebase Auth. */
export function createFirestoreUserSweepStore(db: Firestore, auth: Auth): UserSweepStore {
  const cursorRef = db.collection(COLLECTIONS.rollupState).doc(CURSOR_DOC);
  const users = db.collection(COLLECTIONS.users);
  const products = db.collection(COLLECTIONS.products);
  return {
    async readCursor() {
      const snap = await cursorRef.get();
      if (!snap.exists) return null;
      const parsed = SweepCursorSchema.safeParse(snap.data());
      // A cursor we cannot read only costs starting over.
      return parsed.success ? parsed.data.after : null;
    },

    async writeCursor(after) {
      await cursorRef.set({ after });
    },

    async listUserIds(after, limit) {
      let query = users.orderBy(FieldPath.documentId()).select().limit(limit);
      if (after !== null) query = query.startAfter(after);
      return (await query.get()).docs.map((d) => d.id);
    },

    async lookup(uids) {
      const found = await auth.getUsers(uids.map((uid) => ({ uid })));
      const out = new Map<string, AuthStanding>();
      for (const user of found.users) out.set(user.uid, user.disabled ? 'disabled' : 'active');
      return out;
    },

    async leaveProducts(uid, now) {
      const snap = await products.where('memberUids', 'array-contains', uid).get();
      const viewed = snap.docs.filter((d) => d.get('ownerUid') !== uid);
      await Promise.all(viewed.map((d) => d.ref.update(...memberRemoval(uid, now))));
      return viewed.length;
    },

    async deleteUser(uid) {
      await users.doc(uid).delete();
    },
  };
}
