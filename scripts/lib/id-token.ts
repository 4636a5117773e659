/**
 * Firebase ID tokens from the local Auth emulator, minted through its real sign-in endpoints
 * (Google sign-in with a fake Google id_token, or email and password). Local use only.
 */

/** What the emulator answers a sign-in with. */
export interface SignInResult {
  idToken: string;
  refreshToken: string;
  localId: string;
  email: string | undefined;
}

// The emulator ignores the API key's value, but the client protocol requires one.
const API_KEY = 'fake-api-key';

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** An unsigned (`alg: none`) JWT: the Auth emulator accepts these as Google id_tokens. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}

async function callAuth(authHost: string, method: string, body: object): Promise<SignInResult> {
  const res = await fetch(`http://${authHost}/identitytoolkit.googleapis.com/v1/accounts:${method}?key=${API_KEY}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Partial<SignInResult> & { error?: { message?: string } };
  if (!res.ok || typeof json.idToken !== 'string' || typeof json.localId !== 'string') {
    throw new Error(`Auth emulator accounts:${method} answered ${res.status}: ${json.error?.message ?? JSON.stringify(json)}`);
  }
  return { idToken: json.idToken, refreshToken: json.refreshToken ?? '', localId: json.localId, email: json.email };
}

/**
 * Signs in with Google on the Auth emulator. The same `googleSub` always maps to the same
 * Firebase user, as one Google account does in production.
 */
export async function signInWithGoogle(authHost: string, input: { email: string; name?: string; googleSub?: string }): Promise<SignInResult> {
  const claims = { sub: input.googleSub ?? `google-${input.email}`, email: input.email, email_verified: true, ...(input.name ? { name: input.name } : {}) };
  const postBody = new URLSearchParams({ id_token: unsignedJwt(claims), providerId: 'google.com' }).toString();
  return callAuth(authHost, 'signInWithIdp', { postBody, requestUri: 'http://localhost', returnIdpCredential: true, returnSecureToken: true });
}

/** Creates an email/password user on the Auth emulator (a provider the api refuses by default). */
export async function signUpWithPassword(authHost: string, input: { email: string; password: string }): Promise<SignInResult> {
  return callAuth(authHost, 'signUp', { email: input.email, password: input.password, returnSecureToken: true });
}
