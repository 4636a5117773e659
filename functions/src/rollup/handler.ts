import type { HttpFunction } from '@google-cloud/functions-framework';
import { systemClock, type Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import { sendError, sendJson } from '../shared/http';
import type { AlertRunSummary } from '../alerts/deliver';
import { logAlertDeliveryFailure, logMalformedReport, logRollupFailure, logRollupRun } from '../shared/logs';
import { runRollup, type RollupStore } from './rollup';
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
  /** Checks the next developers against Firebase Auth after each rollup (see user-sweep.ts). */
  sweepUsers?: () => Promise<UserSweepSummary>;
  /** Queues and sends alerts (see alerts/deliver.ts): before the rollup for retries due, after it for what it queued. */
  deliverAlerts?: () => Promise<AlertRunSummary>;
}): HttpFunction {
  const clock = options.clock ?? systemClock;
  // A failing destination or delivery store must never stop the rollup: log it, answer null.
  const deliver = async (): Promise<AlertRunSummary | null> => {
    if (options.deliverAlerts === undefined) return null;
    try {
      return await options.deliverAlerts();
    } catch (err) {
      logAlertDeliveryFailure(err);
      return null;
    }
  };
  return async (req, res) => {
    try {
      if (req.method !== 'POST') {
        throw new DumpcatcherError('method_not_allowed', 'Use POST to run the rollup.', {
          details: { allow: 'POST' },
          headers: { Allow: 'POST' },
        });
      }
      const retried = await deliver();
      const summary = await runRollup({
        store: options.store,
        clock,
        config: options.config,
        onMalformed: logMalformedReport,
      });
      const delivered = await deliver();
      const users = options.sweepUsers === undefined ? undefined : await options.sweepUsers();
      const alerts = options.deliverAlerts === undefined ? undefined : { before: retried, after: delivered };
      const answer = {
        ...summary,
        ...(users === undefined ? {} : { users }),
        ...(alerts === undefined ? {} : { alerts }),
      };
      logRollupRun({ ...answer });
      sendJson(res, 200, answer);
    } catch (err) {
      if (!(err instanceof DumpcatcherError)) logRollupFailure(err, { method: req.method });
      sendError(res, err);
    }
  };
}
