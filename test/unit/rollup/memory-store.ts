/* An in-memory RollupStore with the same contract as the Firestore adapter, for unit tests. */
import type { RawReport, RollupStore } from '../../../functions/src/rollup/rollup';
import {
  ROLLUP_STREAMS,
  type Cursor,
  type RollupStream,
  type ShardLease,
} from '../../../functions/src/grouping/schemas';
import { ALL_SHARDS } from '../../../functions/src/shared/paths';

/** A memory store plus what tests inspect: the documents written and the reports listed. */
export interface MemoryRollupStore extends RollupStore {
  docs: Map<string, unknown>;
  products: Set<string>;
  /** Cursors by `{stream}-shard-{n}`. */
  cursors: Map<string, Cursor>;
  leases: Map<number, ShardLease>;
  addReport(stream: RollupStream, report: RawReport): void;
}

/** A deep copy that keeps Dates and byte arrays (structuredClone would make them another realm's under jest). */
function clone(value: unknown): unknown {
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(clone);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
  return value;
}

/** A report's index shard: its `shard` field, 0 when it has none. */
function shardOf(report: RawReport): number {
  const shard = (report.data as { shard?: unknown } | null)?.shard;
  return typeof shard === 'number' ? shard : 0;
}

function after(a: RawReport, c: Cursor): boolean {
  const t = a.receivedAt.getTime() - c.receivedAt.getTime();
  return t > 0 || (t === 0 && a.path > c.path);
}

/**
 * A store whose commits are atomic like a transaction: the plan runs, then everything is
 * written. `readTime` is the database's clock (every report added so far is visible at once).
 */
export function createMemoryRollupStore(readTime: () => Date): MemoryRollupStore {
  const reports: Record<RollupStream, RawReport[]> = { crashes: [], usage: [], sessions: [] };
  const docs = new Map<string, unknown>();
  const cursors = new Map<string, Cursor>();
  const leases = new Map<number, ShardLease>();
  const key = (stream: RollupStream, shard: number) => `${stream}-shard-${shard}`;
  const counts = { reads: 0, writes: 0 };
  const products = new Set<string>();
  return {
    docs,
    products,
    cursors,
    leases,
    addReport(stream, report) {
      reports[stream].push(report);
      reports[stream].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.path < b.path ? -1 : 1));
    },
    async readCursors() {
      counts.reads += ROLLUP_STREAMS.length;
      const cursorsOf = (stream: RollupStream) => ALL_SHARDS.map((shard) => cursors.get(key(stream, shard)) ?? null);
      return {
        cursors: { crashes: cursorsOf('crashes'), usage: cursorsOf('usage'), sessions: cursorsOf('sessions') },
        readTime: readTime(),
      };
    },
    async readCursor(stream, shard) {
      counts.reads++;
      return cursors.get(key(stream, shard)) ?? null;
    },
    async shardsWithReports(stream, asked, horizon) {
      const found = [...asked].filter(([shard, cursor]) =>
        reports[stream].some(
          (r) => shardOf(r) === shard && r.receivedAt <= horizon && (cursor === null || after(r, cursor)),
        ),
      );
      counts.reads += found.length + 1;
      return found.map(([shard]) => shard).sort((a, b) => a - b);
    },
    async listReports(stream, shard, cursor, horizon, limit) {
      const out = reports[stream]
        .filter((r) => shardOf(r) === shard && r.receivedAt <= horizon && (cursor === null || after(r, cursor)))
        .slice(0, limit);
      counts.reads += Math.max(1, out.length);
      return out;
    },
    async commitBatch({ stream, shard, expected, next, paths, plan }) {
      const current = cursors.get(key(stream, shard)) ?? null;
      const same =
        current === null || expected === null
          ? current === expected
          : current.path === expected.path && current.receivedAt.getTime() === expected.receivedAt.getTime();
      if (!same) return 'stale';
      const snapshot = new Map(paths.filter((p) => docs.has(p)).map((p) => [p, clone(docs.get(p))]));
      counts.reads += 1 + paths.length;
      const writes = plan(snapshot, products);
      for (const [path, doc] of writes) docs.set(path, clone(doc));
      cursors.set(key(stream, shard), next);
      counts.writes += writes.size + 1;
      return 'committed';
    },
    async claimShards(shards, holder, now, until) {
      const free = (shard: number) => {
        const lease = leases.get(shard);
        return lease === undefined || lease.until <= now || lease.holder === holder;
      };
      const taken = shards.filter(free);
      for (const shard of taken) leases.set(shard, { holder, until });
      const handedOver = shards.filter((shard) => !free(shard));
      for (const shard of handedOver) leases.set(shard, { ...leases.get(shard)!, wanted: now });
      return { taken, handedOver };
    },
    async releaseShards(shards, holder, options = {}) {
      const wanted: number[] = [];
      for (const shard of shards) {
        const lease = leases.get(shard);
        if (lease?.holder !== holder) continue;
        if (lease.wanted !== undefined) wanted.push(shard);
        if (lease.wanted !== undefined && options.force !== true) leases.set(shard, { holder, until: lease.until });
        else leases.delete(shard);
      }
      return wanted;
    },
    counters: () => ({ ...counts }),
  };
}
