import { getApps, initializeApp } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { seedProduct } from '../../scripts/lib/seed';

/** Environment the global setup exported; a missing value is a broken harness, not a skip. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: the emulator suites must run through jest's globalSetup (npm test).`);
  return value;
}

let db: Firestore | undefined;

/** A firebase-admin Firestore client pointed at the test emulator. */
export function testDb(): Firestore {
  if (!db) {
    requireEnv('FIRESTORE_EMULATOR_HOST');
    const app = getApps()[0] ?? initializeApp({ projectId: requireEnv('GCLOUD_PROJECT') });
    db = getFirestore(app);
  }
  return db;
}

/** A fresh product of its own for one test, so tests never see each other's data. */
export async function newProduct(name = 'test product'): Promise<{ productKey: string; secret: string }> {
  return seedProduct(testDb(), { name, ownerUid: 'owner-' + Math.random().toString(36).slice(2) });
}

/** Number of documents in a product's subcollection. */
export async function countDocs(productKey: string, collection: 'crashes' | 'usage' | 'sessions'): Promise<number> {
  const snap = await testDb().collection('products').doc(productKey).collection(collection).count().get();
  return snap.data().count;
}
