import type { Caller } from './access';
import type { ApiDeps } from './deps';

/** `GET /v1/me`: the caller's user document. */
export interface UserView {
  uid: string;
  email: string | null;
  displayName: string | null;
  signInProvider: string;
  createdAt: string;
  lastSeenAt: string;
}

/**
 * Keeps `users/{uid}` current without writing on every call: one write per uid per
 * `minIntervalMs` on this instance (the first call on a cold instance always writes, so a
 * new user's document exists before their first answer).
 */
export function createUserTracker(options: { minIntervalMs: number; maxEntries?: number }) {
  const maxEntries = options.maxEntries ?? 10_000;
  const lastWrite = new Map<string, { atMs: number; email: string | null; displayName: string | null }>();

  return {
    /** Records that `caller` was seen at the deps' clock time; writes only when due or the profile changed. */
    async touch(deps: ApiDeps, caller: Caller): Promise<boolean> {
      const now = deps.clock();
      const last = lastWrite.get(caller.uid);
      const sameProfile = last !== undefined && last.email === caller.email && last.displayName === caller.displayName;
      if (sameProfile && now.getTime() - last.atMs < options.minIntervalMs) return false;
      await deps.store.upsertUser(caller.uid, { email: caller.email, displayName: caller.displayName }, now);
      if (lastWrite.size >= maxEntries && !lastWrite.has(caller.uid)) {
        const oldest = lastWrite.keys().next().value;
        if (oldest !== undefined) lastWrite.delete(oldest);
      }
      lastWrite.delete(caller.uid); // re-insert so the map stays in write order
      lastWrite.set(caller.uid, { atMs: now.getTime(), email: caller.email, displayName: caller.displayName });
      return true;
    },
  };
}

/** A tracker made by `createUserTracker`. */
export type UserTracker = ReturnType<typeof createUserTracker>;

/** The caller's user document as the api shows it. */
export async function getMe(deps: ApiDeps, caller: Caller): Promise<UserView> {
  let user = await deps.store.getUser(caller.uid);
  if (user === null) {
    // Another instance's throttle may have skipped the write for a document deleted since; recreate it.
    await deps.store.upsertUser(caller.uid, { email: caller.email, displayName: caller.displayName }, deps.clock());
    user = await deps.store.getUser(caller.uid);
  }
  if (user === null) throw new Error(`users/${caller.uid} could not be created`);
  return {
    uid: caller.uid,
    email: user.email,
    displayName: user.displayName,
    signInProvider: caller.signInProvider,
    createdAt: user.createdAt.toISOString(),
    lastSeenAt: user.lastSeenAt.toISOString(),
  };
}
