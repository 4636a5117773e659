/**
 * Leases on Firestore documents without transactions: a create that fails when the document
 * exists, or an update that fails when the document changed since it was read. Two runs that
 * read the same lease and both write it would make Firestore hold one transaction's read
 * until the other gives up; preconditions answer at once instead.
 */
import { FieldValue, type DocumentReference, type Timestamp } from 'firebase-admin/firestore';
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
  await endLeaseUnlessWanted(ref, holder, counts, { force: true });
}

/** Rounds of reading a lease and writing it on that reading before a run gives up: each lost one means another run moved. */
const HANDOVER_ROUNDS = 5;

/**
 * Takes the lease at `ref` as `takeLease` does; when another holder has it, marks it `wanted`
 * instead (in one write preconditioned on the lease read), so that holder takes another pass
 * over the shard before giving it up: `handed-over`. Either the mark lands before the holder's
 * release, which then fails its precondition and sees the mark, or the release lands first and
 * the mark fails its own, and this run takes the lease. `busy` only when every round was lost.
 */
export async function takeOrHandOverLease(
  ref: DocumentReference,
  lease: ShardLease,
  now: Date,
  counts: LeaseCounts,
): Promise<'taken' | 'handed-over' | 'busy'> {
  for (let round = 0; round < HANDOVER_ROUNDS; round++) {
    try {
      await ref.create(lease);
      counts.writes++;
      return 'taken';
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const snap = await ref.get();
    counts.reads++;
    const held = parseLease(ref.path, snap.data());
    if (held === null) continue;
    const free = held.until <= now || held.holder === lease.holder;
    // A mark already there is honoured after this run's reports were stored: nothing to add.
    if (!free && held.wanted !== undefined) return 'handed-over';
    try {
      await ref.update(free ? { ...lease, wanted: FieldValue.delete() } : { wanted: now }, {
        lastUpdateTime: snap.updateTime as Timestamp,
      });
      counts.writes++;
      return free ? 'taken' : 'handed-over';
    } catch (err) {
      if (!lostRace(err)) throw err;
    }
  }
  return 'busy';
}

/**
 * Ends the lease at `ref` if `holder` still holds it, unless another run marked it `wanted`
 * since: then the mark is cleared, the lease kept, and the answer is `wanted` (take another
 * pass, then call again). With `force` the lease ends whatever the mark, and `wanted` says the
 * reports the marking run left to this one are left to whoever comes next.
 */
export async function endLeaseUnlessWanted(
  ref: DocumentReference,
  holder: string,
  counts: LeaseCounts,
  options: { force?: boolean } = {},
): Promise<'ended' | 'wanted'> {
  for (;;) {
    const snap = await ref.get();
    counts.reads++;
    const held = parseLease(ref.path, snap.data());
    if (held?.holder !== holder) return 'ended';
    const wanted = held.wanted !== undefined;
    try {
      const precondition = { lastUpdateTime: snap.updateTime as Timestamp };
      if (wanted && options.force !== true) await ref.update({ wanted: FieldValue.delete() }, precondition);
      else await ref.delete(precondition);
      counts.writes++;
      return wanted ? 'wanted' : 'ended';
    } catch (err) {
      // Marked (or taken over after expiry) between the read and the write: read it again.
      if (!lostRace(err)) throw err;
    }
  }
}
