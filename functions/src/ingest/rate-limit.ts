/** The verdict of a rate limiter: allowed, or refused with a wait in whole seconds. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Token buckets per key, held in this instance's memory: no Firestore I/O on the hot path.
 * A limit of N per minute allows bursts of N and refills at N/60 per second.
 */
export function createRateLimiter(options: { maxKeys?: number } = {}) {
  const maxKeys = options.maxKeys ?? 50_000;
  const buckets = new Map<string, Bucket>();

  return {
    /** Takes one token from `key`'s bucket if it has one. */
    take(key: string, perMinute: number, nowMs: number): RateDecision {
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= maxKeys) {
          // Forget the oldest key; a forgotten bucket restarts full, which only errs towards allowing.
          const oldest = buckets.keys().next().value;
          if (oldest !== undefined) buckets.delete(oldest);
        }
        bucket = { tokens: perMinute, updatedMs: nowMs };
        buckets.set(key, bucket);
      }
      const ratePerMs = perMinute / 60_000;
      bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, nowMs - bucket.updatedMs) * ratePerMs);
      bucket.updatedMs = nowMs;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)) };
    },
  };
}

/** A limiter made by `createRateLimiter`. */
export type RateLimiter = ReturnType<typeof createRateLimiter>;
