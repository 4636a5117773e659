import type { HttpFunction } from '@google-cloud/functions-framework';
import { systemClock, type Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import { sendError, sendJson } from '../shared/http';
import { logMalformedReport, logRollupFailure, logRollupRun } from '../shared/logs';
import { runRollup, type RollupStore } from './rollup';
import type { MappingCache } from './retrace/cache';
import type { RollupConfig } from './schemas';
import type { UserSweepSummary } from './user-sweep';

/**
 * Builds the `rollup` HTTP function: a POST (Cloud Scheduler, or the local stack) runs one
 * rollup until caught up or out of time budget and answers with its summary. Who may call it
 * is decided by Cloud Functions IAM (deployed with --no-allow-unauthenticated).
 */
export function createRollupHandler(options: {
  store: RollupStore;
  config: RollupConfig;
  clock?: Clock;
  /** Stored mappings for retracing obfuscated Java traces. */
  mappings?: MappingCache;
  /** Checks the next developers against Firebase Auth after each rollup (see user-sweep.ts). */
  sweepUsers?: () => Promise<UserSweepSummary>;
}): HttpFunction {
  const clock = options.clock ?? systemClock;
  return async (req, res) => {
    try {
      if (req.method !== 'POST') {
        throw new DumpcatcherError('method_not_allowed', 'Use POST to run the rollup.', {
          details: { allow: 'POST' },
          headers: { Allow: 'POST' },
        });
      }
      const summary = await runRollup({
        store: options.store,
        clock,
        config: options.config,
        onMalformed: logMalformedReport,
        ...(options.mappings === undefined ? {} : { mappings: options.mappings }),
      });
      const users = options.sweepUsers === undefined ? undefined : await options.sweepUsers();
      const answer = users === undefined ? summary : { ...summary, users };
      logRollupRun({ ...answer });
      sendJson(res, 200, answer);
    } catch (err) {
      if (!(err instanceof DumpcatcherError)) logRollupFailure(err, { method: req.method });
      sendError(res, err);
    }
  };
}
