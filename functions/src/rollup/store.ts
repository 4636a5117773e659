import { randomUUID } from 'node:crypto';
import {
  FieldPath,
  Timestamp,
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
} from 'firebase-admin/firestore';
import {
  COLLECTIONS,
  issueRowPath,
  productCollectionOf,
  productKeyOf,
  shardCursorId,
  shardLeaseId,
} from '../shared/paths';
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
import { endLease, takeLease } from './leases';

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
 * A shard's cursor, or where a deployment from before shard cursors stopped: the stream's one
 * cursor (`rollupState/{stream}`), a point in (receivedAt, path) order that every shard resumes
 * after, counting its own `processed` from 0.
 */
function shardCursorOr(path: string, shardData: DocumentData | undefined, legacy: Cursor | null): Cursor | null {
  if (shardData !== undefined) return parseCursor(path, shardData);
  return legacy === null ? null : { ...legacy, processed: 0 };
}

/** Id of the commit turn in `rollupState`: the one batch transaction under way, whichever run it is. */
const COMMIT_TURN_ID = 'commit-turn';
/** A turn whose holder died is waited for no longer than this; a batch's transaction takes far less. */
const COMMIT_TURN_TTL_MS = 15_000;
/** Longest pause between two asks for the turn. */
const COMMIT_TURN_MAX_WAIT_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The rollup's reads and writes on Firestore. Reports are listed one index shard at a time,
 * with one collection-group query per batch `where shard == n` in (receivedAt, path) order
 * (served by the (shard, receivedAt) collection-group index in firestore.indexes.json); each
 * batch's aggregates and its shard's cursor are written in one transaction.
 */
export function createFirestoreRollupStore(
  db: Firestore,
  queue: { tail: Promise<unknown> } = { tail: Promise.resolve() },
): RollupStore {
  const counts = { reads: 0, writes: 0, turnWaits: 0 };
  const state = db.collection(COLLECTIONS.rollupState);
  const cursorRef = (stream: RollupStream, shard: number) => state.doc(shardCursorId(stream, shard));
  const leaseRef = (shard: number) => state.doc(shardLeaseId(shard));
  const turnRef = state.doc(COMMIT_TURN_ID);
  /**
   * Runs `commit` while holding the commit turn. Every batch reads and rewrites shared documents
   * (today's stats, the busiest issues); two such transactions at once each hold a read the
   * other must wait for, and Firestore resolves that only by aborting one. Taking turns keeps
   * one batch transaction under way at a time, across all runs: listing, parsing, grouping and
   * reducing, most of a batch's time, still proceed in parallel. Runs in this process queue
   * here first, so one of them at most asks Firestore.
   */
  const inTurn = <T>(commit: () => Promise<T>): Promise<T> => {
    const turn = queue.tail.then(() => inFirestoreTurn(commit));
    queue.tail = turn.catch(() => undefined);
    return turn;
  };
  const inFirestoreTurn = async <T>(commit: () => Promise<T>): Promise<T> => {
    const holder = randomUUID();
    for (let attempt = 0; ; attempt++) {
      const now = new Date();
      if (await takeLease(turnRef, { holder, until: new Date(now.getTime() + COMMIT_TURN_TTL_MS) }, now, counts)) break;
      counts.turnWaits++;
      await sleep(Math.min(COMMIT_TURN_MAX_WAIT_MS, 5 * 2 ** attempt) * (0.5 + Math.random()));
    }
    try {
      return await commit();
    } finally {
      await endLease(turnRef, holder, counts).catch(() => undefined);
    }
  };
  const legacyCursor = async (stream: RollupStream, read: (ref: DocumentReference) => Promise<DocumentSnapshot>) => {
    const snap = await read(state.doc(stream));
    counts.reads++;
    return parseCursor(snap.ref.path, snap.data());
  };
  return {
    async readCursor(stream, shard) {
      const snap = await cursorRef(stream, shard).get();
      counts.reads++;
      const legacy = snap.exists ? null : await legacyCursor(stream, (ref) => ref.get());
      return { cursor: shardCursorOr(snap.ref.path, snap.data(), legacy), readTime: snap.readTime.toDate() };
    },

    async listReports(stream, shard, after, horizon, limit) {
      let query = db
        .collectionGroup(COLLECTIONS[stream])
        .where('shard', '==', shard)
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

    async commitBatch({ stream, shard, expected, next, paths, productKeys, plan }) {
      const ref = cursorRef(stream, shard);
      const products = db.collection(COLLECTIONS.products);
      let written = 0;
      const outcome = await inTurn(() =>
        db.runTransaction(async (tx) => {
          const refs = [ref, ...productKeys.map((key) => products.doc(key)), ...paths.map((path) => db.doc(path))];
          const snaps = await tx.getAll(...refs);
          counts.reads += snaps.length;
          const stored = snaps[0]?.data();
          const legacy = stored === undefined ? await legacyCursor(stream, (r) => tx.get(r)) : null;
          if (!sameCursor(shardCursorOr(ref.path, stored, legacy), expected)) return 'stale' as const;
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
        }),
      );
      // Only the attempt that commits writes; every attempt's reads are billed (counted above).
      if (outcome === 'committed') counts.writes += written;
      return outcome;
    },

    async claimShards(shards, holder, now, until) {
      const taken = await Promise.all(
        shards.map((shard) => takeLease(leaseRef(shard), { holder, until }, now, counts)),
      );
      return shards.filter((_, i) => taken[i]);
    },

    async releaseShards(shards, holder) {
      await Promise.all(shards.map((shard) => endLease(leaseRef(shard), holder, counts)));
    },

    counters: () => ({ ...counts }),

    forRun: () => createFirestoreRollupStore(db, queue),
  };
}
