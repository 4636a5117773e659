/**
 * The search and filter tokens an issue document keeps (`searchTokens`), and the matching the
 * issue listing does with them. Firestore has no substring search and allows one
 * `array-contains` per query, so the rollup stores every word prefix and every filter value of
 * an issue as a token: the listing asks Firestore for one token and checks the rest in memory.
 * Pure: the rollup (writer) and the api (reader) share this one definition of the format.
 *
 * Tokens: word prefixes of the title, culprit and type (`checkout`, `ch`, …: lowercase letters and
 * digits, never a colon) and one token per filter value, `env:`, `v:`, `label:`, `type:`, `app:`,
 * `tag:key:value`.
 */
import { DEFAULT_ENVIRONMENT } from './schemas';

/** Shortest word prefix kept as a token; a one-letter query word is matched in memory only. */
export const MIN_PREFIX = 2;
/** Longest word prefix kept; a longer query word is looked up by its first MAX_PREFIX characters. */
export const MAX_PREFIX = 12;
/** Most word-prefix tokens per issue; words past it (in title, culprit, type order) are not searchable. */
export const MAX_WORD_TOKENS = 200;
/** Most tokens kept per filter kind: the most recently seen values stay, the oldest go first. */
export const MAX_FACET_TOKENS = { env: 20, v: 50, label: 20, app: 10, tag: 50 } as const;
/** Most words a `q` may have. */
export const MAX_QUERY_WORDS = 8;

/** The filter kinds whose values accumulate from crashes (`type` is the issue's own). */
export type FacetKind = keyof typeof MAX_FACET_TOKENS;

/** The filter values of one crash (absent environment: production). */
export interface CrashFacets {
  environment?: string | undefined;
  label?: string | undefined;
  app: { name?: string | undefined };
  tags?: Record<string, string> | undefined;
}

/** Facets being gathered from a batch's crashes: each value once, the latest seen last. */
export interface FacetSets {
  environments: Set<string>;
  labels: Set<string>;
  apps: Set<string>;
  tags: Map<string, readonly [string, string]>;
}

/** An empty FacetSets. */
export function createFacetSets(): FacetSets {
  return { environments: new Set(), labels: new Set(), apps: new Set(), tags: new Map() };
}

function touch<T>(set: Set<T>, value: T): void {
  set.delete(value);
  set.add(value);
}

/** Adds one crash's environment, label, app name and tags to `facets` (crashes in receivedAt order). */
export function addCrashFacets(facets: FacetSets, crash: CrashFacets): void {
  touch(facets.environments, crash.environment ?? DEFAULT_ENVIRONMENT);
  if (crash.label !== undefined) touch(facets.labels, crash.label);
  if (crash.app.name !== undefined && crash.app.name !== '') touch(facets.apps, crash.app.name);
  for (const [k, v] of Object.entries(crash.tags ?? {})) {
    const token = tagToken(k, v);
    facets.tags.delete(token);
    facets.tags.set(token, [k, v]);
  }
}

/** What the tokens of an issue are built from. */
export interface TokenSource {
  title: string;
  culprit: string | null;
  type: string;
  /** The issue's versions, oldest first in version order (IssueDoc.versions). */
  versions: readonly string[];
}

// An identifier splits at a lower→upper change ("priceOf"), inside an acronym before a word
// ("HTTPServer" → HTTP, Server) and keeps trailing digits ("HTTP2Error" → HTTP2, Error).
const PART = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+\p{N}*|\p{Lu}+\p{N}*|\p{N}+|\p{L}+/gu;
const SEGMENT_SEPARATOR = /[^\p{L}\p{N}]+/u;

function partsOf(segment: string): string[] {
  return (segment.match(PART) ?? []).map((p) => p.toLowerCase());
}

/**
 * The searchable words of a text, lowercase: each camelCase part of every run of letters and
 * digits, and the run itself when it has several parts (`CheckoutService.priceOf` → checkout,
 * service, checkoutservice, price, of, priceof).
 */
export function searchWords(text: string): string[] {
  const words = new Set<string>();
  for (const segment of text.split(SEGMENT_SEPARATOR)) {
    if (segment === '') continue;
    const parts = partsOf(segment);
    for (const part of parts) words.add(part);
    if (parts.length > 1) words.add(segment.toLowerCase());
  }
  return [...words];
}

/** The words of a `q`: its camelCase parts, lowercase, no compounds; each must prefix a word of the issue. */
export function queryWords(q: string): string[] {
  const words = new Set<string>();
  for (const segment of q.split(SEGMENT_SEPARATOR)) for (const part of partsOf(segment)) words.add(part);
  return [...words];
}

/** The index token a query word is looked up by; null for a word too short to have one. */
export function wordToken(word: string): string | null {
  return word.length < MIN_PREFIX ? null : word.slice(0, MAX_PREFIX);
}

function facetToken(kind: FacetKind | 'type', value: string): string {
  return `${kind}:${value}`;
}

/** The token of a `tag=key:value` filter. */
export function tagToken(key: string, value: string): string {
  return `tag:${key}:${value}`;
}

function issueWords(source: Pick<TokenSource, 'title' | 'culprit' | 'type'>): string[] {
  return [...new Set([source.title, source.culprit ?? '', source.type].flatMap(searchWords))];
}

function wordTokens(source: TokenSource): string[] {
  const tokens = new Set<string>();
  for (const word of issueWords(source)) {
    const added: string[] = [];
    for (let n = MIN_PREFIX; n <= Math.min(word.length, MAX_PREFIX); n++) {
      const prefix = word.slice(0, n);
      if (!tokens.has(prefix)) added.push(prefix);
    }
    // A word whose prefixes do not all fit is left out whole, so a word is searchable by every prefix or by none.
    if (tokens.size + added.length > MAX_WORD_TOKENS) break;
    for (const prefix of added) tokens.add(prefix);
  }
  return [...tokens];
}

/** The facet tokens of one kind, most recent last, at most its cap. */
function keepRecent(kind: FacetKind, current: readonly string[], seen: readonly string[]): string[] {
  const fresh = new Set(seen);
  return [...current.filter((t) => !fresh.has(t)), ...fresh].slice(-MAX_FACET_TOKENS[kind]);
}

function tokensOfKind(tokens: readonly string[], kind: FacetKind): string[] {
  const prefix = `${kind}:`;
  return tokens.filter((t) => t.startsWith(prefix));
}

/**
 * The crash-fed values an issue's tokens hold (`env:`, `label:`, `app:`, `tag:`), as a batch
 * would carry them: for merging one issue into another (rollup/regroup.ts).
 */
export function facetsOfTokens(tokens: readonly string[]): FacetSets {
  const facets = createFacetSets();
  for (const token of tokens) {
    const at = token.indexOf(':');
    const kind = token.slice(0, at);
    const value = token.slice(at + 1);
    if (kind === 'env') facets.environments.add(value);
    else if (kind === 'label') facets.labels.add(value);
    else if (kind === 'app') facets.apps.add(value);
    else if (kind === 'tag') {
      // Written back as `tag:${key}:${value}`, the same token whichever colon splits it.
      const split = value.indexOf(':');
      facets.tags.set(token, [value.slice(0, split), value.slice(split + 1)]);
    }
  }
  return facets;
}

/** Longest token kept, in UTF-8 bytes: Firestore indexes only the first 1,500 bytes of a string. */
export const MAX_TOKEN_BYTES = 1400;

const utf8 = new TextEncoder();

// Where each kind that accumulates from crashes gets its values in a batch.
const FACETS: Array<[FacetKind, (seen: FacetSets) => string[]]> = [
  ['env', (seen) => [...seen.environments].map((e) => facetToken('env', e))],
  ['label', (seen) => [...seen.labels].map((l) => facetToken('label', l))],
  ['app', (seen) => [...seen.apps].map((a) => facetToken('app', a))],
  ['tag', (seen) => [...seen.tags.values()].map(([k, v]) => tagToken(k, v))],
];

/**
 * An issue's tokens after a batch: words and `type:` from the issue itself, `v:` from its newest
 * versions, and `env:`, `label:`, `app:`, `tag:` from the tokens it had (`current`, see
 * storedTokens) plus the values the batch's crashes carried. A token past MAX_TOKEN_BYTES (a
 * very long type of multi-byte letters) is left out.
 */
export function buildSearchTokens(source: TokenSource, current: readonly string[], seen: FacetSets): string[] {
  return [
    ...wordTokens(source),
    facetToken('type', source.type),
    ...source.versions.slice(-MAX_FACET_TOKENS.v).map((v) => facetToken('v', v)),
    ...FACETS.flatMap(([kind, valuesOf]) => keepRecent(kind, tokensOfKind(current, kind), valuesOf(seen))),
  ].filter((t) => t.length * 3 <= MAX_TOKEN_BYTES || utf8.encode(t).length <= MAX_TOKEN_BYTES);
}

/**
 * Version of the token format and of the list rows that carry the tokens (issueRows). The
 * backfill (rollup/search-backfill.ts) passes over every issue once per version: raise it when
 * buildSearchTokens changes what it keeps. 2: every issue gets its list row.
 */
export const SEARCH_TOKENS_VERSION = 2;

/**
 * The tokens an issue had before a batch: none for a new issue, `env:production` for one stored
 * before tokens were kept (its crashes predate environments, which read as production).
 */
export function storedTokens(issue: { searchTokens?: readonly string[] | undefined } | null): readonly string[] {
  if (issue === null) return [];
  return issue.searchTokens ?? [facetToken('env', DEFAULT_ENVIRONMENT)];
}

/** The issue listing's search and filters (each optional; all given must match). */
export interface IssueFilter {
  q?: string | undefined;
  environment?: string | undefined;
  version?: string | undefined;
  label?: string | undefined;
  type?: string | undefined;
  app?: string | undefined;
  /** `[key, value]` pairs; every one must match. */
  tags?: ReadonlyArray<readonly [string, string]> | undefined;
}

/** One check an issue must pass: a token it must hold, and for a query word the word itself. */
interface Condition {
  token: string | null;
  word?: string;
  /** Lower goes first as the indexed token. */
  rank: number;
}

// Which token is asked of Firestore: the one likely to match fewest issues. A tag or a version
// names few issues; a long query word fewer than a short one; an environment (production) most.
function conditionsOf(filter: IssueFilter): Condition[] {
  const out: Condition[] = [];
  for (const [k, v] of filter.tags ?? []) out.push({ token: tagToken(k, v), rank: 0 });
  if (filter.version !== undefined) out.push({ token: facetToken('v', filter.version), rank: 1 });
  if (filter.label !== undefined) out.push({ token: facetToken('label', filter.label), rank: 2 });
  for (const word of queryWords(filter.q ?? '')) {
    const token = wordToken(word);
    // Longer words rank before shorter ones: 3 (12+ characters) … 13 (2 characters).
    out.push({ token, word, rank: token === null ? 99 : 3 + MAX_PREFIX - token.length });
  }
  if (filter.type !== undefined) out.push({ token: facetToken('type', filter.type), rank: 20 });
  if (filter.app !== undefined) out.push({ token: facetToken('app', filter.app), rank: 21 });
  if (filter.environment !== undefined) out.push({ token: facetToken('env', filter.environment), rank: 22 });
  return out.sort((a, b) => a.rank - b.rank);
}

/** The token the listing asks Firestore for (`array-contains`); null when the filter is empty or only one-letter words. */
export function indexedToken(filter: IssueFilter): string | null {
  return conditionsOf(filter)[0]?.token ?? null;
}

/** Whether a filter asks for anything. */
export function isFiltered(filter: IssueFilter): boolean {
  return conditionsOf(filter).length > 0;
}

/** The issue fields matching reads. */
export type MatchableIssue = Pick<TokenSource, 'title' | 'culprit' | 'type'> & {
  searchTokens?: readonly string[] | undefined;
};

/**
 * Whether an issue matches every part of a filter: it holds each filter's token, and each query
 * word prefixes one of its words (and, two letters or more, is indexed as such: a word past the
 * token cap matches neither way). An issue without tokens (not yet backfilled) matches nothing.
 */
export function matchesFilter(issue: MatchableIssue, filter: IssueFilter): boolean {
  const conditions = conditionsOf(filter);
  if (conditions.length === 0) return true;
  const tokens = new Set(issue.searchTokens ?? []);
  let words: string[] | null = null;
  for (const c of conditions) {
    if (c.token !== null && !tokens.has(c.token)) return false;
    if (c.word !== undefined) {
      words ??= issueWords(issue);
      const word = c.word;
      if (!words.some((w) => w.startsWith(word))) return false;
    }
  }
  return true;
}

/** A filter written one way only (sorted words and tags), for binding a cursor to the filter it paged. */
export function canonicalFilter(filter: IssueFilter): string {
  return JSON.stringify([
    queryWords(filter.q ?? '').sort(),
    filter.environment ?? null,
    filter.version ?? null,
    filter.label ?? null,
    filter.type ?? null,
    filter.app ?? null,
    [...(filter.tags ?? [])].map(([k, v]) => tagToken(k, v)).sort(),
  ]);
}
