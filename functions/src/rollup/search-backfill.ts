import {
  buildSearchTokens,
  createFacetSets,
  SEARCH_TOKENS_VERSION,
  storedTokens,
  type TokenSource,
} from '../grouping/search-tokens';
import { issueRowOf, type IssueRowDoc } from '../grouping/schemas';

/** Where the backfill stands: the last issue it passed, or done for a token version. */
export interface SearchBackfillState {
  version: number;
  /** The last issue passed (product key, issue id); null before the first. */
  after: { productKey: string; issueId: string } | null;
  done: boolean;
}

/** An issue as the backfill reads it, with what it needs to write it back only if unchanged. */
export interface BackfillIssue extends TokenSource {
  id: string;
  searchTokens?: string[] | undefined;
  /** The issue's list-row fields as stored on the issue document. */
  row: IssueRowDoc;
  /** Whether its list row (issueRows) exists. */
  hasRow: boolean;
  /** Opaque: the version read, so the write is skipped if the rollup wrote the issue since. */
  readAt: unknown;
}

/** What the backfill reads and writes. */
export interface SearchBackfillStore {
  readState(): Promise<SearchBackfillState | null>;
  writeState(state: SearchBackfillState): Promise<void>;
  /** The first product key after `after` (null: the first of all), or null when there is none. */
  nextProduct(after: string | null): Promise<string | null>;
  /** Up to `limit` issues of a product after `afterId`, in id order. */
  listIssues(productKey: string, afterId: string | null, limit: number): Promise<BackfillIssue[]>;
  /** Sets the issue's tokens and its list row, unless the issue changed since it was read; false when it had. */
  writeTokens(productKey: string, issue: BackfillIssue, tokens: string[], row: IssueRowDoc): Promise<boolean>;
  /** Records on the product that every issue of it has its list row (`issueRowsComplete`); a deleted product is passed. */
  markRowsComplete(productKey: string): Promise<void>;
}

/** What one backfill step did; part of the rollup's answer. */
export interface SearchBackfillSummary {
  checked: number;
  written: number;
  done: boolean;
}

/** Most issues one step reads (one read each, once per token version). */
export const ISSUES_PER_BACKFILL = 500;

const sameTokens = (a: readonly string[] | undefined, b: readonly string[]) =>
  a !== undefined && a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * Gives issues stored before search tokens (or under an older SEARCH_TOKENS_VERSION) their tokens
 * and their list row (issueRows, written with the tokens; an issue without one gets it),
 * ISSUES_PER_BACKFILL at a time, product by product: words, type and versions from the issue,
 * the filter values it already had (or `env:production`, see storedTokens). An issue the rollup
 * writes meanwhile is skipped, since that write built its tokens and its row. A product whose
 * issues were all passed is marked complete: the listing then queries its rows (before, its
 * issues, so none is left out). Once every issue was passed, a step costs one read until the
 * version changes.
 */
export async function backfillSearchTokens(store: SearchBackfillStore): Promise<SearchBackfillSummary> {
  const state = await store.readState();
  if (state !== null && state.version === SEARCH_TOKENS_VERSION && state.done)
    return { checked: 0, written: 0, done: true };
  let after = state !== null && state.version === SEARCH_TOKENS_VERSION ? state.after : null;
  let checked = 0;
  let written = 0;
  let productKey = after?.productKey ?? (await store.nextProduct(null));
  while (productKey !== null && checked < ISSUES_PER_BACKFILL) {
    const afterId = after !== null && after.productKey === productKey ? after.issueId : null;
    const issues = await store.listIssues(productKey, afterId, ISSUES_PER_BACKFILL - checked);
    const key = productKey;
    const changes = issues
      .map((issue) => ({ issue, tokens: buildSearchTokens(issue, storedTokens(issue), createFacetSets()) }))
      .filter(({ issue, tokens }) => !issue.hasRow || !sameTokens(issue.searchTokens, tokens));
    const results = await Promise.all(
      changes.map(({ issue, tokens }) =>
        store.writeTokens(key, issue, tokens, issueRowOf({ ...issue.row, searchTokens: tokens })),
      ),
    );
    written += results.filter(Boolean).length;
    checked += issues.length;
    const last = issues[issues.length - 1];
    if (last !== undefined) after = { productKey, issueId: last.id };
    if (checked >= ISSUES_PER_BACKFILL) break;
    // Fewer than asked: the product's last issue was passed, and every issue the rollup or
    // regroup wrote meanwhile got its row with it.
    await store.markRowsComplete(productKey);
    after = { productKey, issueId: '' };
    productKey = await store.nextProduct(productKey);
  }
  const done = productKey === null;
  await store.writeState({ version: SEARCH_TOKENS_VERSION, after: done ? null : after, done });
  return { checked, written, done };
}
