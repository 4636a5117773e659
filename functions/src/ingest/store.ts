import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import { ioCounters } from '../shared/io-counters';
import { logSecretLoadFailure } from '../shared/logs';
import { COLLECTIONS } from '../shared/paths';
import type { BatchCreator } from './batch-creator';
import type { IngestStore } from './ingest';
import { ProductIngestConfigSchema, type ProductIngestConfig } from './schemas';
import type { ProductLoader } from './secret-cache';

/**
 * The ingest's writes: one create per accepted report, nothing else. Creates go through the
 * batch creator (REST batchWrite, shared by concurrent requests, each write on its own); the
 * rare duplicate is then read back with firebase-admin to tell a retry (same reportId) from a
 * reused counter.
 */
export function createFirestoreIngestStore(db: Firestore, creator: BatchCreator): IngestStore {
  return {
    createReport(kind, productKey, id, report, done) {
      const path = `${COLLECTIONS.products}/${productKey}/${kind}/${id}`;
      creator.create(path, report, (err, outcome) => {
        if (err !== null) return done(err);
        if (outcome === 'created') {
          ioCounters.writes++;
          return done(null, { created: true });
        }
        ioCounters.failedCreates++;
        ioCounters.reads++;
        db.doc(path)
          .get()
          .then(
            (existing) => {
              const reportId = existing.get('reportId');
              done(null, { created: false, existingReportId: typeof reportId === 'string' ? reportId : null });
            },
            (readErr: unknown) => done(readErr),
          );
      });
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
