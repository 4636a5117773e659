import { rollupTaskUrl, type EnqueueRollup } from './rollup-trigger';

/** Cloud Tasks' REST endpoint (v2). */
const CLOUD_TASKS_API = 'https://cloudtasks.googleapis.com/v2';
/**
 * A create, its access-token fetch included, that takes longer than this gives up: the report
 * is stored, the backstop will roll it up, and the ingest's answer waits no longer.
 */
const CREATE_TIMEOUT_MS = 3_000;
/** An access token is renewed this long before it expires. */
const TOKEN_MARGIN_MS = 60_000;

/** What firebase-admin's `Credential` gives: an OAuth2 access token (cloud-platform scope). */
export interface AccessTokenSource {
  getAccessToken(): Promise<{ access_token: string; expires_in: number }>;
}

/** The token, fetched once and renewed shortly before it expires. */
function cachedToken(source: AccessTokenSource, now: () => number): () => Promise<string> {
  let current: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  return () => {
    if (current !== undefined && current.expiresAt - TOKEN_MARGIN_MS > now()) return Promise.resolve(current.token);
    pending ??= source
      .getAccessToken()
      .then((t) => {
        current = { token: t.access_token, expiresAt: now() + t.expires_in * 1000 };
        return t.access_token;
      })
      .finally(() => (pending = undefined));
    return pending;
  };
}

/** `promise`, or the signal's abort reason if it aborts first (a token fetch has no signal of its own). */
function beforeAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

/**
 * Creates rollup tasks in a Cloud Tasks queue over its REST API, with the credential
 * firebase-admin already holds (no client library). Each task POSTs to the rollup with an OIDC
 * token for `invoker`, exactly as the Cloud Scheduler job does. HTTP 409 (ALREADY_EXISTS) is
 * the expected answer for every instance but the first to ask for a window.
 */
export function createCloudTasksQueue(options: {
  /** `projects/P/locations/L/queues/Q` */
  queue: string;
  rollupUrl: string;
  /** The service account the task's OIDC token is for (the rollup's invoker). */
  invoker: string;
  credential: AccessTokenSource;
  fetchFn?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
}): EnqueueRollup {
  const token = cachedToken(options.credential, options.now ?? Date.now);
  const fetchFn = options.fetchFn ?? fetch;
  const timeoutMs = options.timeoutMs ?? CREATE_TIMEOUT_MS;
  return async (task) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const bearer = await beforeAbort(token(), signal);
    const res = await fetchFn(`${CLOUD_TASKS_API}/${options.queue}/tasks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        task: {
          name: `${options.queue}/tasks/${task.name}`,
          scheduleTime: task.scheduleAt.toISOString(),
          httpRequest: {
            url: rollupTaskUrl(options.rollupUrl, task),
            httpMethod: 'POST',
            oidcToken: { serviceAccountEmail: options.invoker, audience: options.rollupUrl },
          },
        },
      }),
      signal,
    });
    const text = await res.text();
    if (res.ok) return 'created';
    if (res.status === 409) return 'exists';
    // The error body names the status and the permission or field at fault; it holds no secret.
    throw new Error(`Cloud Tasks answered ${res.status} creating ${task.name}: ${text.slice(0, 300)}`);
  };
}
