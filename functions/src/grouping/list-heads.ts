/**
 * List heads: the first rows of each status tab in each sort order, kept in one document per
 * (status, sort) by every transaction that writes an issue's list row, so the issue list's first
 * page is one document read instead of a query (`products/{key}/listHeads/{status}-{sort}`).
 *
 * A head's rows are always exactly the first rows of its status in its order (value
 * descending, then id descending, as the listing's query orders them): a change is applied by
 * taking the issue out and putting it back only where it still ranks above the head's last row
 * (or anywhere when the head holds every issue of the status). An issue that leaves the status
 * or falls below the last row shortens the head, which stays exact for the rows it keeps; a head
 * shorter than a page is not used, and the api rebuilds it from the query. `version` counts
 * every change to the status's rows, so a rebuild from a query that a change overtook is not
 * written.
 */
import { z } from 'zod';
import { IssueRowDocSchema, type IssueRowDoc, type IssueStatus } from './schemas';

/** Rows a head keeps: a page of up to 50 rows plus the one that says whether there is more. */
export const HEAD_ROWS = 51;

/** The orders the issue list sorts by. */
export const HEAD_SORTS = ['lastSeen', 'count', 'clients'] as const;
export type HeadSort = (typeof HEAD_SORTS)[number];

/** A row as a head keeps it: the list row without its search tokens (searches never read heads). */
export const HeadRowSchema = IssueRowDocSchema.omit({ searchTokens: true }).extend({ id: z.string().min(1) });
export type HeadRow = z.infer<typeof HeadRowSchema>;

export const ListHeadDocSchema = z.object({
  /** Changes to this status's rows since the head was first written. */
  version: z.number().int().min(0),
  /** True when `rows` are every issue of the status; false when there may be more after them. */
  exhaustive: z.boolean(),
  rows: z.array(HeadRowSchema).max(HEAD_ROWS),
});
export type ListHeadDoc = z.infer<typeof ListHeadDocSchema>;

/** The head document's id: `{status}-{sort}`. */
export function headId(status: IssueStatus, sort: HeadSort): string {
  return `${status}-${sort}`;
}

function valueOf(row: Pick<IssueRowDoc, 'lastSeen' | 'count' | 'clients'>, sort: HeadSort): number {
  return sort === 'lastSeen' ? row.lastSeen.getTime() : row[sort];
}

/** Whether row `a` (id `aId`) comes before row `b` in the listing's order. */
function before(a: HeadRow, b: HeadRow, sort: HeadSort): boolean {
  const va = valueOf(a, sort);
  const vb = valueOf(b, sort);
  return va !== vb ? va > vb : a.id > b.id;
}

/** A list row as a head keeps it. */
export function headRowOf(id: string, row: IssueRowDoc): HeadRow {
  const { searchTokens: _tokens, ...rest } = row;
  return { ...rest, id };
}

/** One issue's row written (or deleted: null) by a transaction. */
export interface RowChange {
  id: string;
  row: IssueRowDoc | null;
}

/** A head never written: it holds no row, so the api builds it from the query before using it. */
export function unbuiltHead(): ListHeadDoc {
  return { version: 0, exhaustive: false, rows: [] };
}

/**
 * The head of `status` in `sort` after `changes` (every row change of the transaction, any
 * status: the others are left out), its version one more when any change touched the status.
 */
export function applyToHead(
  head: ListHeadDoc,
  status: IssueStatus,
  sort: HeadSort,
  changes: readonly RowChange[],
): ListHeadDoc {
  let rows = head.rows;
  let exhaustive = head.exhaustive;
  let touched = false;
  for (const change of changes) {
    const was = rows.some((r) => r.id === change.id);
    const joins = change.row !== null && change.row.status === status;
    if (!was && !joins) continue;
    touched = true;
    // Every issue of the status the head does not hold comes after its last row.
    const bound = rows[rows.length - 1];
    rows = rows.filter((r) => r.id !== change.id);
    if (!joins) continue;
    const row = headRowOf(change.id, change.row!);
    // Put back only where it is known to rank: not after that bound, or anywhere in a head that
    // holds every issue of the status. After the bound it may come after issues the head does
    // not hold, so the head ends before it (when it was in the head, the head is one shorter).
    if (!exhaustive && (bound === undefined || before(bound, row, sort))) continue;
    const at = rows.findIndex((r) => before(row, r, sort));
    rows = at === -1 ? [...rows, row] : [...rows.slice(0, at), row, ...rows.slice(at)];
    if (rows.length > HEAD_ROWS) {
      rows = rows.slice(0, HEAD_ROWS);
      exhaustive = false;
    }
  }
  if (!touched) return head;
  return { version: head.version + 1, exhaustive, rows };
}

/**
 * The first `limit` rows of the head and whether more follow, when the head knows them: it holds
 * every issue of the status, or more than `limit` rows. Null: the query must answer.
 */
export function pageOfHead(head: ListHeadDoc, limit: number): { rows: HeadRow[]; more: boolean } | null {
  if (head.exhaustive) return { rows: head.rows.slice(0, limit), more: head.rows.length > limit };
  if (head.rows.length > limit) return { rows: head.rows.slice(0, limit), more: true };
  return null;
}

/** A head built from the query's first rows in the listing's order (at most HEAD_ROWS + 1 asked for). */
export function headFromQuery(version: number, rows: Array<{ id: string; row: IssueRowDoc }>): ListHeadDoc {
  return {
    version,
    exhaustive: rows.length <= HEAD_ROWS,
    rows: rows.slice(0, HEAD_ROWS).map((r) => headRowOf(r.id, r.row)),
  };
}
