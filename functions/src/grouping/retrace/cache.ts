import { gunzipSync } from 'node:zlib';
import type { MappingLookup } from './index';
import { parseMapping, type Mapping } from './mapping';
import { MAX_MAPPING_BYTES } from './schemas';
import type { MappingLoader } from './store';

/** Loaded mappings for the rollup and the api: load what a batch needs, then look up synchronously. */
export interface MappingCache {
  /** Loads every (product, map id) not already cached. */
  prepare(keys: ReadonlyArray<{ productKey: string; mapId: string }>): Promise<void>;
  lookup: MappingLookup;
  /** Drops a cached "no mapping stored" for (product, map id), so the next prepare asks the store again (an upload came). */
  forgetMissing(productKey: string, mapId: string): void;
}

/** How long "no mapping stored" is believed before the store is asked again (an upload may follow). */
export const MISSING_MAPPING_TTL_MS = 60_000;

/** Most uncompressed mapping text a cache keeps; the least recently used mappings go first. */
export const MAPPING_CACHE_BYTES = 128 * 1024 * 1024;

interface Entry {
  mapping: Mapping | null;
  bytes: number;
  loadedAt: number;
}

/**
 * A bounded cache of parsed mappings in front of a loader. A mapping is immutable under its
 * id only until it is replaced, so entries are also reloaded after `maxAgeMs`.
 */
export function createMappingCache(
  loader: MappingLoader,
  options: { maxBytes?: number; now?: () => number; maxAgeMs?: number } = {},
): MappingCache {
  const maxBytes = options.maxBytes ?? MAPPING_CACHE_BYTES;
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  // A Map iterates in insertion order: re-inserting on use makes the first entry the least recent.
  const entries = new Map<string, Entry>();
  let total = 0;
  const keyOf = (productKey: string, mapId: string) => `${productKey}/${mapId}`;
  const fresh = (entry: Entry) => now() - entry.loadedAt < (entry.mapping === null ? MISSING_MAPPING_TTL_MS : maxAgeMs);

  const store = (key: string, entry: Entry) => {
    const old = entries.get(key);
    if (old !== undefined) total -= old.bytes;
    entries.delete(key);
    entries.set(key, entry);
    total += entry.bytes;
    for (const [k, e] of entries) {
      if (total <= maxBytes || k === key) break;
      entries.delete(k);
      total -= e.bytes;
    }
  };

  return {
    async prepare(keys) {
      const wanted = new Map<string, { productKey: string; mapId: string }>();
      for (const k of keys) {
        const key = keyOf(k.productKey, k.mapId);
        const entry = entries.get(key);
        if (entry === undefined || !fresh(entry)) wanted.set(key, k);
      }
      for (const [key, { productKey, mapId }] of wanted) {
        const compressed = await loader.loadCompressed(productKey, mapId);
        if (compressed === null) {
          store(key, { mapping: null, bytes: 0, loadedAt: now() });
          continue;
        }
        const text = gunzipSync(compressed, { maxOutputLength: MAX_MAPPING_BYTES }).toString('utf8');
        store(key, { mapping: parseMapping(text), bytes: text.length, loadedAt: now() });
      }
    },
    lookup(productKey, mapId) {
      const key = keyOf(productKey, mapId);
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.mapping;
    },
    forgetMissing(productKey, mapId) {
      const key = keyOf(productKey, mapId);
      if (entries.get(key)?.mapping === null) entries.delete(key);
    },
  };
}
