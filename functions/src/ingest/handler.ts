import type { HttpFunction, Response } from '@google-cloud/functions-framework';
import { systemClock, type Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import { logIngestFailure } from '../shared/logs';
import { leaveFrameworkDomain, sendError, sendJson } from '../shared/http';
import { DumpcatcherError } from '../shared/errors';
import { processReport, type IngestDeps, type IngestOutcome, type IngestRequest, type IngestStore } from './ingest';
import { createRateLimiter } from './rate-limit';
import { createProductCache, type ProductLoader } from './secret-cache';

/** The media type the Functions Framework parses as JSON (`application/json`, any parameters). */
const JSON_TYPE = /^\s*application\/json\s*(;|$)/i;

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

  const answer = (res: Response, path: string, err: unknown, outcome: IngestOutcome | undefined): void => {
    if (outcome === undefined) {
      if (!(err instanceof DumpcatcherError)) logIngestFailure(err, { path });
      return sendError(res, err);
    }
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
  };

  return (req, res) => {
    leaveFrameworkDomain();
    const path = req.path;
    try {
      const rawBody = req.rawBody ?? Buffer.alloc(0);
      const contentType = req.headers['content-type'];
      // Parsed by the framework's JSON parser (the one for application/json), not by another.
      const parsedJson =
        contentType !== undefined && JSON_TYPE.test(contentType) && rawBody.length > 0 && typeof req.body === 'object'
          ? (req.body as unknown)
          : undefined;
      const request: IngestRequest = { method: req.method, path, headers: req.headers, rawBody };
      if (parsedJson !== undefined) request.parsedJson = parsedJson;
      processReport(request, deps, (err, outcome) => {
        try {
          answer(res, path, err, outcome);
        } catch (sendErr) {
          logIngestFailure(sendErr, { path });
        }
      });
      // The request stays open until its write is acknowledged (~50 ms under load, ~64 at once);
      // the body is not needed any more, and the parsed tree would otherwise be copied by every
      // garbage collection that runs meanwhile.
      req.body = undefined;
      (req as { rawBody?: Buffer | undefined }).rawBody = undefined;
    } catch (err) {
      answer(res, path, err, undefined);
    }
  };
}
