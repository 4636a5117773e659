import type { ProductIngestConfig } from './schemas';

/** Loads a product's ingest view, or null when there is no such product. */
export type ProductLoader = (productKey: string) => Promise<ProductIngestConfig | null>;

/** A load of one key: `seq` orders it among every load this cache started. */
interface Load {
  seq: number;
  promise: Promise<ProductIngestConfig | null>;
}

interface KeyState {
  /** The newest view read, from the load numbered `seq`. */
  entry?: { value: ProductIngestConfig | null; loadedAtMs: number; seq: number };
  running?: Load;
  /** The next load, for requests that need a read begun after they arrived. */
  queued?: Promise<ProductIngestConfig | null>;
  lastStartMs: number;
}

/**
 * Caches products (and unknown keys) in memory for `ttlMs`, so an accepted crash costs no read.
 * Concurrent misses for one key share a single load. Rotation, expiry and deletion are seen
 * within `ttlMs`. A request whose signature fails against the cached view asks for `fresh`: a
 * view read after the request arrived, so a secret rotated before the client sent it is always
 * seen. Fresh reads of one key are shared and start at most once per `minReloadIntervalMs`, so
 * bad signatures cannot turn into a read each; a request may wait that long for one.
 */
export function createProductCache(
  load: ProductLoader,
  options: { ttlMs: number; maxEntries?: number; minReloadIntervalMs?: number; now?: () => number },
) {
  const maxEntries = options.maxEntries ?? 10_000;
  const minInterval = options.minReloadIntervalMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const states = new Map<string, KeyState>();
  let loadsStarted = 0;

  const stateOf = (productKey: string): KeyState => {
    let state = states.get(productKey);
    if (state === undefined) {
      if (states.size >= maxEntries) {
        const oldest = states.keys().next().value;
        if (oldest !== undefined) states.delete(oldest);
      }
      state = { lastStartMs: -Infinity };
      states.set(productKey, state);
    }
    return state;
  };

  const start = (state: KeyState, productKey: string, nowMs: number): Load => {
    const seq = ++loadsStarted;
    state.lastStartMs = now();
    const promise = load(productKey)
      .then((value) => {
        // Loads can finish out of order: keep the view of the latest one to start.
        if (state.entry === undefined || state.entry.seq < seq) state.entry = { value, loadedAtMs: nowMs, seq };
        return value;
      })
      .finally(() => {
        if (state.running?.seq === seq) delete state.running;
      });
    state.running = { seq, promise };
    return state.running;
  };

  return {
    /** A number to pass to `fresh` later: take it when the request arrives. */
    ticket(): number {
      return loadsStarted;
    },

    /** The product's ingest view, from memory when loaded less than the TTL ago. */
    async get(productKey: string, nowMs: number): Promise<ProductIngestConfig | null> {
      const state = stateOf(productKey);
      if (state.entry !== undefined && nowMs - state.entry.loadedAtMs < options.ttlMs) return state.entry.value;
      return (state.running ?? start(state, productKey, nowMs)).promise;
    },

    /** The product's ingest view from a read that started after `ticket` was taken. */
    async fresh(productKey: string, ticket: number, nowMs: number): Promise<ProductIngestConfig | null> {
      const state = stateOf(productKey);
      if (state.entry !== undefined && state.entry.seq > ticket) return state.entry.value;
      if (state.running !== undefined && state.running.seq > ticket) return state.running.promise;
      state.queued ??= (async () => {
        try {
          // One read of a key at a time: the queued one starts after the running one.
          await state.running?.promise.catch(() => undefined);
          // A timer may fire a fraction of a millisecond early by this clock: wait until it agrees.
          for (let waitMs = state.lastStartMs + minInterval - now(); waitMs > 0;) {
            await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitMs)));
            waitMs = state.lastStartMs + minInterval - now();
          }
        } finally {
          delete state.queued;
        }
        return start(state, productKey, nowMs).promise;
      })();
      return state.queued;
    },
  };
}

/** A cache made by `createProductCache`. */
export type ProductCache = ReturnType<typeof createProductCache>;
