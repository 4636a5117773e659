/**
 * Everything that needs Firebase Auth (about half the page's JavaScript), loaded by `auth.ts`
 * with a dynamic import: a returning session's first api calls leave before it has loaded.
 */
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

/** Firebase Auth started for the page. */
export interface FirebaseSession {
  auth: Auth;
  /** Google sign-in in a popup (production). */
  signInWithGoogle(): Promise<void>;
  /** Emulator only: signs in as the Google account with this (verified) address. */
  signInWithEmulatedGoogle(email: string): Promise<void>;
  signOut(): Promise<void>;
}

function base64url(value: object): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Starts Firebase Auth; `onUser` gets the restored user (or null), then every change. */
export function startFirebase(config: DashboardConfig, onUser: (user: User | null) => void): FirebaseSession {
  const app = initializeApp(config.firebase);
  // initializeAuth with only what the page uses keeps the bundle small (no redirect or phone code).
  const auth = initializeAuth(app, {
    persistence: indexedDBLocalPersistence,
    ...(config.authEmulatorUrl === null ? { popupRedirectResolver: browserPopupRedirectResolver } : {}),
  });
  const emulated = config.authEmulatorUrl !== null;
  if (config.authEmulatorUrl !== null) connectAuthEmulator(auth, config.authEmulatorUrl, { disableWarnings: true });
  onAuthStateChanged(auth, onUser);
  return {
    auth,
    async signInWithGoogle() {
      await signInWithPopup(auth, new GoogleAuthProvider());
    },
    /**
     * The emulator accepts an unsigned Google id_token; the subject matches
     * `scripts/lib/id-token.ts`, so the same address is the same Firebase user as the one
     * `npm start` seeds.
     */
    async signInWithEmulatedGoogle(email) {
      if (!emulated) throw new Error('emulated sign-in is for the local stack only');
      const address = email.trim().toLowerCase();
      const name = address.split('@')[0] ?? address;
      const claims = { sub: `google-${address}`, email: address, email_verified: true, name };
      const idToken = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
      await signInWithCredential(auth, GoogleAuthProvider.credential(idToken));
    },
    async signOut() {
      await firebaseSignOut(auth);
    },
  };
}
