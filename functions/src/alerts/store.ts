import { FieldPath, type Firestore, type Transaction } from 'firebase-admin/firestore';
import { COLLECTIONS } from '../shared/paths';
import { IssueDocSchema, type IssueDoc } from '../grouping/schemas';
import { releaseMarkKey, spikeMarkKey, type AlertDeliveryStore, type AlertStatusChange } from './deliver';
import { sha256Hex } from '../shared/sha256';
import {
  AlertDocSchema,
  AlertSecretDocSchema,
  DeliveryDocSchema,
  OutboxDocSchema,
  ReleaseMarkDocSchema,
  SpikeMarkDocSchema,
  type AlertDoc,
  type SpikeMarkDoc,
  type DeliveryDoc,
  type OutboxDoc,
} from './schemas';
import { parseStoredDoc } from '../shared/firestore';

/** What the api's alert routes read and write. */
export interface AlertApiStore {
  /** A product's destinations, oldest first. */
  listAlerts(productKey: string): Promise<Array<{ id: string; alert: AlertDoc }>>;
  getAlert(productKey: string, alertId: string): Promise<AlertDoc | null>;
  /** Creates a destination (and its secret) unless the product has `maxPerProduct` already: then false. */
  createAlert(
    productKey: string,
    alertId: string,
    alert: AlertDoc,
    secret: string | null,
    maxPerProduct: number,
  ): Promise<boolean>;
  /** Applies a change to an existing destination; false when there is none. */
  updateAlert(productKey: string, alertId: string, change: Partial<AlertDoc>): Promise<boolean>;
  /** Deletes a destination and its secret. */
  deleteAlert(productKey: string, alertId: string): Promise<void>;
  setSecret(productKey: string, alertId: string, secret: string): Promise<void>;
  getSecret(alertId: string): Promise<string | null>;
  recordStatus(productKey: string, alertId: string, change: AlertStatusChange): Promise<void>;
  /** Removes a deleted product's secrets, queued events and messages. */
  deleteProductAlerts(productKey: string): Promise<void>;
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 5 || code === 'not-found' || code === 'NOT_FOUND';
}

/**
 * Alert destinations, secrets, outbox and messages on Firestore, for the api and the rollup.
 * `inTurn` runs the expansion of a product's queued events: the rollup's commit turn, since it
 * reads the documents the batches write (the outbox, the product, the issues named).
 */
export function createFirestoreAlertStore(
  db: Firestore,
  inTurn: <T>(transaction: () => Promise<T>) => Promise<T> = (transaction) => transaction(),
): AlertApiStore & AlertDeliveryStore {
  const alertsOf = (productKey: string) =>
    db.collection(COLLECTIONS.products).doc(productKey).collection(COLLECTIONS.alerts);
  const secrets = db.collection(COLLECTIONS.alertSecrets);
  const outbox = db.collection(COLLECTIONS.alertOutbox);
  const deliveries = db.collection(COLLECTIONS.alertDeliveries);
  const marks = db.collection(COLLECTIONS.alertSpikeMarks);
  const markRef = (alertId: string, issueId: string) => marks.doc(sha256Hex(spikeMarkKey(alertId, issueId)));
  const releaseMarks = db.collection(COLLECTIONS.alertReleaseMarks);
  const releaseMarkRef = (alertId: string, version: string) =>
    releaseMarks.doc(sha256Hex(releaseMarkKey(alertId, version)));

  const expandInTurn = <T>(transaction: (tx: Transaction) => Promise<T>) =>
    inTurn(() => db.runTransaction(transaction));

  const readAlerts = async (productKey: string, tx?: Transaction) => {
    const query = alertsOf(productKey).orderBy('createdAt');
    const snap = await (tx === undefined ? query.get() : tx.get(query));
    return snap.docs.map((d) => ({ id: d.id, alert: parseStoredDoc<AlertDoc>(AlertDocSchema, d.ref.path, d.data()) }));
  };

  return {
    listAlerts: (productKey) => readAlerts(productKey),

    async getAlert(productKey, alertId) {
      const snap = await alertsOf(productKey).doc(alertId).get();
      return snap.exists ? parseStoredDoc<AlertDoc>(AlertDocSchema, snap.ref.path, snap.data()) : null;
    },

    async createAlert(productKey, alertId, alert, secret, maxPerProduct) {
      // Counted in the transaction, so two creations at once cannot both pass the limit.
      return db.runTransaction(async (tx) => {
        const existing = await tx.get(alertsOf(productKey).select().limit(maxPerProduct));
        if (existing.size >= maxPerProduct) return false;
        tx.create(alertsOf(productKey).doc(alertId), alert);
        if (secret !== null) tx.create(secrets.doc(alertId), { productKey, secret });
        return true;
      });
    },

    async updateAlert(productKey, alertId, change) {
      try {
        await alertsOf(productKey).doc(alertId).update(change);
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },

    async deleteAlert(productKey, alertId) {
      const batch = db.batch();
      batch.delete(alertsOf(productKey).doc(alertId));
      batch.delete(secrets.doc(alertId));
      await batch.commit();
    },

    async setSecret(productKey, alertId, secret) {
      await secrets.doc(alertId).set({ productKey, secret });
    },

    async getSecret(alertId) {
      const snap = await secrets.doc(alertId).get();
      if (!snap.exists) return null;
      return parseStoredDoc(AlertSecretDocSchema, snap.ref.path, snap.data()).secret;
    },

    async recordStatus(productKey, alertId, change) {
      try {
        await alertsOf(productKey).doc(alertId).update(change);
      } catch (err) {
        // A destination deleted meanwhile has no status to keep.
        if (!isNotFound(err)) throw err;
      }
    },

    async deleteProductAlerts(productKey) {
      const writer = db.bulkWriter();
      try {
        for (const collection of [secrets, outbox, deliveries, marks, releaseMarks]) {
          const snap = await collection.where('productKey', '==', productKey).select().get();
          for (const d of snap.docs) void writer.delete(d.ref);
        }
      } finally {
        await writer.close();
      }
    },

    async listOutboxProducts(limit) {
      const snap = await outbox.select('productKey').limit(limit).get();
      return [...new Set(snap.docs.map((d) => String(d.get('productKey'))))];
    },

    async expandOutbox(productKey, plan) {
      return expandInTurn(async (tx) => {
        const queued = await tx.get(outbox.where('productKey', '==', productKey).limit(100));
        if (queued.empty) return 0;
        const docs = queued.docs.map((d) => parseStoredDoc<OutboxDoc>(OutboxDocSchema, d.ref.path, d.data()));
        const productSnap = await tx.get(db.collection(COLLECTIONS.products).doc(productKey));
        const alerts = productSnap.exists ? await readAlerts(productKey, tx) : [];
        const issueIds = [
          ...new Set(docs.flatMap((d) => d.events.flatMap((e) => (e.issueId === undefined ? [] : [e.issueId])))),
        ];
        const issues = new Map<string, IssueDoc>();
        if (alerts.length > 0 && issueIds.length > 0) {
          const issuesRef = db.collection(COLLECTIONS.products).doc(productKey).collection(COLLECTIONS.issues);
          const snaps = await tx.getAll(...issueIds.map((id) => issuesRef.doc(id)));
          for (const snap of snaps)
            if (snap.exists) issues.set(snap.id, parseStoredDoc<IssueDoc>(IssueDocSchema, snap.ref.path, snap.data()));
        }
        const spikeMarks = new Map<string, Date>();
        const spiking = [
          ...new Set(
            docs.flatMap((d) =>
              d.events.flatMap((e) => (e.event === 'issue.spike' && e.issueId !== undefined ? [e.issueId] : [])),
            ),
          ),
        ];
        const watching = alerts.filter((a) => a.alert.events.includes('issue.spike')).map((a) => a.id);
        const pairs = watching.flatMap((alertId) => spiking.map((issueId) => ({ alertId, issueId })));
        if (pairs.length > 0) {
          const snaps = await tx.getAll(...pairs.map((p) => markRef(p.alertId, p.issueId)));
          for (const snap of snaps)
            if (snap.exists) {
              const mark = parseStoredDoc<SpikeMarkDoc>(SpikeMarkDocSchema, snap.ref.path, snap.data());
              spikeMarks.set(spikeMarkKey(mark.alertId, mark.issueId), mark.at);
            }
        }
        const releaseMarkStates = new Map<string, boolean>();
        const versions = [
          ...new Set(docs.flatMap((d) => d.events.flatMap((e) => (e.release ? [e.release.version] : [])))),
        ];
        const watchers = alerts.filter((a) => a.alert.events.includes('release.unhealthy')).map((a) => a.id);
        const releasePairs = watchers.flatMap((alertId) => versions.map((version) => ({ alertId, version })));
        if (releasePairs.length > 0) {
          const snaps = await tx.getAll(...releasePairs.map((p) => releaseMarkRef(p.alertId, p.version)));
          for (const snap of snaps)
            if (snap.exists) {
              const mark = parseStoredDoc(ReleaseMarkDocSchema, snap.ref.path, snap.data());
              releaseMarkStates.set(releaseMarkKey(mark.alertId, mark.version), mark.unhealthy);
            }
        }
        const product = productSnap.exists ? { name: String(productSnap.get('name')) } : null;
        const planned = plan({
          productKey,
          product,
          outbox: docs,
          alerts,
          issues,
          spikeMarks,
          releaseMarks: releaseMarkStates,
        });
        for (const { id, doc } of planned.messages) tx.set(deliveries.doc(id), doc);
        for (const mark of planned.marks) tx.set(markRef(mark.alertId, mark.issueId), mark);
        for (const mark of planned.releaseMarks) tx.set(releaseMarkRef(mark.alertId, mark.version), mark);
        for (const d of queued.docs) tx.delete(d.ref);
        return planned.messages.length;
      });
    },

    async listDue(now, limit) {
      // A single-field range: sent and given-up messages have a null nextAttemptAt and drop out.
      const snap = await deliveries
        .where('nextAttemptAt', '<=', now)
        .orderBy('nextAttemptAt')
        .orderBy(FieldPath.documentId())
        .select()
        .limit(limit)
        .get();
      return snap.docs.map((d) => d.id);
    },

    async claim(id, now, leaseUntil) {
      return db.runTransaction(async (tx) => {
        const ref = deliveries.doc(id);
        const snap = await tx.get(ref);
        if (!snap.exists) return null;
        const doc = parseStoredDoc<DeliveryDoc>(DeliveryDocSchema, ref.path, snap.data());
        const due = doc.nextAttemptAt !== null && doc.nextAttemptAt.getTime() <= now.getTime();
        const free = doc.leaseUntil === null || doc.leaseUntil.getTime() <= now.getTime();
        if (doc.status !== 'pending' || !due || !free) return null;
        tx.update(ref, { leaseUntil });
        return doc;
      });
    },

    async recordAttempt(id, delivery, alert) {
      await deliveries.doc(id).update(delivery);
      try {
        await alertsOf(alert.productKey).doc(alert.alertId).update(alert.change);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
