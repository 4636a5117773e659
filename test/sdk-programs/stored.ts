/**
 * What reached the Firestore emulator, for the end-to-end tests: a product's crashes, usage and
 * issues, the rollup, and the grouping computeFingerprint gives for a stored crash.
 */
import { computeFingerprint, type FingerprintResult } from '../../functions/src/grouping/fingerprint';
import { rollUpToTheEnd, testDb } from '../emulator/helpers';
import { sleep } from './run';

/** A stored document of `products/{key}/crashes` or `usage`, with its id. */
export type StoredDoc = Record<string, unknown> & { id: string };

/** Every document of a product's crashes or usage. */
export async function storedDocs(productKey: string, collection: 'crashes' | 'usage'): Promise<StoredDoc[]> {
  const snap = await testDb().collection('products').doc(productKey).collection(collection).get();
  return snap.docs.map((d) => ({ ...d.data(), id: d.id }));
}

/**
 * Polls a product's crashes or usage until at least `atLeast` documents are there or the
 * deadline passes, and returns them (so the caller asserts the exact number).
 */
export async function waitForDocs(
  productKey: string,
  collection: 'crashes' | 'usage',
  atLeast: number,
  deadlineMs = 20_000,
): Promise<StoredDoc[]> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const docs = await storedDocs(productKey, collection);
    if (docs.length >= atLeast || Date.now() > end) return docs;
    await sleep(250);
  }
}

/** POSTs the rollup, as Cloud Scheduler does, until it says it has caught up. */
export async function rollUp(): Promise<void> {
  await rollUpToTheEnd();
}

/** The issues of a product, by fingerprint. */
export async function issuesOf(productKey: string): Promise<Map<string, Record<string, unknown>>> {
  const snap = await testDb().collection('products').doc(productKey).collection('issues').get();
  return new Map(snap.docs.map((d) => [d.id, d.data()]));
}

/** The stored crash's exception fields. */
export function exceptionOf(doc: StoredDoc): { type: string; message?: string; stacktrace: string } {
  return doc.exception as { type: string; message?: string; stacktrace: string };
}

/** What the rollup's grouping gives for a stored crash (the same inputs the rollup uses). */
export function fingerprintOf(doc: StoredDoc): FingerprintResult {
  const exception = exceptionOf(doc);
  return computeFingerprint({
    type: exception.type,
    message: exception.message,
    stacktrace: exception.stacktrace,
    runtime: (doc.runtime as { name?: string } | undefined)?.name,
  });
}
