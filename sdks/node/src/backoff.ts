/** Retry policy of docs/sdks.md: exponential backoff, base 1 s, factor 2, cap 5 min, full jitter. */
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 5 * 60 * 1000;
/** Attempts per report in one process; then it waits in the queue for the next start. */
export const MAX_ATTEMPTS_PER_PROCESS = 8;

/**
 * Delay before retry number `attempt` (1 for the first retry): uniform in
 * [0, min(cap, base * 2^(attempt-1))), and never less than the server's `Retry-After`.
 */
export function backoffDelayMs(attempt: number, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}
