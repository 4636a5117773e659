import {
  FieldPath,
  Timestamp,
  type DocumentData,
  type DocumentSnapshot,
  type Firestore,
  type Query,
} from 'firebase-admin/firestore';
import { ActivityDocSchema, ProductDocSchema, UserDocSchema, type ActivityDoc, type UserDoc } from './schemas';
import { ALL_SHARDS, COLLECTIONS, shardCursorId, shardCursorsId } from '../shared/paths';
import { fieldsWithDates, fromMicros, parseStoredDoc, toMicros, withDates } from '../shared/firestore';
import {
  IssueDocSchema,
  IssueRowDocSchema,
  issueRowOf,
  MergedIssueDocSchema,
  type Cursor,
  type IssueDoc,
} from '../grouping/schemas';
import { carryOverShardCursors, parseShardCursors } from '../grouping/shard-cursors';
import { headWrites, listHeadRef, parseListHead } from '../grouping/list-heads-store';
import type { InsightsStore } from './deps';

function parseIssue(path: string, data: DocumentData | undefined): IssueDoc {
  return parseStoredDoc(IssueDocSchema, path, data);
}

/** The rollup's documents (issues, stats) and raw crashes, as the api reads them; issue status changes. */
export function createFirestoreInsightsStore(db: Firestore): InsightsStore {
  const product = (key: string) => db.collection(COLLECTIONS.products).doc(key);
  return {
    async getProduct(productKey) {
      const snap = await product(productKey).get();
      if (!snap.exists) return null;
      const result = ProductDocSchema.safeParse(withDates(snap.data()));
      if (!result.success) throw new Error(`malformed document ${snap.ref.path}`);
      return result.data;
    },

    async listIssues(productKey, query) {
      // Ties on the sort value are broken by id, in the same direction, so a cursor is exact;
      // status + order needs the composite indexes in firestore.indexes.json, the order alone
      // the automatic single-field ones; a token, the ones beginning with searchTokens. The list
      // rows (issueRows) hold only what a row shows, filters on and sorts by, so each scanned
      // document is small (performance.md).
      const issues = product(productKey).collection(COLLECTIONS[query.from]);
      let q: Query = query.token === undefined ? issues : issues.where('searchTokens', 'array-contains', query.token);
      if (query.status !== undefined) q = q.where('status', '==', query.status);
      q = q.orderBy(query.sort, 'desc').orderBy(FieldPath.documentId(), 'desc');
      if (query.after !== null) {
        const value = query.sort === 'lastSeen' ? Timestamp.fromMillis(query.after.value) : query.after.value;
        q = q.startAfter(value, issues.doc(query.after.id));
      }
      const snap = await q.limit(query.limit).get();
      return snap.docs.map((d) => ({
        id: d.id,
        issue:
          query.from === 'issueRows'
            ? parseStoredDoc(IssueRowDocSchema, d.ref.path, d.data())
            : issueRowOf(parseIssue(d.ref.path, d.data())),
      }));
    },

    async getListHead(productKey, id) {
      const snap = await listHeadRef(db, productKey, id).get();
      return snap.exists ? parseListHead(snap.ref.path, snap.data()) : null;
    },

    async putListHead(productKey, id, seenVersion, head) {
      const ref = listHeadRef(db, productKey, id);
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        // A row changed since the head was read (its version moved): the query may have missed it.
        const version = snap.exists ? parseListHead(ref.path, snap.data()).version : 0;
        if (version !== seenVersion) return false;
        tx.set(ref, { ...head, version });
        return true;
      });
    },

    async getUser(uid) {
      const snap = await db.collection(COLLECTIONS.users).doc(uid).get();
      return snap.exists ? parseStoredDoc<UserDoc>(UserDocSchema, snap.ref.path, snap.data()) : null;
    },

    async getIssue(productKey, id) {
      const snap = await product(productKey).collection(COLLECTIONS.issues).doc(id).get();
      return snap.exists ? parseIssue(snap.ref.path, snap.data()) : null;
    },

    async getMergedInto(productKey, id) {
      const snap = await product(productKey).collection(COLLECTIONS.mergedIssues).doc(id).get();
      return snap.exists ? parseStoredDoc(MergedIssueDocSchema, snap.ref.path, snap.data()).mergedInto : null;
    },

    async listIssuesBetween(productKey, field, from, until, limit) {
      // One range on one field: served by the automatic single-field index.
      let q: Query = product(productKey).collection(COLLECTIONS.issues).where(field, '>=', from);
      if (until !== null) q = q.where(field, '<', until);
      const snap = await q.orderBy(field, 'desc').limit(limit).get();
      return snap.docs.map((d) => ({ id: d.id, issue: parseIssue(d.ref.path, d.data()) }));
    },

    async getCrashes(productKey, ids) {
      if (ids.length === 0) return [];
      const crashes = product(productKey).collection(COLLECTIONS.crashes);
      const snaps = await db.getAll(...ids.map((id) => crashes.doc(id)));
      return snaps.filter((s) => s.exists).map((s) => ({ id: s.id, data: fieldsWithDates(s.data()) }));
    },

    async updateIssue(productKey, id, decide) {
      const ref = product(productKey).collection(COLLECTIONS.issues).doc(id);
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return null;
        const issue = parseIssue(ref.path, snap.data());
        const { change, activity } = decide(issue);
        // Assigning the assignee it already has changes nothing.
        const updated = { ...issue, ...change };
        if (Object.keys(change).length > 0) {
          const row = issueRowOf(updated);
          // The list heads of the status it leaves and the one it joins, read before any write.
          const heads = await headWrites(tx, db, [{ productKey, id, was: issue.status, row }]);
          tx.update(ref, { ...change });
          tx.set(product(productKey).collection(COLLECTIONS.issueRows).doc(id), row);
          for (const { ref: headRef, head } of heads) tx.set(headRef, head);
        }
        // An entry with its own id is set, not created: the same entry may already be there.
        for (const { entry, id: own } of activity)
          if (own === undefined) tx.create(ref.collection(COLLECTIONS.activity).doc(), entry);
          else tx.set(ref.collection(COLLECTIONS.activity).doc(own), entry);
        return updated;
      });
    },

    async addActivity(productKey, issueId, entry) {
      const ref = product(productKey).collection(COLLECTIONS.issues).doc(issueId);
      return db.runTransaction(async (tx) => {
        // Read in the transaction, so a comment never lands under an issue deleted meanwhile.
        if (!(await tx.get(ref)).exists) return null;
        const added = ref.collection(COLLECTIONS.activity).doc();
        tx.create(added, entry);
        return { id: added.id };
      });
    },

    async listActivity(productKey, issueId, query) {
      // One field and the id, both descending: the automatic single-field index serves it.
      const activity = product(productKey).collection(COLLECTIONS.issues).doc(issueId).collection(COLLECTIONS.activity);
      let q: Query = activity.orderBy('at', 'desc').orderBy(FieldPath.documentId(), 'desc');
      if (query.after !== null) q = q.startAfter(Timestamp.fromMillis(query.after.atMs), activity.doc(query.after.id));
      const snap = await q.limit(query.limit).get();
      return snap.docs.map((d) => ({
        id: d.id,
        activity: parseStoredDoc<ActivityDoc>(ActivityDocSchema, d.ref.path, d.data()),
      }));
    },

    async listCrashes(productKey, query) {
      // receivedAt is indexed only behind the shard (write-rate limit, see data-model.md); `in`
      // merges the 8 shard ranges in the backend, so an empty poll is billed as one read.
      const crashes = product(productKey).collection(COLLECTIONS.crashes);
      // One environment: the composite index (environment, shard, receivedAt DESC).
      const scoped = query.environment === undefined ? crashes : crashes.where('environment', '==', query.environment);
      let q = scoped
        .where('shard', 'in', ALL_SHARDS)
        .orderBy('receivedAt', 'desc')
        .orderBy(FieldPath.documentId(), 'desc');
      if (query.after !== null) q = q.endBefore(fromMicros(query.after.receivedAtUs), crashes.doc(query.after.id));
      const snap = await q.limit(query.limit).get();
      return snap.docs.map((d) => {
        const at: unknown = d.get('receivedAt');
        return { id: d.id, data: fieldsWithDates(d.data()), receivedAtUs: at instanceof Timestamp ? toMicros(at) : 0 };
      });
    },

    async getRollupPositions() {
      // One cursor per index shard, all in the stream's shard cursors document; a deployment
      // that has had no rollup run since they shared a document still has those of before.
      const state = db.collection(COLLECTIONS.rollupState);
      const shared = await state.doc(shardCursorsId('crashes')).get();
      const data = (snap: DocumentSnapshot) => (snap.exists ? withDates(snap.data()) : undefined);
      let cursors: Array<Cursor | null>;
      if (shared.exists) cursors = parseShardCursors(shared.ref.path, data(shared), ALL_SHARDS.length);
      else {
        const [single, ...perShard] = await db.getAll(
          state.doc('crashes'),
          ...ALL_SHARDS.map((shard) => state.doc(shardCursorId('crashes', shard))),
        );
        cursors = carryOverShardCursors(
          perShard.map((snap) => ({ path: snap.ref.path, data: data(snap) })),
          { path: single!.ref.path, data: data(single!) },
        );
      }
      return cursors.map((cursor) => (cursor === null ? null : { receivedAt: cursor.receivedAt, path: cursor.path }));
    },

    async getStats(productKey, ids) {
      const stats = product(productKey).collection(COLLECTIONS.stats);
      const snaps = ids.length === 0 ? [] : await db.getAll(...ids.map((id) => stats.doc(id)));
      return new Map(snaps.filter((s) => s.exists).map((s) => [s.id, fieldsWithDates(s.data())]));
    },
  };
}
