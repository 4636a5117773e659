/**
 * The commit turn: one transaction on the rollup's shared documents under way at a time, across
 * every run and instance. A batch reads and rewrites shared documents (today's stats, the
 * busiest issues, the product), and so does the expansion of queued alerts (the outbox, the
 * product, the issues named); two such transactions at once each hold a read the other must wait
 * for, which Firestore resolves only by aborting one (and the emulator, after a lock timeout).
 * Taking turns keeps them from aborting each other; listing, parsing, grouping and reducing,
 * most of a batch's time, still proceed in parallel.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import { COLLECTIONS } from '../shared/paths';
import { endLease, takeLease } from './leases';

/** Id of the commit turn in `rollupState`: the one transaction under way, whichever run it is. */
const COMMIT_TURN_ID = 'commit-turn';
/** A turn whose holder died is waited for no longer than this; a transaction takes far less. */
const COMMIT_TURN_TTL_MS = 15_000;
/** Longest pause between two asks for the turn. */
const COMMIT_TURN_MAX_WAIT_MS = 100;

/** What taking turns cost: the turn document's reads and writes, the asks refused, the milliseconds waited. */
export interface TurnCounts {
  reads: number;
  writes: number;
  turnWaits: number;
  turnWaitMs: number;
}

/** Runs `commit` in the turn, counting into `counts`. */
export type CommitTurn = <T>(commit: () => Promise<T>, counts?: TurnCounts) => Promise<T>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The commit turn of `db` for this process: callers in this process queue here first, so one of
 * them at most asks Firestore, and instances take the turn document in turn.
 */
export function createCommitTurn(db: Firestore): CommitTurn {
  const turnRef = db.collection(COLLECTIONS.rollupState).doc(COMMIT_TURN_ID);
  let tail: Promise<unknown> = Promise.resolve();
  const inFirestoreTurn = async <T>(commit: () => Promise<T>, counts: TurnCounts, asked: number): Promise<T> => {
    const holder = randomUUID();
    for (let attempt = 0; ; attempt++) {
      const now = new Date();
      if (await takeLease(turnRef, { holder, until: new Date(now.getTime() + COMMIT_TURN_TTL_MS) }, now, counts)) break;
      counts.turnWaits++;
      await sleep(Math.min(COMMIT_TURN_MAX_WAIT_MS, 5 * 2 ** attempt) * (0.5 + Math.random()));
    }
    counts.turnWaitMs += performance.now() - asked;
    try {
      return await commit();
    } finally {
      await endLease(turnRef, holder, counts).catch(() => undefined);
    }
  };
  return (commit, counts = { reads: 0, writes: 0, turnWaits: 0, turnWaitMs: 0 }) => {
    const asked = performance.now();
    const turn = tail.then(() => inFirestoreTurn(commit, counts, asked));
    tail = turn.catch(() => undefined);
    return turn;
  };
}
