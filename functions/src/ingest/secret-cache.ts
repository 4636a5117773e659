import type { ProductIngestConfig } from './schemas';

/** Loads a product's ingest view, or null when there is no such product. */
export type ProductLoader = (productKey: string) => Promise<ProductIngestConfig | null>;

interface Entry {
  value: ProductIngestConfig | null;
  loadedAtMs: number;
}

/**
 * Caches products (and unknown keys) in memory for `ttlMs`, so an accepted crash costs no read.
 * Concurrent misses for one key share a single load. Rotation, expiry and deletion are seen
 * within `ttlMs`; a caller that found the cached view wanting (a new secret, a new product) can
 * ask for a fresher one with a smaller `maxAgeMs`.
 */
export function createProductCache(load: ProductLoader, options: { ttlMs: number; maxEntries?: number }) {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<ProductIngestConfig | null>>();

  /** The cached view when loaded less than `maxAgeMs` (at most the TTL) ago, else undefined. */
  const cached = (productKey: string, nowMs: number, maxAgeMs: number): ProductIngestConfig | null | undefined => {
    const entry = entries.get(productKey);
    return entry !== undefined && nowMs - entry.loadedAtMs < Math.min(maxAgeMs, options.ttlMs)
      ? entry.value
      : undefined;
  };

  return {
    /** The cached view when it is younger than the TTL, else undefined (no load, no promise). */
    peek(productKey: string, nowMs: number): ProductIngestConfig | null | undefined {
      return cached(productKey, nowMs, options.ttlMs);
    },
    /** The product's ingest view, from memory when loaded less than `maxAgeMs` ago (default: the TTL). */
    async get(productKey: string, nowMs: number, maxAgeMs = options.ttlMs): Promise<ProductIngestConfig | null> {
      const hit = cached(productKey, nowMs, maxAgeMs);
      if (hit !== undefined) return hit;
      let pending = inFlight.get(productKey);
      if (pending === undefined) {
        pending = load(productKey).finally(() => inFlight.delete(productKey));
        inFlight.set(productKey, pending);
      }
      const value = await pending;
      if (entries.size >= maxEntries && !entries.has(productKey)) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(productKey, { value, loadedAtMs: nowMs });
      return value;
    },
  };
}

/** A cache made by `createProductCache`. */
export type ProductCache = ReturnType<typeof createProductCache>;
