import { buildSignedRequest, newClientId, sampleCrash } from '../../../scripts/lib/client';
import type { Clock } from '../../../functions/src/shared/clock';
import { DumpcatcherError } from '../../../functions/src/shared/errors';
import { createProduct, rotateSecret } from '../../../functions/src/api/products';
import { ingestReport, type IngestDeps } from '../../../functions/src/ingest/ingest';
import { createRateLimiter } from '../../../functions/src/ingest/rate-limit';
import { createProductCache } from '../../../functions/src/ingest/secret-cache';
import { createMemoryStore } from '../api/memory-store';
import type { Caller } from '../../../functions/src/api/access';
import type { ApiDeps } from '../../../functions/src/api/deps';

const owner: Caller = { uid: 'owner', email: 'owner@example.com', displayName: 'Owner', signInProvider: 'google.com' };

/**
 * The api core and the ingest core sharing one in-memory store and one movable clock:
 * rotation overlap and expiry are checked end to end without waiting for real time.
 */
function world() {
  let nowMs = Date.parse('2026-11-22T08:00:00.000Z');
  const clock: Clock = () => new Date(nowMs);
  const memory = createMemoryStore();
  const api: ApiDeps = { store: memory.store, clock };
  const ingest: IngestDeps = {
    store: { createReport: async () => ({ created: true }) },
    // No caching here: the cache bound is the ingest's own concern and is tested over HTTP.
    products: createProductCache(
      async (key) => {
        const s = memory.secrets.get(key);
        return s === undefined
          ? null
          : {
              secrets: s.secrets.map((e) => ({ secret: e.secret, expiresAt: e.expiresAt })),
              retentionDays: s.retentionDays,
              rateLimitPerMinute: s.rateLimitPerMinute,
            };
      },
      { ttlMs: 0 },
    ),
    limiter: createRateLimiter(),
    clock,
    limits: { perProductPerMinute: 1_000_000, perClientPerMinute: 1_000_000 },
  };
  const clientId = newClientId();
  let counter = 0;
  /** 'accepted' or the error code the ingest answers a crash signed with `secret` now. */
  const send = async (productKey: string, secret: string): Promise<string> => {
    const signed = buildSignedRequest({
      baseUrl: '',
      productKey,
      secret,
      clientId,
      counter: ++counter,
      body: sampleCrash(),
      timestamp: Math.floor(nowMs / 1000),
    });
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    try {
      const outcome = await ingestReport(
        { method: 'POST', path: '/v1/crashes', headers, rawBody: signed.body },
        ingest,
      );
      return outcome.kind === 'stored' ? 'accepted' : outcome.kind;
    } catch (err) {
      if (err instanceof DumpcatcherError) return err.code;
      throw err;
    }
  };
  const advance = (seconds: number) => {
    nowMs += seconds * 1000;
  };
  return { api, send, advance };
}

describe('rotateSecret with the ingest on an injected clock', () => {
  it('accepts the previous secret until the overlap ends and refuses it after', async () => {
    const w = world();
    const { productKey, secret: first } = await createProduct(w.api, owner, { name: 'p' });
    const rotated = await rotateSecret(w.api, owner, productKey, { overlapSeconds: 86_400 });
    expect(await w.send(productKey, rotated.secret)).toBe('accepted');
    expect(await w.send(productKey, first)).toBe('accepted');
    w.advance(86_399);
    expect(await w.send(productKey, first)).toBe('accepted');
    w.advance(1);
    expect(await w.send(productKey, first)).toBe('unauthenticated');
    expect(await w.send(productKey, rotated.secret)).toBe('accepted');
  });

  it('refuses the previous secret at once with overlap 0', async () => {
    const w = world();
    const { productKey, secret: first } = await createProduct(w.api, owner, { name: 'p' });
    const rotated = await rotateSecret(w.api, owner, productKey, { overlapSeconds: 0 });
    expect(await w.send(productKey, first)).toBe('unauthenticated');
    expect(await w.send(productKey, rotated.secret)).toBe('accepted');
  });

  it('reports when the previous secret stops working', async () => {
    const w = world();
    const { productKey } = await createProduct(w.api, owner, { name: 'p' });
    w.advance(30);
    const rotated = await rotateSecret(w.api, owner, productKey, { overlapSeconds: 600 });
    expect(rotated.previousExpiresAt).toBe('2026-11-22T08:10:30.000Z');
  });

  it('lets only the two newest secrets sign after two rotations inside one overlap', async () => {
    const w = world();
    const { productKey, secret: first } = await createProduct(w.api, owner, { name: 'p' });
    const second = await rotateSecret(w.api, owner, productKey, { overlapSeconds: 3600 });
    w.advance(60);
    const third = await rotateSecret(w.api, owner, productKey, { overlapSeconds: 3600 });
    expect(await w.send(productKey, first)).toBe('unauthenticated');
    expect(await w.send(productKey, second.secret)).toBe('accepted');
    expect(await w.send(productKey, third.secret)).toBe('accepted');
    w.advance(3600);
    expect(await w.send(productKey, second.secret)).toBe('unauthenticated');
    expect(await w.send(productKey, third.secret)).toBe('accepted');
  });
});
