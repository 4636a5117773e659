/**
 * The list heads in Firestore (`products/{key}/listHeads/{status}-{sort}`, grouping/list-heads.ts):
 * read and written by every transaction that writes list rows, after its other reads and before
 * its writes.
 */
import type { DocumentReference, Firestore, Transaction } from 'firebase-admin/firestore';
import { parseStoredDoc } from '../shared/firestore';
import { COLLECTIONS, productPath } from '../shared/paths';
import {
  applyToHead,
  HEAD_SORTS,
  headId,
  ListHeadDocSchema,
  unbuiltHead,
  type HeadSort,
  type ListHeadDoc,
} from './list-heads';
import type { IssueRowDoc, IssueStatus } from './schemas';

/** One issue's list row written by a transaction: the status it had (null: new) and its row (null: deleted). */
export interface HeadChange {
  productKey: string;
  id: string;
  was: IssueStatus | null;
  row: IssueRowDoc | null;
}

/** A list head's document. */
export function listHeadRef(db: Firestore, productKey: string, id: string): DocumentReference {
  return db.doc(`${productPath(productKey)}/${COLLECTIONS.listHeads}/${id}`);
}

/** A stored head, or null when none was written yet. */
export function parseListHead(path: string, data: unknown): ListHeadDoc {
  return parseStoredDoc(ListHeadDocSchema, path, data);
}

/**
 * Reads, in `tx`, the heads `changes` touch (every sort of each status an issue leaves or joins)
 * and answers what to write: each head with the changes applied. A head never written starts
 * unbuilt, so its version still counts the change. Call after the transaction's other reads and
 * before its writes.
 */
export async function headWrites(
  tx: Transaction,
  db: Firestore,
  changes: readonly HeadChange[],
): Promise<Array<{ ref: DocumentReference; head: ListHeadDoc }>> {
  const wanted: Array<{ productKey: string; status: IssueStatus; sort: HeadSort }> = [];
  const seen = new Set<string>();
  for (const change of changes)
    for (const status of [change.was, change.row?.status ?? null])
      if (status !== null)
        for (const sort of HEAD_SORTS) {
          const key = `${change.productKey}/${headId(status, sort)}`;
          if (!seen.has(key)) wanted.push({ productKey: change.productKey, status, sort });
          seen.add(key);
        }
  if (wanted.length === 0) return [];
  const refs = wanted.map((w) => listHeadRef(db, w.productKey, headId(w.status, w.sort)));
  const snaps = await tx.getAll(...refs);
  return wanted.map((w, i) => {
    const snap = snaps[i]!;
    const head = snap.exists ? parseListHead(snap.ref.path, snap.data()) : unbuiltHead();
    const mine = changes.filter((c) => c.productKey === w.productKey).map((c) => ({ id: c.id, row: c.row }));
    return { ref: refs[i]!, head: applyToHead(head, w.status, w.sort, mine) };
  });
}
