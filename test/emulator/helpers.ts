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

/** What a rollup run answers that the suites read; the rest of the summary is there too. */
export interface RollupRun extends Record<string, unknown> {
  processed: number;
  usageProcessed: number;
  sessionsProcessed: number;
  issuesTouched: number;
  statsTouched: number;
  stale: number;
  busy: number[];
  caughtUp: boolean;
}

/**
 * POSTs to the rollup, as Cloud Scheduler does, until a run answers that it has caught up, and
 * answers that run. A run that found shards busy (another run, a triggered one or a concurrent
 * test's, held them) has not caught up: the helper waits a moment and asks again, so it returns
 * only once every report stored before it was called has been applied.
 */
export async function rollUpToTheEnd(deadlineMs = 120_000): Promise<RollupRun> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const res = await fetch(requireEnv('DUMPCATCHER_ROLLUP_URL'), { method: 'POST' });
    const run = (await res.json()) as RollupRun;
    if (res.status !== 200) throw new Error(`the rollup answered ${res.status}: ${JSON.stringify(run)}`);
    if (run.caughtUp) return run;
    if (Date.now() > end) throw new Error(`the rollup did not catch up in ${deadlineMs} ms: ${JSON.stringify(run)}`);
    if (run.busy.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
