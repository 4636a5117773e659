import { FieldPath, Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import { ALL_SHARDS, COLLECTIONS } from '../shared/paths';
import { fieldsWithDates, fromMicros, toMicros } from '../shared/firestore';
import type { RollupStore } from './rollup';
import { CursorSchema, type Cursor, type RollupStream } from '../grouping/schemas';

// Only what the rollup uses is transferred (reads are billed per document either way).
const FIELDS: Record<RollupStream, string[]> = {
  crashes: [
    'productKey',
    'clientId',
    'installId',
    'receivedAt',
    'exception.type',
    'exception.message',
    'exception.stacktrace',
    'app.version',
    'label',
    'runtime.name',
    'fingerprint',
    // For the search tokens (grouping/search-tokens.ts).
    'app.name',
    'environment',
    'tags',
  ],
  usage: ['productKey', 'clientId', 'installId', 'receivedAt', 'metrics', 'environment'],
  sessions: ['productKey', 'clientId', 'installId', 'receivedAt', 'app.version', 'sessions', 'environment'],
};

function sameCursor(a: Cursor | null, b: Cursor | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.path === b.path &&
    a.receivedAt.getTime() === b.receivedAt.getTime() &&
    a.receivedAtUs === b.receivedAtUs &&
    a.processed === b.processed
  );
}

function parseCursor(path: string, data: DocumentData | undefined): Cursor | null {
  if (data === undefined) return null;
  const result = CursorSchema.safeParse(fieldsWithDates(data));
  if (!result.success) throw new Error(`malformed cursor ${path}`);
  return result.data;
}

/**
 * The rollup's reads and writes on Firestore. Reports are listed with one collection-group
 * query per batch over every index shard, in (receivedAt, path) order (needs the
 * (shard, receivedAt) collection-group index in firestore.indexes.json);
 * each batch's aggregates and cursor are written in one transaction.
 */
export function createFirestoreRollupStore(db: Firestore): RollupStore {
  const counts = { reads: 0, writes: 0 };
  const cursorRef = (stream: RollupStream) => db.collection(COLLECTIONS.rollupState).doc(stream);
  return {
    async readCursor(stream) {
      const snap = await cursorRef(stream).get();
      counts.reads++;
      return { cursor: parseCursor(snap.ref.path, snap.data()), readTime: snap.readTime.toDate() };
    },

    async listReports(stream, after, horizon, limit) {
      let query = db
        .collectionGroup(COLLECTIONS[stream])
        .where('shard', 'in', ALL_SHARDS)
        .where('receivedAt', '<=', horizon)
        .orderBy('receivedAt')
        .orderBy(FieldPath.documentId());
      if (after !== null) {
        const at =
          after.receivedAtUs === undefined ? Timestamp.fromDate(after.receivedAt) : fromMicros(after.receivedAtUs);
        query = query.startAfter(at, db.doc(after.path));
      }
      const snap = await query
        .select(...FIELDS[stream])
        .limit(limit)
        .get();
      counts.reads += Math.max(1, snap.size); // an empty answer is billed as one read
      return snap.docs.map((doc) => {
        const at: unknown = doc.get('receivedAt');
        const data = fieldsWithDates(doc.data());
        return {
          path: doc.ref.path,
          id: doc.id,
          receivedAt: data.receivedAt as Date,
          ...(at instanceof Timestamp ? { receivedAtUs: toMicros(at) } : {}),
          data,
        };
      });
    },

    async commitBatch({ stream, expected, next, paths, productKeys, plan }) {
      const ref = cursorRef(stream);
      const products = db.collection(COLLECTIONS.products);
      let written = 0;
      const outcome = await db.runTransaction(async (tx) => {
        const refs = [ref, ...productKeys.map((key) => products.doc(key)), ...paths.map((path) => db.doc(path))];
        const snaps = await tx.getAll(...refs);
        counts.reads += snaps.length;
        if (!sameCursor(parseCursor(ref.path, snaps[0]?.data()), expected)) return 'stale' as const;
        const live = new Set<string>();
        snaps.slice(1, 1 + productKeys.length).forEach((snap) => snap.exists && live.add(snap.id));
        const current = new Map<string, unknown>();
        for (const snap of snaps.slice(1 + productKeys.length)) {
          if (snap.exists) current.set(snap.ref.path, fieldsWithDates(snap.data() ?? {}));
        }
        const writes = plan(current, live);
        for (const [path, doc] of writes) tx.set(db.doc(path), doc);
        tx.set(ref, { ...next, updatedAt: new Date() });
        written = writes.size + 1;
        return 'committed' as const;
      });
      // Only the attempt that commits writes; every attempt's reads are billed (counted above).
      if (outcome === 'committed') counts.writes += written;
      return outcome;
    },

    counters: () => ({ ...counts }),
  };
}
