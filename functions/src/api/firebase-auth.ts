import type { Auth } from 'firebase-admin/auth';
import { callerFromClaims, parseBearerToken, unauthenticated, type CallerVerifier } from './auth';

// Errors that mean "this token is no good"; anything else (e.g. Auth unreachable) is our 500.
const NOT_OUR_FAULT = /^auth\/(?!internal-error)/;

/** Verifies ID tokens with firebase-admin, checking revocation (and the Auth emulator when its host is set). */
export function createFirebaseVerifier(auth: Auth, allowedProviders: readonly string[]): CallerVerifier {
  return async (authorization) => {
    const token = parseBearerToken(authorization);
    let decoded;
    try {
      decoded = await auth.verifyIdToken(token, true);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && NOT_OUR_FAULT.test(code)) throw unauthenticated('invalid_token', err);
      throw err;
    }
    return callerFromClaims(decoded, allowedProviders);
  };
}
