import { randomUUID } from 'node:crypto';
import { buildSignedRequest, sampleCrash } from '../../../scripts/lib/client';
import {
  ingestReport,
  MAX_SKEW_SECONDS,
  type CreateResult,
  type IngestDeps,
  type IngestStore,
} from '../../../functions/src/ingest/ingest';
import { createRateLimiter } from '../../../functions/src/ingest/rate-limit';
import { createProductCache } from '../../../functions/src/ingest/secret-cache';
import type { ProductIngestConfig } from '../../../functions/src/ingest/schemas';
import type { StoredReport } from '../../../functions/src/ingest/stored-report';
import { DumpcatcherError } from '../../../functions/src/shared/errors';

const NOW = new Date('2026-11-22T10:00:00Z');
const KEY = 'pk_unit_test_key';
const SECRET = 'sk_unit_test_secret';

/** A plain in-memory store for the pure core (the Firestore adapter is tested on the emulator). */
function memoryStore() {
  const docs = new Map<string, StoredReport>();
  const store: IngestStore = {
    async createReport(kind, productKey, id, report) {
      const path = `${productKey}/${kind}/${id}`;
      const existing = docs.get(path);
      // Answer on a later turn, as Firestore does, so concurrent requests interleave.
      await new Promise((resolve) => setImmediate(resolve));
      const result: CreateResult = existing
        ? { created: false, existingReportId: existing.reportId }
        : (docs.set(path, report), { created: true });
      return result;
    },
  };
  return { store, docs };
}

function deps(product: ProductIngestConfig | null, overrides: Partial<IngestDeps> = {}) {
  const { store, docs } = memoryStore();
  const loads: string[] = [];
  const d: IngestDeps = {
    store,
    products: createProductCache(async (key) => (loads.push(key), key === KEY ? product : null), { ttlMs: 30_000 }),
    limiter: createRateLimiter(),
    clock: () => NOW,
    limits: { perProductPerMinute: 1000, perClientPerMinute: 1000 },
    ...overrides,
  };
  return { deps: d, docs, loads };
}

const product: ProductIngestConfig = {
  secrets: [{ secret: SECRET, expiresAt: null }],
  retentionDays: 30,
  rateLimitPerMinute: null,
};

function request(
  overrides: {
    counter?: number;
    body?: object;
    secret?: string;
    timestamp?: number;
    clientId?: string;
    path?: string;
  } = {},
) {
  const signed = buildSignedRequest({
    baseUrl: '',
    path: overrides.path ?? '/v1/crashes',
    productKey: KEY,
    secret: overrides.secret ?? SECRET,
    clientId: overrides.clientId ?? 'client_unit_1',
    counter: overrides.counter ?? 1,
    body: overrides.body ?? sampleCrash(),
    timestamp: overrides.timestamp ?? Math.floor(NOW.getTime() / 1000),
  });
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', path: overrides.path ?? '/v1/crashes', headers, rawBody: signed.body };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DumpcatcherError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('ingestReport', () => {
  it('stores an accepted crash with server fields and an expiry from the product retention', async () => {
    const { deps: d, docs } = deps(product);
    const outcome = await ingestReport(request({ counter: 5 }), d);
    expect(outcome.kind).toBe('stored');
    const [doc] = [...docs.values()];
    expect(doc).toMatchObject({ productKey: KEY, clientId: 'client_unit_1', counter: 5 });
    expect(doc!.expireAt.getTime() - NOW.getTime()).toBe(30 * 86_400_000);
    // receivedAt is Firestore's time, added by the store, never this instance's clock.
    expect(doc).not.toHaveProperty('receivedAt');
  });

  it('reads the product once for many requests within the cache lifetime', async () => {
    const { deps: d, loads } = deps(product);
    await Promise.all([1, 2, 3, 4].map((counter) => ingestReport(request({ counter }), d)));
    expect(loads).toEqual([KEY]);
  });

  it('tells a duplicate from a reused counter', async () => {
    const { deps: d } = deps(product);
    const crash = sampleCrash();
    await ingestReport(request({ body: crash }), d);
    expect(await ingestReport(request({ body: crash }), d)).toMatchObject({ kind: 'duplicate' });
    expect(await ingestReport(request({ body: sampleCrash() }), d)).toMatchObject({ kind: 'counter_reused' });
  });

  it.each([
    ['the past', -MAX_SKEW_SECONDS - 1],
    ['the future', MAX_SKEW_SECONDS + 1],
  ])('refuses a timestamp more than 300 s in %s', async (_name, skew) => {
    const { deps: d, docs } = deps(product);
    expect(await codeOf(ingestReport(request({ timestamp: Math.floor(NOW.getTime() / 1000) + skew }), d))).toBe(
      'unauthenticated',
    );
    expect(docs.size).toBe(0);
  });

  it('accepts a timestamp exactly 300 s old', async () => {
    const { deps: d } = deps(product);
    expect(
      await ingestReport(request({ timestamp: Math.floor(NOW.getTime() / 1000) - MAX_SKEW_SECONDS }), d),
    ).toMatchObject({ kind: 'stored' });
  });

  it('accepts the previous secret until it expires, then refuses it', async () => {
    const rotated: ProductIngestConfig = {
      ...product,
      secrets: [
        { secret: 'sk_new', expiresAt: null },
        { secret: SECRET, expiresAt: new Date(NOW.getTime() + 1000) },
      ],
    };
    const live = deps(rotated);
    expect(await ingestReport(request(), live.deps)).toMatchObject({ kind: 'stored' });
    const later = deps(rotated, { clock: () => new Date(NOW.getTime() + 1000) });
    expect(await codeOf(ingestReport(request(), later.deps))).toBe('unauthenticated');
  });

  describe('a secret rotated after the product was cached', () => {
    const rotatedProduct: ProductIngestConfig = { ...product, secrets: [{ secret: 'sk_rotated', expiresAt: null }] };
    /** A cache over a product that can be rotated, counting its reads; fresh reads 50 ms apart at most. */
    function rotating() {
      let current: ProductIngestConfig = product;
      const reads: ProductIngestConfig[] = [];
      const cache = createProductCache(async () => (reads.push(current), current), {
        ttlMs: 30_000,
        minReloadIntervalMs: 50,
      });
      const { deps: d } = deps(product, { products: cache });
      return { d, reads, rotate: () => (current = rotatedProduct) };
    }

    it('is accepted at once: a failed signature re-reads the product', async () => {
      const { d, reads, rotate } = rotating();
      expect(await ingestReport(request({ counter: 1 }), d)).toMatchObject({ kind: 'stored' });
      rotate();
      expect(await ingestReport(request({ counter: 2, secret: 'sk_rotated' }), d)).toMatchObject({ kind: 'stored' });
      expect(reads).toEqual([product, rotatedProduct]);
    });

    it('is accepted at once even right after wrong-secret requests used up a read', async () => {
      const { d, reads, rotate } = rotating();
      expect(await ingestReport(request({ counter: 1 }), d)).toMatchObject({ kind: 'stored' });
      for (const counter of [2, 3, 4])
        expect(await codeOf(ingestReport(request({ counter, secret: 'sk_wrong' }), d))).toBe('unauthenticated');
      rotate();
      expect(await ingestReport(request({ counter: 5, secret: 'sk_rotated' }), d)).toMatchObject({ kind: 'stored' });
      expect(reads.at(-1)).toBe(rotatedProduct);
    });

    it('shares one read among concurrent wrong-secret requests, and starts them at most once per interval', async () => {
      const startedAt: number[] = [];
      const cache = createProductCache(async () => (startedAt.push(performance.now()), product), {
        ttlMs: 30_000,
        minReloadIntervalMs: 50,
      });
      const { deps: d } = deps(product, { products: cache });
      expect(await ingestReport(request({ counter: 1 }), d)).toMatchObject({ kind: 'stored' });
      const codes = await Promise.all(
        [2, 3, 4, 5, 6, 7].map((counter) => codeOf(ingestReport(request({ counter, secret: 'sk_wrong' }), d))),
      );
      expect(codes).toEqual(Array(6).fill('unauthenticated'));
      expect(startedAt).toHaveLength(2);
      for (const counter of [8, 9])
        expect(await codeOf(ingestReport(request({ counter, secret: 'sk_wrong' }), d))).toBe('unauthenticated');
      expect(startedAt).toHaveLength(4);
      const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(49);
    });

    it('never refuses on a view read before the request arrived', async () => {
      let current: ProductIngestConfig = product;
      const reads: ProductIngestConfig[] = [];
      const cache = createProductCache(
        async () => {
          const seen = current; // a read sees the product as it was when the read started
          await new Promise((resolve) => setTimeout(resolve, 20));
          reads.push(seen);
          return seen;
        },
        { ttlMs: 30_000, minReloadIntervalMs: 0 },
      );
      const { deps: d } = deps(product, { products: cache });
      const first = codeOf(ingestReport(request({ counter: 1, secret: 'sk_wrong' }), d));
      await new Promise((resolve) => setTimeout(resolve, 5));
      current = rotatedProduct; // rotated while the first read is in flight
      const second = ingestReport(request({ counter: 2, secret: 'sk_rotated' }), d);
      // The first is refused on the read it started; the second needs one started after it arrived.
      expect(await first).toBe('unauthenticated');
      expect(await second).toMatchObject({ kind: 'stored' });
      expect(reads).toEqual([product, rotatedProduct]);
    });
  });

  it('refuses an unknown product key like a bad signature', async () => {
    const { deps: d } = deps(null);
    expect(await codeOf(ingestReport(request(), d))).toBe('unauthenticated');
  });

  it('limits per client and says how long to wait', async () => {
    const { deps: d, docs } = deps(product, { limits: { perProductPerMinute: 1000, perClientPerMinute: 2 } });
    const outcomes = [];
    for (let counter = 1; counter <= 3; counter++) outcomes.push(await ingestReport(request({ counter }), d));
    expect(outcomes.map((o) => o.kind)).toEqual(['stored', 'stored', 'rate_limited']);
    expect(outcomes[2]).toEqual({ kind: 'rate_limited', scope: 'client', retryAfterSeconds: 30 });
    expect(docs.size).toBe(2);
  });

  it('checks the signature before the body, so an unsigned bad body gets 401 not 400', async () => {
    const { deps: d } = deps(product);
    const req = request({ secret: 'wrong' });
    expect(await codeOf(ingestReport({ ...req, rawBody: Buffer.from('{not json') }, d))).toBe('unauthenticated');
  });

  it('names each invalid field of a usage report', async () => {
    const { deps: d } = deps(product);
    const body = {
      reportId: randomUUID(),
      occurredAt: 'yesterday',
      app: { name: 'a', version: '1' },
      metrics: { 'Bad Name': 1 },
    };
    try {
      await ingestReport(request({ path: '/v1/usage', body }), d);
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(DumpcatcherError);
      const issues = ((err as DumpcatcherError).details as { issues: Array<{ path: string }> }).issues.map(
        (i) => i.path,
      );
      expect(issues).toEqual(expect.arrayContaining(['occurredAt', 'metrics.Bad Name']));
    }
  });
});

describe('ingestReport: environment', () => {
  const bad = ['', 'has space', 'a/b', 'ü', 'x'.repeat(65)];
  it.each(bad.map((environment) => [JSON.stringify(environment).slice(0, 20), environment]))(
    'refuses environment %s on each kind of report with a 400 naming environment',
    async (_name, environment) => {
      const { deps: d, docs } = deps(product);
      const bodies: Array<[string, Record<string, unknown>]> = [
        ['/v1/crashes', { ...sampleCrash(), environment }],
        [
          '/v1/usage',
          {
            reportId: randomUUID(),
            occurredAt: new Date().toISOString(),
            app: { name: 'a', version: '1' },
            metrics: { runs: 1 },
            environment,
          },
        ],
        [
          '/v1/sessions',
          {
            reportId: randomUUID(),
            occurredAt: new Date().toISOString(),
            app: { name: 'a', version: '1' },
            sessions: [{ started: '2026-01-01T00:00:00Z', ok: 1, errored: 0, crashed: 0, abnormal: 0 }],
            environment,
          },
        ],
      ];
      for (const [path, body] of bodies) {
        const err = await ingestReport(request({ path, body }), d).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DumpcatcherError);
        expect((err as DumpcatcherError).httpStatus).toBe(400);
        const issues = ((err as DumpcatcherError).details as { issues: Array<{ path: string }> }).issues;
        expect(issues.map((i) => i.path)).toEqual(['environment']);
      }
      expect(docs.size).toBe(0);
    },
  );
});

describe('createRateLimiter', () => {
  it('allows a burst of the limit, then refills at limit/60 per second', () => {
    const limiter = createRateLimiter();
    const t0 = 1_000_000;
    const burst = Array.from({ length: 60 }, () => limiter.take('k', 60, t0).allowed);
    expect(burst.every(Boolean)).toBe(true);
    expect(limiter.take('k', 60, t0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('k', 60, t0 + 1000).allowed).toBe(true);
  });
});
