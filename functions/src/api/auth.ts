import { DumpcatcherError } from '../shared/errors';
import type { Caller } from './products';

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
  name?: string | undefined;
  firebase: { sign_in_provider: string };
}

/** The caller behind verified claims, if they signed in with an accepted provider. */
export function callerFromClaims(claims: IdTokenClaims, allowedProviders: readonly string[]): Caller {
  const provider = claims.firebase.sign_in_provider;
  if (!allowedProviders.includes(provider)) throw unauthenticated('provider_not_allowed');
  return {
    uid: claims.uid,
    email: typeof claims.email === 'string' ? claims.email : null,
    displayName: typeof claims.name === 'string' ? claims.name : null,
    signInProvider: provider,
  };
}

/** Turns an Authorization header into a verified caller, or throws a 401. */
export type CallerVerifier = (authorization: string | string[] | undefined) => Promise<Caller>;
