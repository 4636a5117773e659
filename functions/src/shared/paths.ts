/** Firestore collection names, in one place (see docs/data-model.md). */
export const COLLECTIONS = {
  users: 'users',
  products: 'products',
  invitations: 'invitations',
  productSecrets: 'productSecrets',
  crashes: 'crashes',
  usage: 'usage',
  sessions: 'sessions',
  issues: 'issues',
  stats: 'stats',
  rollupState: 'rollupState',
  alerts: 'alerts',
  alertSecrets: 'alertSecrets',
  alertOutbox: 'alertOutbox',
  alertDeliveries: 'alertDeliveries',
  alertSpikeMarks: 'alertSpikeMarks',
  mappings: 'mappings',
  mappingChunks: 'chunks',
  uploadTokens: 'uploadTokens',
} as const;

/** How many index shards reports are spread over (see `reportShard`); the rollup reads them all. */
export const INDEX_SHARDS = 8;

/** Every shard number, for the rollup's `shard in [...]` query. */
export const ALL_SHARDS: readonly number[] = Array.from({ length: INDEX_SHARDS }, (_, i) => i);
