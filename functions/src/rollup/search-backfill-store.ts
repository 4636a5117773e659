import { FieldPath, type Firestore, type Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { COLLECTIONS } from '../shared/paths';
import type { BackfillIssue, SearchBackfillState, SearchBackfillStore } from './search-backfill';

/** Where the backfill keeps its place: `rollupState/searchBackfill`. */
const STATE_DOC = 'searchBackfill';

const StateSchema = z.object({
  version: z.number().int(),
  after: z.object({ productKey: z.string(), issueId: z.string() }).nullable(),
  done: z.boolean(),
});

const IssueFieldsSchema = z.object({
  title: z.string(),
  culprit: z.string().nullable(),
  type: z.string(),
  versions: z.array(z.string()),
  searchTokens: z.array(z.string()).optional(),
});

/** Firestore's code for a write whose precondition (the issue unchanged since read) failed. */
const FAILED_PRECONDITION = 9;

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
      let q = products
        .doc(productKey)
        .collection(COLLECTIONS.issues)
        .orderBy(FieldPath.documentId())
        .select('title', 'culprit', 'type', 'versions', 'searchTokens')
        .limit(limit);
      if (afterId !== null) q = q.startAfter(afterId);
      const out: BackfillIssue[] = [];
      for (const d of (await q.get()).docs) {
        const parsed = IssueFieldsSchema.safeParse(d.data());
        // A malformed issue is the rollup's to report when it next writes it; the backfill passes it.
        if (parsed.success) out.push({ id: d.id, ...parsed.data, readAt: d.updateTime });
      }
      return out;
    },

    async writeTokens(productKey, issue, tokens) {
      const ref = products.doc(productKey).collection(COLLECTIONS.issues).doc(issue.id);
      try {
        await ref.update({ searchTokens: tokens }, { lastUpdateTime: issue.readAt as Timestamp });
        return true;
      } catch (err) {
        if ((err as { code?: unknown }).code === FAILED_PRECONDITION) return false;
        throw err;
      }
    },
  };
}
