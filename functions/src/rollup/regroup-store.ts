import type { Firestore } from 'firebase-admin/firestore';
import { RegroupRequestDocSchema } from '../grouping/retrace/schemas';
import { EnvironmentsDocSchema, IssueDocSchema } from '../grouping/schemas';
import { fieldsWithDates, parseStoredDoc } from '../shared/firestore';
import { COLLECTIONS, environmentsPath } from '../shared/paths';
import type { RegroupStore } from './regroup';
import { issueRowWrite, rowChanges } from './store';
import { headWrites } from '../grouping/list-heads-store';

/** Most requests one run reads; more wait for the next run. */
const MAX_REQUESTS = 100;

/**
 * Regrouping's reads and writes on Firestore: requests with one collection-group query (an idle
 * run pays one read), candidate issues by `retrace.mapId` (the automatic single-field index),
 * and each merge in one transaction (with the list rows of the issues it writes and deletes).
 */
export function createFirestoreRegroupStore(db: Firestore): RegroupStore {
  const product = (key: string) => db.collection(COLLECTIONS.products).doc(key);
  return {
    async listRequests() {
      const snap = await db.collectionGroup(COLLECTIONS.regroupRequests).limit(MAX_REQUESTS).get();
      return snap.docs.map((d) => parseStoredDoc(RegroupRequestDocSchema, d.ref.path, d.data()));
    },

    async deleteRequest(request) {
      const ref = product(request.productKey).collection(COLLECTIONS.regroupRequests).doc(request.mapId);
      await db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        const at: unknown = fieldsWithDates(snap.data()).requestedAt;
        if (at instanceof Date && at.getTime() === request.requestedAt.getTime()) tx.delete(ref);
      });
    },

    async listIssuesNeeding(productKey, mapId, limit) {
      const snap = await product(productKey)
        .collection(COLLECTIONS.issues)
        .where('retrace.mapId', '==', mapId)
        .limit(limit)
        .get();
      return snap.docs.map((d) => ({ id: d.id, issue: parseStoredDoc(IssueDocSchema, d.ref.path, d.data()) }));
    },

    async listEnvironments(productKey) {
      const snap = await db.doc(environmentsPath(productKey)).get();
      if (!snap.exists) return [];
      return parseStoredDoc(EnvironmentsDocSchema, snap.ref.path, snap.data()).environments.map((e) => e.name);
    },

    async getCrashes(productKey, ids) {
      if (ids.length === 0) return [];
      const crashes = product(productKey).collection(COLLECTIONS.crashes);
      const snaps = await db.getAll(...ids.map((id) => crashes.doc(id)));
      return snaps
        .filter((s) => s.exists)
        .map((s) => ({ path: s.ref.path, id: s.id, data: fieldsWithDates(s.data()) }));
    },

    async applyMerge(paths, activityOf, plan) {
      return db.runTransaction(async (tx) => {
        const snaps = await tx.getAll(...paths.map((p) => db.doc(p)));
        // The activity is read in the transaction too, so an entry added meanwhile is moved, not lost.
        const entries = await Promise.all(
          activityOf.map(async (issue) => (await tx.get(db.doc(issue).collection(COLLECTIONS.activity))).docs),
        );
        const current = new Map<string, unknown>();
        for (const snap of [...snaps, ...entries.flat()])
          if (snap.exists) current.set(snap.ref.path, fieldsWithDates(snap.data()));
        const writes = plan(current);
        if (writes === null) return false;
        // The list heads: the merged issue leaves its status's, the survivor moves in its own.
        const heads = await headWrites(tx, db, rowChanges(writes, current));
        for (const { ref, head } of heads) tx.set(ref, head);
        for (const [path, doc] of writes) {
          if (doc === null) tx.delete(db.doc(path));
          else tx.set(db.doc(path), doc);
          // A merged issue leaves the listing with its document; the survivor's row takes the merged counts.
          const row = issueRowWrite(path, doc);
          if (row?.row === null) tx.delete(db.doc(row.path));
          else if (row !== null) tx.set(db.doc(row.path), row.row);
        }
        return true;
      });
    },
  };
}
