import { FieldValue, type Firestore } from 'firebase-admin/firestore';
import { fieldsWithDates, isAlreadyExists } from '../shared/firestore';
import { ioCounters } from '../shared/io-counters';
import { logSecretLoadFailure } from '../shared/logs';
import { COLLECTIONS } from '../shared/paths';
import type { IngestStore } from './ingest';
import { ProductIngestConfigSchema, type ProductIngestConfig } from './schemas';
import type { ProductLoader } from './secret-cache';

/**
 * gRPC codes a write is tried again for: ABORTED and UNAVAILABLE. Not RESOURCE_EXHAUSTED: the
 * BulkWriter waits 60 s before retrying it, longer than the ingest's timeout, and holds every
 * write batched with the retry that long; the client's own retry (500, then backoff) is better.
 */
const RETRIED_CODES: ReadonlySet<number> = new Set([10 /* ABORTED */, 14 /* UNAVAILABLE */]);
/** Attempts per write, so a request is answered within seconds even when Firestore struggles. */
const MAX_WRITE_ATTEMPTS = 3;

/**
 * The ingest's writes: one `create()` per accepted report, nothing else. Concurrent creates
 * share batchWrite RPCs through a `BulkWriter`. Firestore answers each write of a batch on its
 * own (ALREADY_EXISTS per write), except when it cannot decode the request at all: then every
 * write in it fails with the same error, whichever request's content was at fault. So a write
 * that fails in a batch for any other reason than ALREADY_EXISTS is tried once more on its own
 * (`create()`, one commit): only a write that fails for its own content fails. A batch that
 * failed wrote nothing, and a retried write that did land meets ALREADY_EXISTS: exactly-once
 * holds either way. The ingest makes strings well-formed before they get here, so the retry is
 * the second line, not the first. `receivedAt` is Firestore's request time,
 * not this instance's clock: the rollup reads up to a horizon just before its own read time
 * (docs/architecture.md#freshness-crash-to-issue). The rare
 * duplicate is read back to tell a retry (same reportId) from a reused counter.
 */
export function createFirestoreIngestStore(db: Firestore): IngestStore {
  // Document ids are hashes and the rollup's index is sharded, so there is no hot range for
  // the library's 500/50/5 ramp-up to protect; it would start a busy instance at 500 writes/s.
  const writer = db.bulkWriter({ throttling: false });
  writer.onWriteError((err) => RETRIED_CODES.has(err.code) && err.failedAttempts < MAX_WRITE_ATTEMPTS);
  // A BulkWriter sends a partial batch only on flush: flushing once at the end of each turn of
  // the event loop lets the creates of the requests handled in that turn share one RPC, and
  // adds no delay to a lone request.
  let flushScheduled = false;
  const flushSoon = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      void writer.flush();
    });
  };
  return {
    async createReport(kind, productKey, id, report) {
      const ref = db.collection(COLLECTIONS.products).doc(productKey).collection(kind).doc(id);
      const data = { ...report, receivedAt: FieldValue.serverTimestamp() };
      const created = writer.create(ref, data);
      flushSoon();
      try {
        await created.catch(async (err: unknown) => {
          if (isAlreadyExists(err)) throw err;
          await ref.create(data);
        });
        ioCounters.writes++;
        return { created: true };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        ioCounters.failedCreates++;
        ioCounters.reads++;
        const existing = await ref.get();
        const reportId = existing.get('reportId');
        return { created: false, existingReportId: typeof reportId === 'string' ? reportId : null };
      }
    },
  };
}

/** Reads `productSecrets/{key}` with the admin SDK (no client rule can read it). */
export function createFirestoreProductLoader(db: Firestore): ProductLoader {
  return async (productKey: string): Promise<ProductIngestConfig | null> => {
    let snap;
    try {
      ioCounters.reads++;
      snap = await db.collection(COLLECTIONS.productSecrets).doc(productKey).get();
    } catch (err) {
      logSecretLoadFailure(err, productKey);
      throw err;
    }
    if (!snap.exists) return null;
    const data = fieldsWithDates(snap.data());
    const secrets = Array.isArray(data.secrets)
      ? data.secrets.map((s: Record<string, unknown>) => ({ secret: s.secret, expiresAt: s.expiresAt ?? null }))
      : [];
    const parsed = ProductIngestConfigSchema.safeParse({
      secrets,
      retentionDays: data.retentionDays ?? 90,
      rateLimitPerMinute: data.rateLimitPerMinute ?? null,
    });
    if (!parsed.success) {
      logSecretLoadFailure(
        new Error(`malformed productSecrets document: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`),
        productKey,
      );
      return null;
    }
    return parsed.data;
  };
}
