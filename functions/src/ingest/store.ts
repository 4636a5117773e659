import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import { ALREADY_EXISTS, isAlreadyExists } from '../shared/firestore';
import { ioCounters } from '../shared/io-counters';
import { logSecretLoadFailure } from '../shared/logs';
import { COLLECTIONS } from '../shared/paths';
import type { CreateResult, IngestStore } from './ingest';
import { ProductIngestConfigSchema, type ProductIngestConfig } from './schemas';
import type { ProductLoader } from './secret-cache';

/**
 * The ingest's writes, on Firestore: one `create()` per accepted report, nothing else.
 * Creates that arrive in the same event-loop turn share one BatchWrite RPC through a
 * BulkWriter: each document still succeeds or fails on its own (ALREADY_EXISTS per write), so
 * exactly-once holds, while the per-request RPC cost is shared.
 */
export function createFirestoreIngestStore(db: Firestore): IngestStore {
  const FLUSH_DELAY_MS = Number(process.env.DUMPCATCHER_FLUSH_DELAY_MS ?? 2);
  const writer = db.bulkWriter({ throttling: false });
  writer.onWriteError((err) => err.failedAttempts < 3 && err.code !== ALREADY_EXISTS);
  let flushScheduled = false;
  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    setTimeout(() => {
      flushScheduled = false;
      void writer.flush();
    }, FLUSH_DELAY_MS);
  };
  return {
    async createReport(kind, productKey, id, report): Promise<CreateResult> {
      const ref = db.collection(COLLECTIONS.products).doc(productKey).collection(kind).doc(id);
      try {
        const pending = writer.create(ref, report);
        scheduleFlush();
        await pending;
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

function toDate(value: unknown): unknown {
  return value instanceof Timestamp ? value.toDate() : value;
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
    const data = snap.data() ?? {};
    const secrets = Array.isArray(data.secrets)
      ? data.secrets.map((s: Record<string, unknown>) => ({ secret: s.secret, expiresAt: toDate(s.expiresAt ?? null) }))
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
