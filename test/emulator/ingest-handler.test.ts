import { newClientId, sampleCrash, sendSigned } from '../../scripts/lib/client';
import { seedProduct } from '../../scripts/lib/seed';
import { loadConfig } from '../../functions/src/shared/config';
import type { IngestStore } from '../../functions/src/ingest/ingest';
import { createIngestHandler } from '../../functions/src/ingest/handler';
import { createFirestoreIngestStore, createFirestoreProductLoader } from '../../functions/src/ingest/store';
import { isolatedDb, serveInProcess } from './in-process';

const db = isolatedDb('ingest-handler');

/** The real Firestore store, except for reports labelled `sync-throw` or `stray-throw`. */
function breakableStore(): IngestStore {
  const real = createFirestoreIngestStore(db);
  return {
    createReport(kind, productKey, id, report) {
      const label = 'label' in report ? report.label : undefined;
      if (label === 'sync-throw') throw new Error('thrown inside the core');
      if (label === 'stray-throw') {
        // A callback outside any promise chain throws, as a library bug would.
        return new Promise(() =>
          setImmediate(() => {
            throw new Error('thrown from a stray callback');
          }),
        );
      }
      return real.createReport(kind, productKey, id, report);
    },
  };
}

describe('the ingest handler under the Functions Framework', () => {
  let served: Awaited<ReturnType<typeof serveInProcess>>;
  let product: { productKey: string; secret: string };
  beforeAll(async () => {
    product = await seedProduct(db, { name: 'handler', ownerUid: 'owner-handler' });
    served = await serveInProcess(
      'ingest-breakable',
      createIngestHandler({
        store: breakableStore(),
        loadProduct: createFirestoreProductLoader(db),
        config: loadConfig({}),
      }),
    );
  });
  afterAll(() => served.close());

  const send = (counter: number, label?: string) =>
    sendSigned({
      baseUrl: served.url,
      productKey: product.productKey,
      secret: product.secret,
      clientId: newClientId(),
      counter,
      body: sampleCrash(label === undefined ? {} : { label }),
    });

  it('answers 500 with no internals when the core throws, and 202 to the next request', async () => {
    const failed = await send(1, 'sync-throw');
    expect(failed.status).toBe(500);
    expect(failed.json).toEqual({ error: { code: 'internal', message: 'Internal error.' } });
    expect((await send(2)).status).toBe(202);
  });

  it('answers 500 to a request whose stray callback throws, and keeps serving the others', async () => {
    const before = await Promise.all([send(1), send(2)]);
    const failed = await send(3, 'stray-throw');
    const after = await Promise.all([send(4), send(5), send(6)]);
    expect(before.map((r) => r.status)).toEqual([202, 202]);
    expect(failed.status).toBe(500);
    expect(after.map((r) => r.status)).toEqual([202, 202, 202]);
    const stored = await db.collection('products').doc(product.productKey).collection('crashes').get();
    expect(stored.docs.map((d) => d.get('label') as unknown)).not.toContain('stray-throw');
  });
});
