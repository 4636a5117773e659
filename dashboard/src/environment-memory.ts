/**
 * The environment each product's pages were last filtered to, kept in localStorage
 * (`dumpcatcher.env.<productKey>`), so a product opens in the environment it was left in.
 * The URL's `env=` stays the truth: a shared link's environment is applied and remembered.
 */
import { isEnvironment, routeUrl, type Route } from './routes';

const storageKey = (productKey: string) => `dumpcatcher.env.${productKey}`;

/** The environment remembered for a product; undefined for every environment (or no storage). */
export function rememberedEnvironment(productKey: string): string | undefined {
  try {
    const saved = localStorage.getItem(storageKey(productKey));
    return isEnvironment(saved) ? saved : undefined;
  } catch {
    return undefined; // storage disabled: nothing is remembered
  }
}

/** Remembers a product's environment; undefined forgets it (every environment). */
export function rememberEnvironment(productKey: string, env: string | undefined): void {
  try {
    if (env === undefined) localStorage.removeItem(storageKey(productKey));
    else localStorage.setItem(storageKey(productKey), env);
  } catch {
    // storage disabled or full: the URL still carries the choice
  }
}

/**
 * The route with its product's environment: one named in the URL is remembered; a product page
 * without one gets the remembered one, written into the URL in place (no history entry).
 */
export function withRememberedEnvironment(route: Route): Route {
  if (route.page === 'products' || route.page === 'not-found') return route;
  if (route.env !== undefined) {
    if (rememberedEnvironment(route.key) !== route.env) rememberEnvironment(route.key, route.env);
    return route;
  }
  const saved = rememberedEnvironment(route.key);
  if (saved === undefined) return route;
  const next = { ...route, env: saved };
  history.replaceState(null, '', routeUrl(next));
  return next;
}
