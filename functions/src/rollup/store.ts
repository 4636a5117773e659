import { FieldPath, Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import { ALL_SHARDS, COLLECTIONS, issueRowPath, productCollectionOf, productKeyOf } from '../shared/paths';
import { fieldsWithDates, fromMicros, toMicros } from '../shared/firestore';
import type { RollupStore } from './rollup';
import {
  CursorSchema,
  issueRowOf,
  type Cursor,
  type IssueDoc,
  type IssueRowDoc,
  type RollupStream,
} from '../grouping/schemas';

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
    // For the issue's search tokens (grouping/search-tokens.ts).
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
 * The list row that goes with a write of `path` (`products/{key}/issues/{id}`: its issueRows
 * document, from the issue written, or null to delete it with the issue); null for any other path.
 * Every transaction that writes an issue document writes its row through this, so the listing's
 * rows never lag or outlive their issues.
 */
export function issueRowWrite(path: string, doc: object | null): { path: string; row: IssueRowDoc | null } | null {
  if (productCollectionOf(path) !== COLLECTIONS.issues) return null;
  const rowPath = issueRowPath(productKeyOf(path), path.split('/')[3] ?? '');
  return { path: rowPath, row: doc === null ? null : issueRowOf(doc as IssueDoc) };
}

/**
 * The rollup's reads and writes on Firestore. Reports are listed with one collection-group
 * query per batch over every index shard, in (receivedAt, path) order (needs the
 * (shard, receivedAt) collection-group index in firestore.indexes.json);
 * each batch's aggregates and cursor are written in one transaction, with each issue's list row.
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
        let rows = 0;
        for (const [path, doc] of writes) {
          tx.set(db.doc(path), doc);
          const row = issueRowWrite(path, doc);
          if (row !== null) {
            tx.set(db.doc(row.path), row.row as IssueRowDoc);
            rows++;
          }
        }
        tx.set(ref, { ...next, updatedAt: new Date() });
        written = writes.size + rows + 1;
        return 'committed' as const;
      });
      // Only the attempt that commits writes; every attempt's reads are billed (counted above).
      if (outcome === 'committed') counts.writes += written;
      return outcome;
    },

    counters: () => ({ ...counts }),
  };
}
