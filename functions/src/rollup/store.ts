import {
  FieldPath,
  Filter,
  Timestamp,
  type DocumentSnapshot,
  type Firestore,
  type Transaction,
} from 'firebase-admin/firestore';
import {
  ALL_SHARDS,
  COLLECTIONS,
  issueRowPath,
  productCollectionOf,
  productKeyOf,
  shardCursorId,
  shardCursorsId,
  shardLeaseId,
} from '../shared/paths';
import { fieldsWithDates, fromMicros, isAlreadyExists, toMicros, withDates } from '../shared/firestore';
import type { RollupStore } from './rollup';
import {
  issueRowOf,
  ROLLUP_STREAMS,
  type Cursor,
  type IssueDoc,
  type IssueRowDoc,
  type IssueStatus,
  type RollupStream,
} from '../grouping/schemas';
import { carryOverShardCursors, parseShardCursors } from '../grouping/shard-cursors';
import { headWrites, type HeadChange } from '../grouping/list-heads-store';
import { endLeaseUnlessWanted, takeOrHandOverLease } from './leases';
import { createCommitTurn, type CommitTurn } from './commit-turn';

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

/**
 * The list row that goes with a write of `path` (`products/{key}/issues/{id}`: its issueRows
 * document, from the issue written, or null to delete it with the issue); null for any other path.
 * Every transaction that writes an issue document writes its row through this, so the listing's
 * rows never lag or outlive their issues.
 */
export function issueRowWrite(path: string, doc: object | null): { path: string; row: IssueRowDoc | null } | null {
  // Only an issue document itself (4 segments), not a document under it (its activity).
  if (path.split('/').length !== 4 || productCollectionOf(path) !== COLLECTIONS.issues) return null;
  const rowPath = issueRowPath(productKeyOf(path), path.split('/')[3] ?? '');
  return { path: rowPath, row: doc === null ? null : issueRowOf(doc as IssueDoc) };
}

/**
 * The list rows a transaction's writes change (grouping/list-heads-store.ts), with the status
 * each issue had in `current` (the documents it read) before.
 */
export function rowChanges(
  writes: Iterable<[string, object | null]>,
  current: ReadonlyMap<string, unknown>,
): HeadChange[] {
  const changes: HeadChange[] = [];
  for (const [path, doc] of writes) {
    const row = issueRowWrite(path, doc);
    if (row === null) continue;
    const was = (current.get(path) as { status?: IssueStatus } | undefined)?.status ?? null;
    changes.push({ productKey: productKeyOf(path), id: path.split('/')[3] ?? '', was, row: row.row });
  }
  return changes;
}

/** A cursor's receivedAt as Firestore keeps it (with microseconds when known). */
function cursorTime(cursor: Cursor): Timestamp {
  return cursor.receivedAtUs === undefined ? Timestamp.fromDate(cursor.receivedAt) : fromMicros(cursor.receivedAtUs);
}

/** What a cursor document of before holds once its shard's cursor moved to the stream's shard cursors document. */
interface MovedCursor {
  movedTo: string;
}

/**
 * The rollup's reads and writes on Firestore. A run reads each stream's shard cursors document
 * (`rollupState/{stream}-shards`), then one query per stream asks which shards have reports
 * after their cursors; reports are listed one index shard at a time, with one collection-group
 * query per batch `where shard == n` in (receivedAt, path) order (served by the (shard,
 * receivedAt) collection-group index in firestore.indexes.json); each batch's aggregates and its
 * shard's field of the cursors document are written in one transaction, in the commit turn
 * (`turn`; the rollup's own when absent).
 */
export function createFirestoreRollupStore(db: Firestore, turn: CommitTurn = createCommitTurn(db)): RollupStore {
  const counts = { reads: 0, writes: 0, turnWaits: 0, turnWaitMs: 0 };
  const state = db.collection(COLLECTIONS.rollupState);
  const cursorsRef = (stream: RollupStream) => state.doc(shardCursorsId(stream));
  const leaseRef = (shard: number) => state.doc(shardLeaseId(shard));
  /**
   * The stream's shard cursors, from its cursors document, or else carried over from the
   * documents of before in one transaction that creates the cursors document and marks each
   * shard's old one as moved: a run of the previous version still under way then fails its
   * next commit on that shard instead of applying a batch the cursors document does not know.
   */
  const streamCursors = async (stream: RollupStream, snap: DocumentSnapshot): Promise<Array<Cursor | null>> => {
    if (snap.exists) return parseShardCursors(snap.ref.path, withDates(snap.data()), ALL_SHARDS.length);
    // A new deployment has nothing to carry over: a create, without a transaction for the
    // parallel first runs to contend on.
    const olds = await db.getAll(
      state.doc(stream),
      ...ALL_SHARDS.map((shard) => state.doc(shardCursorId(stream, shard))),
    );
    counts.reads += olds.length;
    if (olds.some((old) => old.exists)) return db.runTransaction(async (tx) => migrateCursors(tx, stream));
    try {
      await snap.ref.create({ shards: Object.fromEntries(ALL_SHARDS.map((shard) => [String(shard), null])) });
      counts.writes++;
      return ALL_SHARDS.map(() => null);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const created = await snap.ref.get();
      counts.reads++;
      return parseShardCursors(created.ref.path, withDates(created.data()), ALL_SHARDS.length);
    }
  };
  const migrateCursors = async (tx: Transaction, stream: RollupStream): Promise<Array<Cursor | null>> => {
    const ref = cursorsRef(stream);
    const olds = ALL_SHARDS.map((shard) => state.doc(shardCursorId(stream, shard)));
    const [now, single, ...perShard] = await tx.getAll(ref, state.doc(stream), ...olds);
    counts.reads += 2 + perShard.length;
    if (now?.exists) return parseShardCursors(ref.path, withDates(now.data()), ALL_SHARDS.length);
    const data = (snap: DocumentSnapshot | undefined) => (snap?.exists ? withDates(snap.data()) : undefined);
    const cursors = carryOverShardCursors(
      perShard.map((snap, shard) => ({ path: olds[shard]!.path, data: data(snap) })),
      { path: state.doc(stream).path, data: data(single) },
    );
    tx.create(ref, { shards: Object.fromEntries(cursors.map((cursor, shard) => [String(shard), cursor])) });
    counts.writes++;
    const moved: MovedCursor = { movedTo: ref.path };
    for (const snap of perShard) {
      if (!snap.exists) continue;
      tx.set(snap.ref, moved);
      counts.writes++;
    }
    return cursors;
  };
  /** A report of `shard` after `cursor` (in (receivedAt, path) order) received by `horizon`. */
  const afterCursor = (shard: number, cursor: Cursor | null, horizon: Date): Filter => {
    const inShard = Filter.where('shard', '==', shard);
    const byHorizon = Filter.where('receivedAt', '<=', horizon);
    if (cursor === null) return Filter.and(inShard, byHorizon);
    const at = cursorTime(cursor);
    return Filter.or(
      Filter.and(inShard, Filter.where('receivedAt', '>', at), byHorizon),
      Filter.and(
        inShard,
        Filter.where('receivedAt', '==', at),
        Filter.where(FieldPath.documentId(), '>', db.doc(cursor.path)),
      ),
    );
  };
  return {
    async readCursors() {
      const snaps = await db.getAll(...ROLLUP_STREAMS.map(cursorsRef));
      counts.reads += snaps.length;
      const read = await Promise.all(ROLLUP_STREAMS.map((stream, i) => streamCursors(stream, snaps[i]!)));
      const cursors = Object.fromEntries(ROLLUP_STREAMS.map((stream, i) => [stream, read[i]!])) as Record<
        RollupStream,
        Array<Cursor | null>
      >;
      return { cursors, readTime: snaps[0]!.readTime.toDate() };
    },

    async readCursor(stream, shard) {
      const snap = await cursorsRef(stream).get();
      counts.reads++;
      return (await streamCursors(stream, snap))[shard] ?? null;
    },

    async shardsWithReports(stream, cursors, horizon) {
      // One query per shard found: an empty answer (the usual one) is billed as one read.
      const found: number[] = [];
      let left = [...cursors.keys()];
      while (left.length > 0) {
        const filters = left.map((shard) => afterCursor(shard, cursors.get(shard) ?? null, horizon));
        const snap = await db
          .collectionGroup(COLLECTIONS[stream])
          .where(filters.length === 1 ? filters[0]! : Filter.or(...filters))
          .select('shard')
          .limit(1)
          .get();
        counts.reads += Math.max(1, snap.size);
        const shard: unknown = snap.docs[0]?.get('shard');
        if (shard === undefined) break;
        if (typeof shard !== 'number' || !left.includes(shard)) throw new Error(`unexpected shard ${String(shard)}`);
        found.push(shard);
        left = left.filter((s) => s !== shard);
      }
      return found.sort((a, b) => a - b);
    },

    async listReports(stream, shard, after, horizon, limit) {
      let query = db
        .collectionGroup(COLLECTIONS[stream])
        .where('shard', '==', shard)
        .where('receivedAt', '<=', horizon)
        .orderBy('receivedAt')
        .orderBy(FieldPath.documentId());
      if (after !== null) query = query.startAfter(cursorTime(after), db.doc(after.path));
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

    async commitBatch({ stream, shard, expected, next, paths, productKeys, plan }) {
      const ref = cursorsRef(stream);
      const products = db.collection(COLLECTIONS.products);
      let written = 0;
      const outcome = await turn(
        () =>
          db.runTransaction(async (tx) => {
            const refs = [ref, ...productKeys.map((key) => products.doc(key)), ...paths.map((path) => db.doc(path))];
            const snaps = await tx.getAll(...refs);
            counts.reads += snaps.length;
            const stored = snaps[0]!;
            // Created by the run's first read (readCursors); gone since, the run reads it again.
            if (!stored.exists) return 'stale' as const;
            const before = parseShardCursors(ref.path, withDates(stored.data()), ALL_SHARDS.length);
            if (!sameCursor(before[shard] ?? null, expected)) return 'stale' as const;
            const live = new Set<string>();
            snaps.slice(1, 1 + productKeys.length).forEach((snap) => snap.exists && live.add(snap.id));
            const current = new Map<string, unknown>();
            for (const snap of snaps.slice(1 + productKeys.length)) {
              if (snap.exists) current.set(snap.ref.path, fieldsWithDates(snap.data() ?? {}));
            }
            const writes = plan(current, live);
            // The list heads the issues' rows move in, read before anything is written.
            const heads = await headWrites(tx, db, rowChanges(writes, current));
            counts.reads += heads.length;
            let rows = 0;
            for (const [path, doc] of writes) {
              tx.set(db.doc(path), doc);
              const row = issueRowWrite(path, doc);
              if (row !== null) {
                tx.set(db.doc(row.path), row.row as IssueRowDoc);
                rows++;
              }
            }
            for (const { ref, head } of heads) tx.set(ref, head);
            rows += heads.length;
            const cursor = { ...next, updatedAt: new Date() };
            tx.update(ref, new FieldPath('shards', String(shard)), cursor);
            written = writes.size + rows + 1;
            return 'committed' as const;
          }),
        counts,
      );
      // Only the attempt that commits writes; every attempt's reads are billed (counted above).
      if (outcome === 'committed') counts.writes += written;
      return outcome;
    },

    async claimShards(shards, holder, now, until) {
      const outcomes = await Promise.all(
        shards.map((shard) => takeOrHandOverLease(leaseRef(shard), { holder, until }, now, counts)),
      );
      return {
        taken: shards.filter((_, i) => outcomes[i] === 'taken'),
        handedOver: shards.filter((_, i) => outcomes[i] === 'handed-over'),
      };
    },

    async releaseShards(shards, holder, options = {}) {
      const outcomes = await Promise.all(
        shards.map((shard) => endLeaseUnlessWanted(leaseRef(shard), holder, counts, options)),
      );
      return shards.filter((_, i) => outcomes[i] === 'wanted');
    },

    counters: () => ({ ...counts }),

    forRun: () => createFirestoreRollupStore(db, turn),
  };
}
