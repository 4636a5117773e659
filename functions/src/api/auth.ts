import { DumpcatcherError } from '../shared/errors';
import type { Caller } from './access';

/** Why a call was not authenticated; sent as `details.reason`. */
export type AuthFailure = 'missing_token' | 'invalid_token' | 'provider_not_allowed';

/** The 401 every authentication failure gets; only the reason differs. */
export function unauthenticated(reason: AuthFailure, cause?: unknown): DumpcatcherError {
  return new DumpcatcherError(
    'unauthenticated',
    'A valid Firebase ID token from an accepted sign-in provider is required (Authorization: Bearer <token>).',
    {
      details: { reason },
      ...(cause === undefined ? {} : { cause }),
      headers: { 'WWW-Authenticate': 'Bearer' },
    },
  );
}

/** The token from an `Authorization: Bearer <token>` header. */
export function parseBearerToken(header: string | string[] | undefined): string {
  if (typeof header !== 'string') throw unauthenticated('missing_token');
  const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)$/i.exec(header.trim());
  if (match === null || match[1] === undefined) throw unauthenticated('missing_token');
  return match[1];
}

/** The claims of a verified ID token that the api reads. */
export interface IdTokenClaims {
  uid: string;
  email?: string | undefined;
  email_verified?: boolean | undefined;
  name?: string | undefined;
  firebase: { sign_in_provider: string };
}

/** The only sign-in provider whose addresses the api trusts: Google verifies them itself. */
const ADDRESS_PROVIDER = 'google.com';

/** An address in the form every comparison uses: trimmed and lower-case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The caller's address, only when Google verified it. An unverified address (a Google account
 * claiming someone else's address, a password account linked to it) is treated as no address,
 * so it is never stored, shown as the caller's, or matched against an invitation or the allow-list.
 */
export function verifiedEmailOf(claims: IdTokenClaims): string | null {
  if (claims.firebase.sign_in_provider !== ADDRESS_PROVIDER) return null;
  if (claims.email_verified !== true || typeof claims.email !== 'string') return null;
  const email = normaliseEmail(claims.email);
  return email.length > 0 ? email : null;
}

/** The caller behind verified claims, if they signed in with an accepted provider. */
export function callerFromClaims(claims: IdTokenClaims, allowedProviders: readonly string[]): Caller {
  const provider = claims.firebase.sign_in_provider;
  if (!allowedProviders.includes(provider)) throw unauthenticated('provider_not_allowed');
  return {
    uid: claims.uid,
    email: verifiedEmailOf(claims),
    displayName: typeof claims.name === 'string' ? claims.name : null,
    signInProvider: provider,
  };
}

/** Whether a verified address is on the deployment's allow-list (exact addresses and `@domain` entries). */
export function isAllowedUser(email: string | null, allowList: readonly string[]): boolean {
  if (email === null) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0) return false;
  const domain = email.slice(at);
  return allowList.some((entry) => (entry.startsWith('@') ? entry === domain : entry === email));
}

/** The 403 for a signed-in user this deployment does not admit; `details.reason` says which check failed. */
export function notAllowed(email: string | null): DumpcatcherError {
  return new DumpcatcherError(
    'not_allowed',
    'This Dumpcatcher deployment does not admit your account: sign in with a verified Google address on its allow-list (DUMPCATCHER_ALLOWED_USERS).',
    { details: { reason: email === null ? 'no_verified_email' : 'not_on_allow_list' } },
  );
}

/** Turns an Authorization header into a verified caller, or throws a 401. */
export type CallerVerifier = (authorization: string | string[] | undefined) => Promise<Caller>;
