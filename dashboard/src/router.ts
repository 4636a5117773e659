import { useEffect, useState } from 'preact/hooks';

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

const listeners = new Set<() => void>();

/** Goes to `url` (same origin) without a reload; `replace` keeps history short for filter changes. */
export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.scrollTo(0, 0);
  for (const l of listeners) l();
}

addEventListener('popstate', () => {
  for (const l of listeners) l();
});

/** The current location, re-rendering on every navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return { pathname: location.pathname, search: new URLSearchParams(location.search) };
}

/** The current URL with some query parameters changed (null removes one). */
export function withQuery(changes: Record<string, string | null>): string {
  const search = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) search.delete(k);
    else search.set(k, v);
  }
  const s = search.toString();
  return location.pathname + (s === '' ? '' : `?${s}`);
}

/** Path of a product page. */
export const productPath = (key: string, section?: 'issues' | 'usage' | 'settings') =>
  `/p/${key}${section === undefined ? '' : `/${section}`}`;
