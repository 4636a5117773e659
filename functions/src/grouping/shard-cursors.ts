/**
 * Where each index shard's rollup cursor of a stream stands, read from the stored documents:
 * the stream's shard cursors document (`rollupState/{stream}-shards`), or, in a deployment that
 * has not had a run since they shared a document, the documents of before. Pure: the callers
 * read the documents (dates already converted) and pass their data in.
 */
import { CursorSchema, ShardCursorsSchema, type Cursor } from './schemas';

function parseCursor(path: string, data: unknown): Cursor | null {
  if (data === undefined) return null;
  const result = CursorSchema.safeParse(data);
  if (!result.success) throw new Error(`malformed cursor ${path}`);
  return result.data;
}

/** Every shard's cursor, `shards` of them, from the stream's shard cursors document at `path`. */
export function parseShardCursors(path: string, data: unknown, shards: number): Array<Cursor | null> {
  const result = ShardCursorsSchema.safeParse(data);
  if (!result.success) throw new Error(`malformed shard cursors ${path}`);
  return Array.from({ length: shards }, (_, shard) => result.data.shards[String(shard)] ?? null);
}

/**
 * Every shard's cursor from the documents of before: the shard's own (`{stream}-shard-{n}`),
 * else the stream's single cursor of before shards (`{stream}`), a point in (receivedAt, path)
 * order that every shard resumes after, counting its own `processed` from 0.
 */
export function carryOverShardCursors(
  perShard: ReadonlyArray<{ path: string; data: unknown }>,
  single: { path: string; data: unknown },
): Array<Cursor | null> {
  const legacy = parseCursor(single.path, single.data);
  return perShard.map(({ path, data }) => {
    if (data !== undefined) return parseCursor(path, data);
    return legacy === null ? null : { ...legacy, processed: 0 };
  });
}
