import { ListCrashesQuerySchema } from './schemas';
import { mappingKeysOf } from '../grouping/retrace';
import { toCrashView, type CrashView } from './crash-view';
import { decodeCrashCursor, encodeCrashCursor } from './cursors';
import { parseQuery } from './issues';
import { loadProductFor, type Caller } from './access';
import type { InsightsStore } from './deps';

/** The crash view and what it is built from, for callers that import the feed's types from here. */
export { framesInnermostFirst, isRolledUp, toCrashView, type CrashView, type RollupPosition } from './crash-view';

/** Answer of `GET /v1/products/{key}/crashes`. */
export interface CrashFeedView {
  crashes: CrashView[];
  /** Pass as `after` to get only crashes newer than the newest one seen. */
  cursor: string;
}

/**
 * `GET /v1/products/{key}/crashes?limit=&after=[&environment=name]`: the newest crashes, newest
 * first, for any member; with `environment`, only that environment's. With `after`, only crashes
 * newer than that cursor; the answer's `cursor` marks the newest crash returned, or repeats
 * `after` when nothing is newer.
 */
export async function listCrashes(
  store: InsightsStore,
  params: { productKey: string; query: unknown },
  caller: Caller,
): Promise<CrashFeedView> {
  const query = parseQuery(ListCrashesQuerySchema, params.query);
  const after = query.after === undefined ? null : decodeCrashCursor(query.after, params.productKey);
  await loadProductFor(store, caller, params.productKey, 'viewer');
  const rows = await store.listCrashes(params.productKey, {
    limit: query.limit,
    after: after === null || after.id === '' ? null : after,
    environment: query.environment,
  });
  const newest = rows[0];
  if (newest === undefined) return { crashes: [], cursor: query.after ?? encodeCrashCursor(params.productKey, 0, '') };
  // Only when there is something to show: an empty poll stays at two reads.
  const positions = await store.getRollupPositions();
  await store.mappings?.prepare(mappingKeysOf(rows));
  const lookup = store.mappings?.lookup;
  // Each crash is compared with its own index shard's cursor.
  const positionOf = (data: Record<string, unknown>) =>
    typeof data.shard === 'number' ? (positions[data.shard] ?? null) : null;
  const crashes = rows.map((row) =>
    toCrashView(params.productKey, row.id, row.data, { position: positionOf(row.data) }, lookup),
  );
  return { crashes, cursor: encodeCrashCursor(params.productKey, newest.receivedAtUs, newest.id) };
}
