/** Firestore collection names, in one place (see docs/data-model.md). */
export const COLLECTIONS = {
  users: 'users',
  products: 'products',
  productSecrets: 'productSecrets',
  crashes: 'crashes',
  usage: 'usage',
  issues: 'issues',
  stats: 'stats',
  rollupState: 'rollupState',
} as const;
