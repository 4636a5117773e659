import type { HttpFunction } from '@google-cloud/functions-framework';
import { systemClock, type Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import { logIngestFailure } from '../shared/logs';
import { sendError, sendJson } from '../shared/http';
import { DumpcatcherError } from '../shared/errors';
import { ingestReport, type IngestDeps, type IngestStore } from './ingest';
import { createRateLimiter } from './rate-limit';
import { createProductCache, type ProductLoader } from './secret-cache';

/** Builds the `ingest` HTTP function: parse → verify and store → answer. */
export function createIngestHandler(options: {
  store: IngestStore;
  loadProduct: ProductLoader;
  config: Config;
  clock?: Clock;
}): HttpFunction {
  const deps: IngestDeps = {
    store: options.store,
    products: createProductCache(options.loadProduct, {
      ttlMs: options.config.DUMPCATCHER_PRODUCT_CACHE_SECONDS * 1000,
    }),
    limiter: createRateLimiter(),
    clock: options.clock ?? systemClock,
    limits: {
      perProductPerMinute: options.config.DUMPCATCHER_RATE_PER_PRODUCT,
      perClientPerMinute: options.config.DUMPCATCHER_RATE_PER_CLIENT,
    },
  };

  return async (req, res) => {
    try {
      const rawBody = req.rawBody ?? Buffer.alloc(0);
      const parsedJson =
        req.is('application/json') && rawBody.length > 0 && typeof req.body === 'object'
          ? (req.body as unknown)
          : undefined;
      const outcome = await ingestReport(
        {
          method: req.method,
          path: req.path,
          headers: req.headers,
          rawBody,
          ...(parsedJson === undefined ? {} : { parsedJson }),
        },
        deps,
      );
      switch (outcome.kind) {
        case 'stored':
          return sendJson(res, 202, { id: outcome.id });
        case 'duplicate':
          return sendJson(res, 200, { id: outcome.id, duplicate: true });
        case 'counter_reused':
          return sendError(
            res,
            new DumpcatcherError('counter_reused', 'This client already used this counter for a different report.', {
              details: { header: 'x-dumpcatcher-counter' },
            }),
          );
        case 'rate_limited':
          return sendError(
            res,
            new DumpcatcherError('rate_limited', `Too many requests for this ${outcome.scope}.`, {
              details: { scope: outcome.scope },
              headers: { 'Retry-After': String(outcome.retryAfterSeconds) },
            }),
          );
      }
    } catch (err) {
      if (!(err instanceof DumpcatcherError)) logIngestFailure(err, { path: req.path });
      sendError(res, err);
    }
  };
}
