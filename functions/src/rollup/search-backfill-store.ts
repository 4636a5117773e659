import { FieldPath, type Firestore, type Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { fieldsWithDates } from '../shared/firestore';
import { COLLECTIONS } from '../shared/paths';
import { IssueDocSchema, issueRowOf } from '../grouping/schemas';
import type { BackfillIssue, SearchBackfillState, SearchBackfillStore } from './search-backfill';

/** Where the backfill keeps its place: `rollupState/searchBackfill`. */
const STATE_DOC = 'searchBackfill';

const StateSchema = z.object({
  version: z.number().int(),
  after: z.object({ productKey: z.string(), issueId: z.string() }).nullable(),
  done: z.boolean(),
});

/** Firestore's code for a write whose precondition (the issue unchanged since read) failed. */
const FAILED_PRECONDITION = 9;
/** Firestore's code for an update of a document that does not exist. */
const NOT_FOUND = 5;

/** The search backfill's reads and writes on Firestore. */
export function createFirestoreSearchBackfillStore(db: Firestore): SearchBackfillStore {
  const stateRef = db.collection(COLLECTIONS.rollupState).doc(STATE_DOC);
  const products = db.collection(COLLECTIONS.products);
  return {
    async readState() {
      const snap = await stateRef.get();
      const parsed = StateSchema.safeParse(snap.data());
      // A state we cannot read only costs starting over.
      return parsed.success ? parsed.data : null;
    },

    async writeState(state: SearchBackfillState) {
      await stateRef.set(state);
    },

    async nextProduct(after) {
      let q = products.orderBy(FieldPath.documentId()).select().limit(1);
      if (after !== null) q = q.startAfter(after);
      return (await q.get()).docs[0]?.id ?? null;
    },

    async listIssues(productKey, afterId, limit) {
      const issues = products.doc(productKey).collection(COLLECTIONS.issues);
      const rows = products.doc(productKey).collection(COLLECTIONS.issueRows);
      let q = issues.orderBy(FieldPath.documentId()).limit(limit);
      if (afterId !== null) q = q.startAfter(afterId);
      const docs = (await q.get()).docs;
      const present = docs.length === 0 ? [] : await db.getAll(...docs.map((d) => rows.doc(d.id)), { fieldMask: [] });
      const out: BackfillIssue[] = [];
      docs.forEach((d, i) => {
        const parsed = IssueDocSchema.safeParse(fieldsWithDates(d.data()));
        // A malformed issue is the rollup's to report when it next writes it; the backfill passes it.
        if (!parsed.success) return;
        const issue = parsed.data;
        out.push({
          id: d.id,
          title: issue.title,
          culprit: issue.culprit,
          type: issue.type,
          versions: issue.versions,
          searchTokens: issue.searchTokens,
          row: issueRowOf(issue),
          hasRow: present[i]?.exists === true,
          readAt: d.updateTime,
        });
      });
      return out;
    },

    async writeTokens(productKey, issue, tokens, row) {
      const ref = products.doc(productKey).collection(COLLECTIONS.issues).doc(issue.id);
      const rowRef = products.doc(productKey).collection(COLLECTIONS.issueRows).doc(issue.id);
      try {
        // One commit: the row is written only with the issue it was built from.
        await db
          .batch()
          .update(ref, { searchTokens: tokens }, { lastUpdateTime: issue.readAt as Timestamp })
          .set(rowRef, row)
          .commit();
        return true;
      } catch (err) {
        if ((err as { code?: unknown }).code === FAILED_PRECONDITION) return false;
        throw err;
      }
    },

    async markRowsComplete(productKey) {
      try {
        await products.doc(productKey).update({ issueRowsComplete: true });
      } catch (err) {
        if ((err as { code?: unknown }).code !== NOT_FOUND) throw err;
      }
    },
  };
}
