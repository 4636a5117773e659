import { useEffect, useState } from 'preact/hooks';

import { withRememberedEnvironment } from './environment-memory';
import { parseRoute, type Route } from './routes';

export * from './routes';

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

/**
 * The route the current URL names (path and query), re-rendering on every navigation; a product
 * page without `env=` takes the product's remembered environment (environment-memory.ts).
 */
export function useRoute(): Route {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return withRememberedEnvironment(parseRoute(location.pathname, location.search));
}
