/* An in-memory RollupStore with the same contract as the Firestore adapter, for unit tests. */
import type { RawReport, RollupStore } from '../../../functions/src/rollup/rollup';
import type { Cursor, RollupStream } from '../../../functions/src/grouping/schemas';

/** A memory store plus what tests inspect: the documents written and the reports listed. */
export interface MemoryRollupStore extends RollupStore {
  docs: Map<string, unknown>;
  products: Set<string>;
  cursors: Map<RollupStream, Cursor>;
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
  const cursors = new Map<RollupStream, Cursor>();
  const counts = { reads: 0, writes: 0 };
  const products = new Set<string>();
  return {
    docs,
    products,
    cursors,
    addReport(stream, report) {
      reports[stream].push(report);
      reports[stream].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.path < b.path ? -1 : 1));
    },
    async readCursor(stream) {
      counts.reads++;
      return { cursor: cursors.get(stream) ?? null, readTime: readTime() };
    },
    async listReports(stream, cursor, horizon, limit) {
      const out = reports[stream]
        .filter((r) => r.receivedAt <= horizon && (cursor === null || after(r, cursor)))
        .slice(0, limit);
      counts.reads += Math.max(1, out.length);
      return out;
    },
    async commitBatch({ stream, expected, next, paths, plan }) {
      const current = cursors.get(stream) ?? null;
      const same =
        current === null || expected === null
          ? current === expected
          : current.path === expected.path && current.receivedAt.getTime() === expected.receivedAt.getTime();
      if (!same) return 'stale';
      const snapshot = new Map(paths.filter((p) => docs.has(p)).map((p) => [p, clone(docs.get(p))]));
      counts.reads += 1 + paths.length;
      const writes = plan(snapshot, products);
      for (const [path, doc] of writes) docs.set(path, clone(doc));
      cursors.set(stream, next);
      counts.writes += writes.size + 1;
      return 'committed';
    },
    counters: () => ({ ...counts }),
  };
}
