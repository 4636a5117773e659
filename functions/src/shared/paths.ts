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
  issueRows: 'issueRows',
  listHeads: 'listHeads',
  activity: 'activity',
  stats: 'stats',
  rollupState: 'rollupState',
  alerts: 'alerts',
  alertSecrets: 'alertSecrets',
  alertOutbox: 'alertOutbox',
  alertDeliveries: 'alertDeliveries',
  alertSpikeMarks: 'alertSpikeMarks',
  alertReleaseMarks: 'alertReleaseMarks',
  mappings: 'mappings',
  mappingChunks: 'chunks',
  uploadTokens: 'uploadTokens',
  regroupRequests: 'regroupRequests',
  mergedIssues: 'mergedIssues',
} as const;

/** How many index shards reports are spread over (see `reportShard`); the rollup reads them all. */
export const INDEX_SHARDS = 8;

/** Every shard number, for the dashboard's `shard in [...]` query and a rollup run over all shards. */
export const ALL_SHARDS: readonly number[] = Array.from({ length: INDEX_SHARDS }, (_, i) => i);

/** Id of the document in `rollupState` that holds every shard's cursor of one rollup stream, e.g. `crashes-shards`. */
export function shardCursorsId(stream: string): string {
  return `${stream}-shards`;
}

/** Id of one shard's cursor for one rollup stream in `rollupState` before they shared a document, e.g. `crashes-shard-3`. */
export function shardCursorId(stream: string, shard: number): string {
  return `${stream}-shard-${shard}`;
}

/** Id of one shard's lease in `rollupState` (which run is working the shard, until when), e.g. `lease-shard-3`. */
export function shardLeaseId(shard: number): string {
  return `lease-shard-${shard}`;
}

/** Path of `products/{key}`. */
export function productPath(productKey: string): string {
  return `${COLLECTIONS.products}/${productKey}`;
}

/** Path of a stored crash, `products/{key}/crashes/{id}`. */
export function crashPath(productKey: string, id: string): string {
  return `${productPath(productKey)}/${COLLECTIONS.crashes}/${id}`;
}

/** Path of an issue document, `products/{key}/issues/{fingerprint}`. */
export function issuePath(productKey: string, fingerprint: string): string {
  return `${productPath(productKey)}/${COLLECTIONS.issues}/${fingerprint}`;
}

/** Path of an entry of an issue's activity, `products/{key}/issues/{fingerprint}/activity/{id}`. */
export function activityPath(productKey: string, fingerprint: string, id: string): string {
  return `${issuePath(productKey, fingerprint)}/${COLLECTIONS.activity}/${id}`;
}

/** Path of an issue's list row, `products/{key}/issueRows/{fingerprint}` (grouping/schemas.ts IssueRowDocSchema). */
export function issueRowPath(productKey: string, fingerprint: string): string {
  return `${productPath(productKey)}/${COLLECTIONS.issueRows}/${fingerprint}`;
}

/**
 * Path of a stats document, `products/{key}/stats/{day}_{by}` (`by` a crash dimension, `usage` or
 * `releases`): every environment together; with `environment`, that environment's copy,
 * `{day}_{by}@{environment}` (`@` is outside the environment alphabet, so ids never collide).
 */
export function statsPath(productKey: string, day: string, by: string, environment?: string): string {
  return `${productPath(productKey)}/${COLLECTIONS.stats}/${statsDocId(day, by, environment)}`;
}

/** Id of a stats document under `stats/`: `{day}_{by}`, or `{day}_{by}@{environment}` for one environment's copy. */
export function statsDocId(day: string, by: string, environment?: string): string {
  return environment === undefined ? `${day}_${by}` : `${day}_${by}@${environment}`;
}

/** Path of a product's list of environments seen, `products/{key}/stats/environments`. */
export function environmentsPath(productKey: string): string {
  return `${productPath(productKey)}/${COLLECTIONS.stats}/environments`;
}

/** The product key of a path under a product (`products/{key}/…`). */
export function productKeyOf(path: string): string {
  return path.split('/')[1] ?? '';
}

/** The collection a document directly under a product sits in (`issues` for `products/{key}/issues/{id}`). */
export function productCollectionOf(path: string): string {
  return path.split('/')[2] ?? '';
}
