import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import { createTokenSource } from '../shared/access-token';
import { getAdminApp, projectId } from '../shared/firestore';
import { ioCounters } from '../shared/io-counters';
import { logSecretLoadFailure } from '../shared/logs';
import { COLLECTIONS } from '../shared/paths';
import { createBatchCreator, type BatchCreator } from './batch-creator';
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

/**
 * The ingest's batch creator, on the same project, database and credentials as `db`. On the
 * emulator (FIRESTORE_EMULATOR_HOST) it sends `Bearer owner`, as the admin SDK does; in
 * production an OAuth token from the app's credential (application default credentials on
 * Cloud Functions), renewed before it expires.
 */
export function createIngestBatchCreator(db: Firestore): BatchCreator {
  const emulatorHost = process.env.FIRESTORE_EMULATOR_HOST;
  const token = createTokenSource(() => {
    const credential = getAdminApp().options.credential;
    if (credential === undefined) throw new Error('firebase-admin has no credential to call Firestore with');
    return credential;
  });
  return createBatchCreator({
    baseUrl: emulatorHost ? `http://${emulatorHost}` : 'https://firestore.googleapis.com',
    database: async () => `projects/${await projectId()}/databases/${db.databaseId}`,
    authorization: emulatorHost ? () => Promise.resolve('Bearer owner') : token,
  });
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
