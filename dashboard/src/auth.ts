/**
 * Who is signed in, for the page: Firebase Auth (loaded on demand from `firebase-auth.ts`) and
 * the hint of the last session that lets a returning session start before it has loaded.
 */
import type { User } from 'firebase/auth';
import type { DashboardConfig } from './config';
import type { FirebaseSession } from './firebase-auth';

let firebase: Promise<FirebaseSession> | undefined;
let emulated = false;
/** Settles once Firebase Auth has restored the session (or found none). */
let restored: Promise<void> = Promise.resolve();

/** Who is signed in, as the page needs it. */
export interface SessionUser {
  uid: string;
  email: string | null;
}

/**
 * The last session's ID token, so a page's first api calls leave while Firebase Auth is still
 * restoring the session (reading its store and asking Auth whether the account still exists,
 * 100–150 ms before the first call could otherwise start). The api checks every token itself,
 * revocation included, so a stale hint costs one 401 and a retry with Firebase's token. The
 * token is the one Firebase already keeps in this origin's storage, beside the refresh token
 * that outlives it; it is removed on sign-out and whenever Firebase finds no session.
 */
interface SessionHint extends SessionUser {
  token: string;
  expiresAt: number;
}

const HINT_KEY = 'dumpcatcher.session';
/** A hint this close to its token's expiry is not used: Firebase refreshes the token instead. */
const HINT_MARGIN_MS = 5 * 60_000;

function readHint(): SessionHint | null {
  try {
    const hint = JSON.parse(localStorage.getItem(HINT_KEY) ?? 'null') as SessionHint | null;
    if (hint === null || typeof hint.token !== 'string' || typeof hint.uid !== 'string') return null;
    return hint.expiresAt - Date.now() > HINT_MARGIN_MS ? hint : null;
  } catch {
    return null; // storage off or the value not ours: no hint, the normal path
  }
}

function writeHint(hint: SessionHint | null): void {
  if (hint === null) remembered = null;
  try {
    if (hint === null) localStorage.removeItem(HINT_KEY);
    else localStorage.setItem(HINT_KEY, JSON.stringify(hint));
  } catch {
    // storage off or full: the next page restores the session the normal way
  }
}

/** The hint, while Firebase has not yet said who is signed in; null after. */
let hint: SessionHint | null = null;

/** Who is signed in: undefined until known (from the hint, or Firebase), then a user or null. */
let sessionUser: SessionUser | null | undefined;
const listeners = new Set<(user: SessionUser | null | undefined) => void>();

function onUser(user: SessionUser | null): void {
  sessionUser = user;
  for (const listener of listeners) listener(user);
}

/** The signed-in user as last known: undefined while nobody knows yet. */
export function currentSessionUser(): SessionUser | null | undefined {
  return sessionUser;
}

/** Calls `listener` now and on every change of who is signed in; returns the unsubscribe. */
export function watchSessionUser(listener: (user: SessionUser | null | undefined) => void): () => void {
  listeners.add(listener);
  listener(sessionUser);
  return () => {
    listeners.delete(listener);
  };
}

/**
 * Starts Firebase Auth, before the first render: with a fresh hint of the last session, its user
 * is known at once and the first render already shows (and loads) the page asked for.
 */
export function startAuth(config: DashboardConfig): void {
  hint = readHint();
  if (hint !== null) onUser({ uid: hint.uid, email: hint.email });
  emulated = config.authEmulatorUrl !== null;
  let settle = () => {};
  restored = new Promise((resolve) => (settle = resolve));
  firebase = import('./firebase-auth').then(({ startFirebase }) =>
    startFirebase(config, (user) => {
      const hinted = hint;
      hint = null;
      current = user;
      settle();
      if (user === null) {
        writeHint(null);
        onUser(null);
        return;
      }
      // Not the hint's user (another tab signed in as someone else): nothing shown may be theirs.
      if (hinted !== null && hinted.uid !== user.uid) {
        writeHint(null);
        location.reload();
        return;
      }
      onUser({ uid: user.uid, email: user.email });
      void rememberToken(user);
    }),
  );
  // A chunk that fails to load leaves the page with no session: say so rather than wait forever.
  firebase.catch(() => {
    hint = null;
    settle();
    onUser(null);
  });
}

/** Firebase's user once it has restored the session; null before and when signed out. */
let current: User | null = null;

/** The token last written to the hint. */
let remembered: string | null = null;

/** Keeps the hint for the next page: the user's current ID token and when it expires. */
async function rememberToken(user: User): Promise<string> {
  const result = await user.getIdTokenResult();
  if (result.token === remembered) return result.token;
  remembered = result.token;
  writeHint({
    uid: user.uid,
    email: user.email,
    token: result.token,
    expiresAt: Date.parse(result.expirationTime),
  });
  return result.token;
}

function requireFirebase(): Promise<FirebaseSession> {
  if (firebase === undefined) throw new Error('auth is not started');
  return firebase;
}

/** True on the local stack, where sign-in goes through the Auth emulator's Google provider. */
export function isEmulated(): boolean {
  return emulated;
}

/** Google sign-in in a popup (production). */
export async function signInWithGoogle(): Promise<void> {
  await (await requireFirebase()).signInWithGoogle();
}

/**
 * Emulator only: signs in as the Google account with this (verified) address, the same Firebase
 * user as the one `npm start` seeds for that address.
 */
export async function signInWithEmulatedGoogle(email: string): Promise<void> {
  await (await requireFirebase()).signInWithEmulatedGoogle(email);
}

/** Signs out of the dashboard. */
export async function signOut(): Promise<void> {
  writeHint(null);
  hint = null;
  await (await requireFirebase()).signOut();
}

/**
 * An ID token for the api: the hint's while Firebase is still restoring the session (`hinted`
 * true), Firebase's own after (the SDK refreshes it before it expires).
 */
export async function idToken(): Promise<{ token: string; hinted: boolean }> {
  if (hint !== null) return { token: hint.token, hinted: true };
  return firebaseToken();
}

/** The api refused the hint's token: forget it and wait for Firebase's. */
export async function idTokenAfterRefusal(): Promise<string> {
  hint = null;
  writeHint(null);
  return (await firebaseToken()).token;
}

async function firebaseToken(): Promise<{ token: string; hinted: boolean }> {
  await restored;
  const user = current;
  if (user === null) throw new Error('not signed in');
  return { token: await rememberToken(user), hinted: false };
}

/** The signed-in user's uid, or null. */
export function currentUid(): string | null {
  return current?.uid ?? hint?.uid ?? null;
}
