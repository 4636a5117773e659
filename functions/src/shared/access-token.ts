/** What firebase-admin's credentials offer: an OAuth2 access token and its lifetime. */
export interface TokenCredential {
  getAccessToken(): Promise<{ access_token: string; expires_in: number }>;
}

/** Tokens are renewed this long before they expire. */
export const TOKEN_MARGIN_MS = 5 * 60_000;

/**
 * An `Authorization` header source over a credential: the token is cached until 5 minutes before
 * it expires, concurrent callers share one fetch, `refresh` (after a 401) forces a new one, and a
 * failed fetch is not cached (the next call tries again).
 */
export function createTokenSource(
  credential: () => TokenCredential,
  now: () => number = Date.now,
): (refresh: boolean) => Promise<string> {
  let token: { value: string; renewAtMs: number } | null = null;
  let pending: Promise<string> | null = null;
  const fetchToken = async (): Promise<string> => {
    const t = await credential().getAccessToken();
    token = { value: `Bearer ${t.access_token}`, renewAtMs: now() + t.expires_in * 1000 - TOKEN_MARGIN_MS };
    return token.value;
  };
  return (refresh) => {
    if (!refresh && token !== null && now() < token.renewAtMs) return Promise.resolve(token.value);
    pending ??= fetchToken().finally(() => (pending = null));
    return pending;
  };
}
