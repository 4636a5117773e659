import { randomUUID } from 'node:crypto';
import { createFirestoreIngestStore } from '../../functions/src/ingest/store';
import type { StoredReport } from '../../functions/src/ingest/stored-report';
import { isolatedDb } from './in-process';

const db = isolatedDb('ingest-store');

function report(productKey: string, message: string): StoredReport {
  return {
    reportId: randomUUID(),
    productKey,
    clientId: 'client-store-test',
    counter: 1,
    shard: 0,
    expireAt: new Date(Date.now() + 86_400_000),
    occurredAt: new Date().toISOString(),
    app: { name: 'shop', version: '1.0.0' },
    exception: { type: 'Error', message, stacktrace: 'Error: x\n    at f (a.js:1:1)' },
  };
}

describe('the ingest store on the Firestore emulator', () => {
  it('a write Firestore refuses for its own content fails alone, not the writes batched with it', async () => {
    const poisoned = `poison-${randomUUID().slice(0, 8)}`;
    const other = `valid-${randomUUID().slice(0, 8)}`;
    const store = createFirestoreIngestStore(db);
    // Started in the same turn of the event loop: the store sends them in one batchWrite RPC.
    const poison = store.createReport('crashes', poisoned, 'p1', report(poisoned, 'caf\udce9.py'));
    const valid = Array.from({ length: 11 }, (_, i) =>
      store.createReport('crashes', other, `v${i}`, report(other, `valid ${i}`)),
    );
    const [poisonResult, ...validResults] = await Promise.allSettled([poison, ...valid]);
    expect(poisonResult!.status).toBe('rejected');
    expect(validResults.map((r) => r.status)).toEqual(Array(11).fill('fulfilled'));
    expect(validResults.map((r) => (r as PromiseFulfilledResult<unknown>).value)).toEqual(
      Array(11).fill({ created: true }),
    );
    const stored = await db.collection('products').doc(other).collection('crashes').get();
    expect(stored.docs.map((d) => d.id).sort()).toEqual(Array.from({ length: 11 }, (_, i) => `v${i}`).sort());
    expect((await db.collection('products').doc(poisoned).collection('crashes').get()).size).toBe(0);
  });
});
