import { initializeApp } from 'firebase/app';
import {
  GoogleAuthProvider,
  browserPopupRedirectResolver,
  connectAuthEmulator,
  indexedDBLocalPersistence,
  initializeAuth,
  onAuthStateChanged,
  signInWithCredential,
  signInWithPopup,
  signOut as firebaseSignOut,
  type Auth,
  type User,
} from 'firebase/auth';
import type { DashboardConfig } from './config';

let auth: Auth | undefined;
let emulated = false;

/** Starts Firebase Auth; calls `onUser` with the signed-in user (or null) now and on every change. */
export function startAuth(config: DashboardConfig, onUser: (user: User | null) => void): void {
  const app = initializeApp(config.firebase);
  // initializeAuth with only what the page uses keeps the bundle small (no redirect or phone code).
  auth = initializeAuth(app, {
    persistence: indexedDBLocalPersistence,
    ...(config.authEmulatorUrl === null ? { popupRedirectResolver: browserPopupRedirectResolver } : {}),
  });
  if (config.authEmulatorUrl !== null) {
    connectAuthEmulator(auth, config.authEmulatorUrl, { disableWarnings: true });
    emulated = true;
  }
  onAuthStateChanged(auth, onUser);
}

function requireAuth(): Auth {
  if (auth === undefined) throw new Error('auth is not started');
  return auth;
}

/** True on the local stack, where sign-in goes through the Auth emulator's Google provider. */
export function isEmulated(): boolean {
  return emulated;
}

/** Google sign-in in a popup (production). */
export async function signInWithGoogle(): Promise<void> {
  await signInWithPopup(requireAuth(), new GoogleAuthProvider());
}

function base64url(value: object): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Emulator only: signs in as the Google account with this (verified) address. The emulator
 * accepts an unsigned Google id_token; the subject matches `scripts/lib/id-token.ts`, so the
 * same address is the same Firebase user as the one `npm start` seeds.
 */
export async function signInWithEmulatedGoogle(email: string): Promise<void> {
  if (!emulated) throw new Error('emulated sign-in is for the local stack only');
  const address = email.trim().toLowerCase();
  const name = address.split('@')[0] ?? address;
  const claims = { sub: `google-${address}`, email: address, email_verified: true, name };
  const idToken = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
  await signInWithCredential(requireAuth(), GoogleAuthProvider.credential(idToken));
}

/** Signs out of the dashboard. */
export async function signOut(): Promise<void> {
  await firebaseSignOut(requireAuth());
}

/** A fresh ID token for the api (the SDK refreshes it before it expires). */
export async function idToken(): Promise<string> {
  const user = requireAuth().currentUser;
  if (user === null) throw new Error('not signed in');
  return user.getIdToken();
}

/** The signed-in user's uid, or null. */
export function currentUid(): string | null {
  return auth?.currentUser?.uid ?? null;
}
