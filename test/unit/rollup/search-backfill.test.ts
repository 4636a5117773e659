import {
  backfillSearchTokens,
  ISSUES_PER_BACKFILL,
  type BackfillIssue,
  type SearchBackfillState,
  type SearchBackfillStore,
} from '../../../functions/src/rollup/search-backfill';
import { SEARCH_TOKENS_VERSION } from '../../../functions/src/grouping/search-tokens';
import type { IssueRowDoc } from '../../../functions/src/grouping/schemas';

/** Products with issues in id order, in memory; `changed` issues refuse the write as if the rollup wrote them since. */
function memoryStore(products: Record<string, number>, changed = new Set<string>()) {
  const issues = new Map<string, BackfillIssue[]>();
  for (const [key, n] of Object.entries(products)) {
    issues.set(
      key,
      Array.from({ length: n }, (_, i) => ({
        id: `i${String(i).padStart(5, '0')}`,
        title: `CheckoutError: number ${i}`,
        culprit: null,
        type: 'CheckoutError',
        versions: ['1.0'],
        row: {
          title: `CheckoutError: number ${i}`,
          type: 'CheckoutError',
          culprit: null,
          count: 1,
          clients: 1,
          status: 'unresolved' as const,
          resolvedInVersion: null,
          firstSeen: new Date(0),
          lastSeen: new Date(0),
          lastVersion: '1.0',
        },
        hasRow: false,
        readAt: null,
      })),
    );
  }
  let state: SearchBackfillState | null = null;
  const rows = new Map<string, IssueRowDoc>();
  const counts = { reads: 0, writes: 0 };
  /** Products marked complete, in the order they were. */
  const complete: string[] = [];
  const store: SearchBackfillStore = {
    readState: async () => (counts.reads++, state),
    writeState: async (s) => {
      state = s;
    },
    nextProduct: async (after) => [...issues.keys()].sort().find((k) => after === null || k > after) ?? null,
    listIssues: async (key, afterId, limit) => {
      const rows = (issues.get(key) ?? []).filter((i) => afterId === null || i.id > afterId).slice(0, limit);
      counts.reads += rows.length;
      return rows.map((r) => ({ ...r }));
    },
    writeTokens: async (key, issue, tokens, listRow) => {
      if (changed.has(`${key}/${issue.id}`)) return false;
      counts.writes++;
      const row = issues.get(key)!.find((i) => i.id === issue.id)!;
      row.searchTokens = tokens;
      row.hasRow = true;
      rows.set(`${key}/${issue.id}`, listRow);
      return true;
    },
    markRowsComplete: async (key) => {
      // Only once each of the product's issues has its row.
      expect((issues.get(key) ?? []).filter((i) => !i.hasRow && !changed.has(`${key}/${i.id}`))).toEqual([]);
      complete.push(key);
    },
  };
  return { store, issues, rows, counts, complete, state: () => state };
}

describe('backfillSearchTokens', () => {
  it('gives every issue of every product its tokens, a bounded step per run, then costs one read a run', async () => {
    const m = memoryStore({ pk_a: ISSUES_PER_BACKFILL - 10, pk_b: 30, pk_c: 5 });
    const first = await backfillSearchTokens(m.store);
    expect(first).toEqual({ checked: ISSUES_PER_BACKFILL, written: ISSUES_PER_BACKFILL, done: false });
    // pk_a was passed to its end; pk_b only in part, so its listing still reads its issues.
    expect(m.complete).toEqual(['pk_a']);
    const second = await backfillSearchTokens(m.store);
    expect(second).toEqual({ checked: 25, written: 25, done: true });
    expect(m.complete).toEqual(['pk_a', 'pk_b', 'pk_c']);
    for (const rows of m.issues.values()) {
      for (const row of rows)
        expect(row.searchTokens).toEqual(expect.arrayContaining(['checkout', 'env:production', 'v:1.0']));
    }
    const reads = m.counts.reads;
    expect(await backfillSearchTokens(m.store)).toEqual({ checked: 0, written: 0, done: true });
    expect(m.counts.reads).toBe(reads + 1);
  });

  it('on a new token version, rewrites only issues whose tokens differ, keeping the filter values they had', async () => {
    const m = memoryStore({ pk_a: 3 });
    await backfillSearchTokens(m.store);
    const row = m.issues.get('pk_a')![0]!;
    // As an older format would have left it: no version token, and values only crashes could give.
    row.searchTokens = [...row.searchTokens!.filter((t) => !/^(v|env):/.test(t)), 'env:staging', 'label:pay'];
    const done = m.state()!;
    await m.store.writeState({ ...done, version: SEARCH_TOKENS_VERSION - 1 });
    const before = m.counts.writes;
    expect(await backfillSearchTokens(m.store)).toEqual({ checked: 3, written: 1, done: true });
    expect(m.counts.writes - before).toBe(1);
    expect(row.searchTokens).toEqual(expect.arrayContaining(['v:1.0', 'env:staging', 'label:pay']));
    expect(row.searchTokens).not.toContain('env:production');
  });

  it('gives an issue without a list row its row, with the tokens, even when its tokens are current', async () => {
    const m = memoryStore({ pk_a: 2 });
    await backfillSearchTokens(m.store);
    const issue = m.issues.get('pk_a')![1]!;
    issue.hasRow = false;
    m.rows.delete('pk_a/i00001');
    await m.store.writeState({ ...m.state()!, version: SEARCH_TOKENS_VERSION - 1 });
    expect(await backfillSearchTokens(m.store)).toEqual({ checked: 2, written: 1, done: true });
    expect(m.rows.get('pk_a/i00001')).toEqual({
      ...issue.row,
      resolvedAfterVersion: null,
      // The row of an issue without per-environment counts counts it all as production.
      environmentCounts: { production: issue.row.count },
      searchTokens: issue.searchTokens,
    });
  });

  it('leaves an issue the rollup wrote since it was read to the tokens that write built', async () => {
    const m = memoryStore({ pk_a: 2 }, new Set(['pk_a/i00000']));
    expect(await backfillSearchTokens(m.store)).toEqual({ checked: 2, written: 1, done: true });
    expect(m.issues.get('pk_a')![0]!.searchTokens).toBeUndefined();
  });
});
