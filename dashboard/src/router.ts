import { useEffect, useState } from 'preact/hooks';

export { parseRoute, productPath, type Route } from './routes';

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
