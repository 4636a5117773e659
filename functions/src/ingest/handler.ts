import type { HttpFunction, Response } from '@google-cloud/functions-framework';
import { systemClock, type Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import { logIngestFailure } from '../shared/logs';
import { sendError, sendJson } from '../shared/http';
import { DumpcatcherError } from '../shared/errors';
import { holdCompressedBodies, readHeldBody } from '../shared/compressed-body';
import { MAX_BODY_BYTES } from './body';
import { ingestReport, type IngestDeps, type IngestOutcome, type IngestStore } from './ingest';
import { createRateLimiter } from './rate-limit';
import type { RollupTrigger } from './rollup-trigger';
import { reportShard } from './stored-report';
import { createProductCache, type ProductLoader } from './secret-cache';

/** Writes the answer for an expected outcome. */
function answer(res: Response, outcome: IngestOutcome): void {
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
}

/**
 * Builds the `ingest` HTTP function: parse → verify and store → answer. It runs inside the
 * Functions Framework's per-request domain, so even a throw from a stray callback answers 500
 * to its own request and leaves the instance serving the others.
 */
export function createIngestHandler(options: {
  store: IngestStore;
  loadProduct: ProductLoader;
  config: Config;
  clock?: Clock;
  /** Asks for a rollup run soon after a report is stored (see rollup-trigger.ts); without it, the schedule alone runs the rollup. */
  rollupTrigger?: RollupTrigger;
}): HttpFunction {
  holdCompressedBodies();
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
      // A Content-Encoding body is inflated by us within the body limit (413 past it), then
      // refused by the header check: compression is said with X-Dumpcatcher-Body-Encoding.
      const held = await readHeldBody(req, MAX_BODY_BYTES);
      const headers = held === undefined ? req.headers : { ...req.headers, 'content-encoding': held.encoding };
      const rawBody = req.rawBody ?? Buffer.alloc(0);
      // Parsed by the framework's JSON parser (the one for application/json), not by another.
      const parsedJson =
        req.is('application/json') && rawBody.length > 0 && typeof req.body === 'object'
          ? (req.body as unknown)
          : undefined;
      const outcome = await ingestReport(
        {
          method: req.method,
          path: req.path,
          headers,
          rawBody,
          ...(parsedJson === undefined ? {} : { parsedJson }),
        },
        deps,
      );
      // Before the answer: Cloud Run gives an instance CPU only while a request is open.
      if (outcome.kind === 'stored') await options.rollupTrigger?.notify(reportShard(outcome.id));
      answer(res, outcome);
    } catch (err) {
      if (!(err instanceof DumpcatcherError)) logIngestFailure(err, { path: req.path });
      sendError(res, err);
    }
  };
}
