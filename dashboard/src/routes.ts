/** The dashboard's URLs, as plain data (no DOM, no framework), so they are unit-tested. */

/** A page the URL names; the query holds what a user would share (tab, filters, range). */
export type Route =
  | { page: 'products' }
  | { page: 'overview'; key: string }
  | { page: 'issues'; key: string }
  | { page: 'issue'; key: string; issueId: string }
  | { page: 'usage'; key: string }
  | { page: 'settings'; key: string }
  | { page: 'not-found' };

/** Reads a path into a route. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'products' };
  const m = /^\/p\/([A-Za-z0-9_-]{8,64})(?:\/(issues|usage|settings)(?:\/([0-9a-f]{64}))?)?\/?$/.exec(pathname);
  if (m === null) return { page: 'not-found' };
  const key = m[1]!;
  const section = m[2];
  if (section === undefined) return { page: 'overview', key };
  if (section === 'issues') return m[3] === undefined ? { page: 'issues', key } : { page: 'issue', key, issueId: m[3] };
  if (m[3] !== undefined) return { page: 'not-found' };
  return { page: section as 'usage' | 'settings', key };
}

/** Path of a product page. */
export const productPath = (key: string, section?: 'issues' | 'usage' | 'settings') =>
  `/p/${key}${section === undefined ? '' : `/${section}`}`;
