/**
 * Leases on Firestore documents without transactions: a create that fails when the document
 * exists, or an update that fails when the document changed since it was read. Two runs that
 * read the same lease and both write it would make Firestore hold one transaction's read
 * until the other gives up; preconditions answer at once instead.
 */
import type { DocumentReference, Timestamp } from 'firebase-admin/firestore';
import { ShardLeaseSchema, type ShardLease } from '../grouping/schemas';
import { fieldsWithDates, isAlreadyExists } from '../shared/firestore';

/** Reads and writes made, for the rollup's counters. */
export interface LeaseCounts {
  reads: number;
  writes: number;
}

/** gRPC statuses of a write whose precondition failed: the document changed (9) or is gone (5). */
const FAILED_PRECONDITION = 9;
const NOT_FOUND = 5;

function lostRace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === FAILED_PRECONDITION || code === NOT_FOUND || isAlreadyExists(err);
}

function parseLease(path: string, data: unknown): ShardLease | null {
  if (data === undefined) return null;
  const result = ShardLeaseSchema.safeParse(fieldsWithDates(data as Record<string, unknown>));
  if (!result.success) throw new Error(`malformed lease ${path}`);
  return result.data;
}

/**
 * Takes the lease at `ref` for `holder` until `until` when it is absent, expired at `now`, or
 * the holder's already; answers false when another holder has it (or took it meanwhile).
 */
export async function takeLease(
  ref: DocumentReference,
  lease: ShardLease,
  now: Date,
  counts: LeaseCounts,
): Promise<boolean> {
  try {
    await ref.create(lease);
    counts.writes++;
    return true;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const snap = await ref.get();
  counts.reads++;
  const held = parseLease(ref.path, snap.data());
  if (held !== null && held.until > now && held.holder !== lease.holder) return false;
  try {
    if (snap.exists) await ref.update({ ...lease }, { lastUpdateTime: snap.updateTime as Timestamp });
    else await ref.create(lease);
    counts.writes++;
    return true;
  } catch (err) {
    if (lostRace(err)) return false;
    throw err;
  }
}

/** Ends the lease at `ref` if `holder` still holds it. */
export async function endLease(ref: DocumentReference, holder: string, counts: LeaseCounts): Promise<void> {
  const snap = await ref.get();
  counts.reads++;
  if (parseLease(ref.path, snap.data())?.holder !== holder) return;
  try {
    await ref.delete({ lastUpdateTime: snap.updateTime as Timestamp });
    counts.writes++;
  } catch (err) {
    if (!lostRace(err)) throw err;
  }
}
