/**
 * The dashboard's URLs, as plain data (no DOM, no framework), so they are unit-tested. The route
 * is the whole URL: the path names the page, the query holds what a person would share (tab,
 * sort, range, page). `parseRoute` reads a URL into a route and `routeUrl` writes one back; pages
 * read their view from the route and build their links with `routeUrl`, never from the query.
 */

/** The issue list's tabs, first the default. */
export const ISSUE_STATUSES = ['unresolved', 'regressed', 'resolved', 'ignored'] as const;
export type IssueTab = (typeof ISSUE_STATUSES)[number];
/** The issue list's sort orders, first the default. */
export const ISSUE_SORTS = ['lastSeen', 'count', 'clients'] as const;
export type IssueSort = (typeof ISSUE_SORTS)[number];
/** The issue list's filter chips besides the search box (the environment is the shell's picker, `env`), by URL parameter. */
export const ISSUE_FILTER_KINDS = ['version', 'label', 'type', 'app', 'tag'] as const;
export type IssueFilterKind = (typeof ISSUE_FILTER_KINDS)[number];
/** One filter chip: `tag` values are `key:value`; the other kinds appear at most once. */
export interface IssueFilterChip {
  kind: IssueFilterKind;
  value: string;
}
/** Most `tag` chips the api takes. */
export const MAX_TAG_CHIPS = 5;

/** The ranges in days a page offers, and the one it shows without a `range` in the URL. */
export const RANGES = {
  overview: { days: [14, 30], fallback: 14 },
  usage: { days: [7, 14, 30, 90], fallback: 30 },
  releases: { days: [7, 14, 30, 90], fallback: 14 },
} as const satisfies Record<string, { days: readonly number[]; fallback: number }>;
/**
 * How many api cursors the issue list keeps in its URL (about 200 characters each): "Previous
 * page" walks back through them, then to the first page.
 */
export const MAX_TRAIL = 32;

/** An environment's name as the api accepts it (functions/src/grouping/schemas.ts ENVIRONMENT_PATTERN). */
const ENVIRONMENT_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Whether `text` is an environment's name the api would accept. */
export const isEnvironment = (text: string | null | undefined): text is string =>
  text != null && ENVIRONMENT_PATTERN.test(text);

/**
 * A product page the URL names. `env` (the URL's `env=`, on every product page) is the one
 * environment the page's figures are filtered to; absent for every environment.
 */
type ProductRoute = { key: string; env?: string } & (
  | { page: 'overview'; range: number }
  | {
      page: 'issues';
      status: IssueTab;
      sort: IssueSort;
      /** The search box's text ('' for none). */
      q: string;
      /** Filter chips in URL order. */
      filters: IssueFilterChip[];
      /** The api cursors followed from the first page, oldest first: the last one is the page shown, none is page 1. */
      trail: string[];
    }
  | { page: 'issue'; issueId: string }
  | { page: 'usage'; range: number }
  | { page: 'releases'; range: number }
  /** One release: `version` is the app version as the SDK sent it (percent-encoded in the path). */
  | { page: 'release'; version: string; range: number }
  | { page: 'settings' }
);

/** A page the URL names, with the view its query asks for (defaults filled in). */
export type Route = { page: 'products' } | ProductRoute | { page: 'not-found' };

function oneOf<T extends string | number>(allowed: readonly T[], text: string | null, fallback = allowed[0]!): T {
  return allowed.find((a) => String(a) === text) ?? fallback;
}

const rangeOf = (page: keyof typeof RANGES, text: string | null): number =>
  oneOf<number>(RANGES[page].days, text, RANGES[page].fallback);

/** The longest app version the api accepts. */
const MAX_VERSION_LENGTH = 64;

/** A version from its path segment; null when the segment is not a percent-encoded version. */
function versionOf(segment: string): string | null {
  let version: string;
  try {
    version = decodeURIComponent(segment);
  } catch {
    return null;
  }
  return version.length === 0 || version.length > MAX_VERSION_LENGTH ? null : version;
}

/** Reads a URL's path and query into a route; unknown or malformed query values fall back to the defaults. */
export function parseRoute(pathname: string, search: string | URLSearchParams = ''): Route {
  const query = typeof search === 'string' ? new URLSearchParams(search) : search;
  const route = parsePage(pathname, query);
  const env = query.get('env');
  // A malformed env is dropped like any unknown value: the page shows every environment.
  return route.page === 'products' || route.page === 'not-found' || !isEnvironment(env) ? route : { ...route, env };
}

function parsePage(pathname: string, query: URLSearchParams): Route {
  if (pathname === '/' || pathname === '') return { page: 'products' };
  const r = /^\/p\/([A-Za-z0-9_-]{8,64})\/releases(?:\/([^/]+))?\/?$/.exec(pathname);
  if (r !== null) {
    const range = rangeOf('releases', query.get('range'));
    if (r[2] === undefined) return { page: 'releases', key: r[1]!, range };
    const version = versionOf(r[2]);
    return version === null ? { page: 'not-found' } : { page: 'release', key: r[1]!, version, range };
  }
  const m = /^\/p\/([A-Za-z0-9_-]{8,64})(?:\/(issues|usage|settings)(?:\/([0-9a-f]{64}))?)?\/?$/.exec(pathname);
  if (m === null) return { page: 'not-found' };
  const key = m[1]!;
  const section = m[2];
  const id = m[3];
  if (section === undefined) return { page: 'overview', key, range: rangeOf('overview', query.get('range')) };
  if (section === 'issues') {
    if (id !== undefined) return { page: 'issue', key, issueId: id };
    return {
      page: 'issues',
      key,
      status: oneOf(ISSUE_STATUSES, query.get('status')),
      sort: oneOf(ISSUE_SORTS, query.get('sort')),
      q: (query.get('q') ?? '').trim().slice(0, 200),
      filters: filtersOf(query),
      trail: query
        .getAll('cursor')
        .filter((c) => c !== '')
        .slice(-MAX_TRAIL),
    };
  }
  if (id !== undefined) return { page: 'not-found' };
  if (section === 'usage') return { page: 'usage', key, range: rangeOf('usage', query.get('range')) };
  return { page: 'settings', key };
}

/** The filter chips of a query: empty values dropped, one of each kind but `tag`, up to MAX_TAG_CHIPS tags. */
function filtersOf(query: URLSearchParams): IssueFilterChip[] {
  const chips: IssueFilterChip[] = [];
  for (const kind of ISSUE_FILTER_KINDS) {
    const values = query.getAll(kind).filter((v) => v !== '' && (kind !== 'tag' || /^[^:]+:/.test(v)));
    const kept = kind === 'tag' ? [...new Set(values)].slice(0, MAX_TAG_CHIPS) : values.slice(-1);
    for (const value of kept) chips.push({ kind, value });
  }
  return chips;
}

/** Path of a product page. */
export const productPath = (key: string, section?: 'issues' | 'releases' | 'usage' | 'settings') =>
  `/p/${key}${section === undefined ? '' : `/${section}`}`;

/** Path of one issue. */
export const issuePath = (key: string, issueId: string) => `${productPath(key, 'issues')}/${issueId}`;

/** Path of one release (its version percent-encoded, so any version is one path segment). */
const releasePath = (key: string, version: string) => `${productPath(key, 'releases')}/${encodeURIComponent(version)}`;

function withQuery(path: string, pairs: Array<[string, string | number, string | number]>): string {
  const query = new URLSearchParams();
  // A value equal to its default stays out, so every view has one URL.
  for (const [name, value, fallback] of pairs) if (value !== fallback) query.append(name, String(value));
  const s = query.toString();
  return s === '' ? path : `${path}?${s}`;
}

/** The URL of a route: the inverse of `parseRoute`, defaults left out. */
export function routeUrl(route: Route): string {
  const url = pageUrl(route);
  if (!('env' in route) || route.env === undefined) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams({ env: route.env }).toString()}`;
}

/** The same route in environment `env` (undefined: every environment); the issue list goes back to its first page. */
export function withEnvironment<R extends Route>(route: R, env: string | undefined): R {
  if (route.page === 'products' || route.page === 'not-found') return route;
  const { env: _old, ...rest } = route as Extract<Route, { key: string }>;
  const next = (env === undefined ? rest : { ...rest, env }) as R;
  return next.page === 'issues' ? { ...next, trail: [] } : next;
}

function pageUrl(route: Route): string {
  switch (route.page) {
    case 'products':
      return '/';
    case 'not-found':
      return '/';
    case 'overview':
      return withQuery(productPath(route.key), [['range', route.range, RANGES.overview.fallback]]);
    case 'usage':
      return withQuery(productPath(route.key, 'usage'), [['range', route.range, RANGES.usage.fallback]]);
    case 'releases':
      return withQuery(productPath(route.key, 'releases'), [['range', route.range, RANGES.releases.fallback]]);
    case 'release':
      return withQuery(releasePath(route.key, route.version), [['range', route.range, RANGES.releases.fallback]]);
    case 'issues':
      return withQuery(productPath(route.key, 'issues'), [
        ['status', route.status, ISSUE_STATUSES[0]],
        ['sort', route.sort, ISSUE_SORTS[0]],
        ['q', route.q, ''],
        ...route.filters.map((f): [string, string, string] => [f.kind, f.value, '']),
        ...route.trail.slice(-MAX_TRAIL).map((c): [string, string, string] => ['cursor', c, '']),
      ]);
    case 'issue':
      return issuePath(route.key, route.issueId);
    case 'settings':
      return productPath(route.key, 'settings');
  }
}

/** The issue list one page further on (`next` is the api's `nextCursor`); the oldest cursors beyond MAX_TRAIL go. */
export const nextPage = (route: Extract<Route, { page: 'issues' }>, next: string) => ({
  ...route,
  trail: [...route.trail, next].slice(-MAX_TRAIL),
});

/** The issue list with another search or filters, from its first page (the environment: withEnvironment). */
export const filteredIssues = (
  route: Extract<Route, { page: 'issues' }>,
  change: Partial<Pick<Extract<Route, { page: 'issues' }>, 'q' | 'filters'>>,
): Extract<Route, { page: 'issues' }> => ({ ...route, ...change, trail: [] });

/** Filters with `chip` added: it replaces a chip of its kind (but `tag`), in the URL's order of kinds. */
export function withChip(filters: readonly IssueFilterChip[], chip: IssueFilterChip): IssueFilterChip[] {
  const kept = filters.filter((f) =>
    chip.kind === 'tag' ? f.kind !== 'tag' || f.value !== chip.value : f.kind !== chip.kind,
  );
  if (chip.kind === 'tag' && kept.filter((f) => f.kind === 'tag').length >= MAX_TAG_CHIPS) return [...filters];
  return [...kept, chip].sort((a, b) => ISSUE_FILTER_KINDS.indexOf(a.kind) - ISSUE_FILTER_KINDS.indexOf(b.kind));
}

/** The issue list one page back (the first page stays the first). */
export const previousPage = (route: Extract<Route, { page: 'issues' }>) => ({
  ...route,
  trail: route.trail.slice(0, -1),
});
