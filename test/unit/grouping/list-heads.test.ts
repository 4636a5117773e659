import {
  applyToHead,
  HEAD_ROWS,
  HEAD_SORTS,
  headFromQuery,
  pageOfHead,
  unbuiltHead,
  type HeadSort,
  type ListHeadDoc,
  type RowChange,
} from '../../../functions/src/grouping/list-heads';
import type { IssueRowDoc, IssueStatus } from '../../../functions/src/grouping/schemas';

const STATUSES: IssueStatus[] = ['unresolved', 'resolved', 'ignored', 'regressed'];

function row(status: IssueStatus, count: number, clients: number, lastSeenMs: number, title = 'Error: x'): IssueRowDoc {
  return {
    title,
    type: 'Error',
    culprit: 'x',
    count,
    clients,
    status,
    resolvedInVersion: null,
    resolvedAfterVersion: null,
    firstSeen: new Date(0),
    lastSeen: new Date(lastSeenMs),
    lastVersion: '1.0.0',
    searchTokens: ['error'],
  };
}

/** The listing's order, as the query gives it: value descending, then id descending. */
function truth(
  all: Map<string, IssueRowDoc>,
  status: IssueStatus,
  sort: HeadSort,
): Array<{ id: string; row: IssueRowDoc }> {
  const value = (r: IssueRowDoc) => (sort === 'lastSeen' ? r.lastSeen.getTime() : r[sort]);
  return [...all]
    .filter(([, r]) => r.status === status)
    .map(([id, r]) => ({ id, row: r }))
    .sort((a, b) => value(b.row) - value(a.row) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** A small deterministic generator, so a failure names its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('list heads', () => {
  it('keep exactly the first rows of their status through any changes, and answer a page only when they know it', () => {
    const wrong: string[] = [];
    let answered = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const random = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const all = new Map<string, IssueRowDoc>();
      const heads = new Map<string, ListHeadDoc>();
      for (const status of STATUSES) for (const sort of HEAD_SORTS) heads.set(`${status}-${sort}`, unbuiltHead());
      for (let step = 0; step < 200; step++) {
        // A transaction of 1 to 6 changes to distinct issues: new, grown, shrunk, moved, deleted.
        const changes: RowChange[] = [];
        const ids = new Set<string>();
        // The first transaction brings 400 issues, 100 a status: more than a head holds.
        for (let n = step === 0 ? 400 : 1 + Math.floor(random() * 6); n > 0; n--) {
          const id = step === 0 ? `issue-${n}` : `issue-${Math.floor(random() * 500)}`;
          if (ids.has(id)) continue;
          ids.add(id);
          const old = all.get(id);
          const roll = random();
          let next: IssueRowDoc | null;
          if (old !== undefined && roll < 0.08) next = null;
          else if (old !== undefined && roll < 0.3) next = { ...old, status: pick(STATUSES) };
          else if (old !== undefined && roll < 0.35) next = { ...old, title: `renamed ${step}` };
          else {
            const base = old ?? row(pick(STATUSES), 0, 0, 0);
            // Mostly growing, as the rollup's counts do; sometimes less, which must hold too.
            const grow = random() < 0.9 ? 1 : -1;
            next = {
              ...base,
              count: Math.max(1, base.count + grow * Math.floor(random() * 40)),
              clients: Math.max(1, base.clients + grow * Math.floor(random() * 5)),
              lastSeen: new Date(Math.max(0, base.lastSeen.getTime() + grow * Math.floor(random() * 1000))),
            };
          }
          changes.push({ id, row: next });
        }
        for (const change of changes) {
          if (change.row === null) all.delete(change.id);
          else all.set(change.id, change.row);
        }
        for (const status of STATUSES)
          for (const sort of HEAD_SORTS) {
            const key = `${status}-${sort}`;
            let head = applyToHead(heads.get(key)!, status, sort, changes);
            const expected = truth(all, status, sort);
            const where = `seed ${seed} step ${step} ${key}`;
            const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id).join(',');
            // Whatever it holds is the head of the truth, in order, its rows as written.
            if (ids(head.rows) !== ids(expected.slice(0, head.rows.length))) wrong.push(`${where}: rows`);
            if (head.rows.some((r) => r.title !== all.get(r.id)?.title)) wrong.push(`${where}: a stale row`);
            if (head.exhaustive && head.rows.length !== expected.length) wrong.push(`${where}: not every issue`);
            for (const limit of [10, 25, 50]) {
              const page = pageOfHead(head, limit);
              if (page === null) continue;
              answered++;
              if (ids(page.rows) !== ids(expected.slice(0, limit))) wrong.push(`${where}: page of ${limit}`);
              if (page.more !== expected.length > limit) wrong.push(`${where}: more`);
            }
            // Now and then the api rebuilds a head too short to answer, from the query.
            if (pageOfHead(head, 25) === null && random() < 0.3)
              head = headFromQuery(head.version, expected.slice(0, HEAD_ROWS + 1));
            heads.set(key, head);
          }
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(answered).toBeGreaterThan(1000);
  });

  it('counts a change to its status in its version, and only such a change', () => {
    const head = applyToHead(unbuiltHead(), 'unresolved', 'count', [{ id: 'a', row: row('unresolved', 3, 1, 5) }]);
    expect(head.version).toBe(1);
    expect(applyToHead(head, 'unresolved', 'count', [{ id: 'b', row: row('resolved', 9, 1, 5) }])).toBe(head);
    // An issue the head does not hold, still ranking after it, changes the status's rows all the same.
    expect(applyToHead(head, 'unresolved', 'count', [{ id: 'c', row: row('unresolved', 1, 1, 5) }]).version).toBe(2);
  });

  it('keeps rows without their search tokens', () => {
    const built = headFromQuery(4, [{ id: 'a', row: row('unresolved', 3, 1, 5) }]);
    expect(built).toMatchObject({ version: 4, exhaustive: true });
    expect(built.rows[0]).not.toHaveProperty('searchTokens');
    expect(built.rows[0]).toMatchObject({ id: 'a', count: 3 });
  });
});
