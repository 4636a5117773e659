import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import { isAlreadyExists } from '../shared/firestore';
import { logSecretLoadFailure } from '../shared/logs';
import { COLLECTIONS } from '../shared/paths';
import type { CreateResult, IngestStore } from './ingest';
import { ProductIngestConfigSchema, type ProductIngestConfig } from './schemas';
import type { ProductLoader } from './secret-cache';

/** The ingest's writes, on Firestore: one `create()` per accepted report, nothing else. */
export function createFirestoreIngestStore(db: Firestore): IngestStore {
  return {
    async createReport(kind, productKey, id, report): Promise<CreateResult> {
      const ref = db.collection(COLLECTIONS.products).doc(productKey).collection(kind).doc(id);
      try {
        await ref.create(report);
        return { created: true };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
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
      logSecretLoadFailure(new Error(`malformed productSecrets document: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`), productKey);
      return null;
    }
    return parsed.data;
  };
}
