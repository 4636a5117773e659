import type { Clock } from '../shared/clock';

/** A user's standing in Firebase Auth; a uid Auth does not know is absent from the answer. */
export type AuthStanding = 'active' | 'disabled';

/** What the sweep needs: `users` in uid order, Firebase Auth, and the products' member lists. */
export interface UserSweepStore {
  /** The uid the previous run stopped after, or null to start from the beginning. */
  readCursor(): Promise<string | null>;
  writeCursor(after: string | null): Promise<void>;
  /** Up to `limit` uids of `users/*` after `after`, in uid order. */
  listUserIds(after: string | null, limit: number): Promise<string[]>;
  /** Auth's standing of each uid it knows (at most 100 per call, Auth's own batch limit). */
  lookup(uids: readonly string[]): Promise<Map<string, AuthStanding>>;
  /** Removes `uid` from `memberUids` of every product it views (not those it owns); answers how many. */
  leaveProducts(uid: string, now: Date): Promise<number>;
  deleteUser(uid: string): Promise<void>;
}

/** What one sweep did; part of the rollup's answer and log line. */
export interface UserSweepSummary {
  checked: number;
  /** Users deleted or disabled in Auth whose `users/{uid}` was removed. */
  removed: number;
  /** Memberships those users lost. */
  membershipsRemoved: number;
  /** True when the sweep reached the last user and starts over next time. */
  wrapped: boolean;
}

/** Most users one sweep checks: one Auth `getUsers` call. */
export const USERS_PER_SWEEP = 100;

/**
 * Checks the next `USERS_PER_SWEEP` developers against Firebase Auth. One who was deleted or
 * disabled there leaves every product they view and their `users/{uid}` is removed; products
 * they own are kept (their viewers and reports are not lost with one account).
 */
export async function sweepUsers(deps: { store: UserSweepStore; clock: Clock }): Promise<UserSweepSummary> {
  const { store } = deps;
  const after = await store.readCursor();
  const uids = await store.listUserIds(after, USERS_PER_SWEEP);
  const standing = uids.length === 0 ? new Map<string, AuthStanding>() : await store.lookup(uids);
  let removed = 0;
  let membershipsRemoved = 0;
  for (const uid of uids) {
    if (standing.get(uid) === 'active') continue;
    // Memberships first: if the run stops half-way, the user document still names them for the next one.
    membershipsRemoved += await store.leaveProducts(uid, deps.clock());
    await store.deleteUser(uid);
    removed++;
  }
  const wrapped = uids.length < USERS_PER_SWEEP;
  await store.writeCursor(wrapped ? null : (uids[uids.length - 1] ?? null));
  return { checked: uids.length, removed, membershipsRemoved, wrapped };
}

/** Builds the sweep the rollup handler runs after each rollup. */
export function createUserSweeper(store: UserSweepStore, clock: Clock = () => new Date()) {
  return () => sweepUsers({ store, clock });
}
