/**
 * Issue documents written straight to Firestore for the listing tests (the rollup would need one
 * distinct bug per issue), the order the listing must give them, and a store that counts reads.
 */
import type { InsightsStore } from '../../functions/src/api/deps';
import { issueRowOf, type IssueDoc, type IssueStatus } from '../../functions/src/grouping/schemas';
import { testDb } from './helpers';

const DAY_MS = 86_400_000;
const STATUSES: IssueStatus[] = ['unresolved', 'regressed', 'resolved', 'ignored'];

/** Issue `i`'s id: 64 hex digits. */
export const hexId = (n: number) => n.toString(16).padStart(64, '0');

/**
 * Writes `n` issues with ties on every sort field (groups of three share lastSeen, count and
 * clients, so order within a group is by id), statuses in turn, 2 crashes today; `reshape`
 * changes any of them (a title, no per-day counts, …). Each gets its list row (issueRows), as the
 * rollup writes it, unless `rows` is false (an issue stored before rows were kept).
 */
export async function seedIssues(
  productKey: string,
  n: number,
  reshape: (issue: IssueDoc, i: number) => IssueDoc = (issue) => issue,
  rows = true,
): Promise<Map<string, IssueDoc>> {
  const now = Date.now();
  const today = new Date(now).toISOString().slice(0, 10);
  const issues = new Map<string, IssueDoc>();
  const db = testDb();
  for (let start = 0; start < n; start += 400) {
    const batch = db.batch();
    for (let i = start; i < Math.min(n, start + 400); i++) {
      const id = hexId(i * 7919 + 1);
      const issue = reshape(
        {
          productKey,
          fingerprint: id,
          source: 'message',
          title: `Error: number ${i}`,
          type: 'Error',
          culprit: null,
          topFrame: null,
          firstSeen: new Date(now - 3 * DAY_MS),
          lastSeen: new Date(now - Math.floor(i / 3) * 1000),
          count: 1000 - (i % 40),
          clients: i % 7,
          clientSketch: new Uint8Array(0),
          versions: ['1.0'],
          lastVersion: '1.0',
          status: STATUSES[i % 4]!,
          resolvedInVersion: null,
          statusChangedAt: null,
          regressedInVersion: null,
          recentCrashIds: [],
          updatedAt: new Date(now),
          daily: [{ day: today, count: 2 }],
        },
        i,
      );
      issues.set(id, issue);
      batch.set(db.doc(`products/${productKey}/issues/${id}`), issue);
      if (rows) batch.set(db.doc(`products/${productKey}/issueRows/${id}`), issueRowOf(issue));
    }
    await batch.commit();
  }
  return issues;
}

/** The order the listing must produce of the issues `keep` admits: sort value descending, then id descending. */
export function expectedOrder(
  issues: Map<string, IssueDoc>,
  sort: 'lastSeen' | 'count' | 'clients',
  keep: (issue: IssueDoc) => boolean = () => true,
): string[] {
  const value = (i: IssueDoc) => (sort === 'lastSeen' ? i.lastSeen.getTime() : i[sort]);
  return [...issues]
    .filter(([, i]) => keep(i))
    .sort(([a, x], [b, y]) => value(y) - value(x) || (a < b ? 1 : -1))
    .map(([id]) => id);
}

/** Counts the Firestore reads the api's store is billed for (an empty query is billed as one). */
export function countingStore(inner: InsightsStore): InsightsStore & { reads: number } {
  const counted: InsightsStore & { reads: number } = {
    reads: 0,
    getProduct: async (key) => (counted.reads++, inner.getProduct(key)),
    listIssues: async (key, q) => {
      const rows = await inner.listIssues(key, q);
      counted.reads += Math.max(1, rows.length);
      return rows;
    },
    getIssue: async (key, id) => (counted.reads++, inner.getIssue(key, id)),
    getListHead: async (key, id) => (counted.reads++, inner.getListHead(key, id)),
    // The transaction reads the head once more before it writes.
    putListHead: async (key, id, seen, head) => (counted.reads++, inner.putListHead(key, id, seen, head)),
    listIssuesBetween: async (key, field, from, until, limit) => {
      const rows = await inner.listIssuesBetween(key, field, from, until, limit);
      counted.reads += Math.max(1, rows.length);
      return rows;
    },
    getCrashes: async (key, ids) => ((counted.reads += ids.length), inner.getCrashes(key, ids)),
    getUser: async (uid) => (counted.reads++, inner.getUser(uid)),
    updateIssue: (key, id, decide) => inner.updateIssue(key, id, decide),
    addActivity: (key, id, entry) => inner.addActivity(key, id, entry),
    listActivity: async (key, id, q) => {
      const rows = await inner.listActivity(key, id, q);
      counted.reads += Math.max(1, rows.length);
      return rows;
    },
    getStats: async (key, ids) => ((counted.reads += ids.length), inner.getStats(key, ids)),
    listCrashes: async (key, q) => {
      const rows = await inner.listCrashes(key, q);
      counted.reads += Math.max(1, rows.length);
      return rows;
    },
    getRollupPositions: async () => (counted.reads++, inner.getRollupPositions()),
  };
  return counted;
}
