import type { HttpFunction } from '@google-cloud/functions-framework';
import { z } from 'zod';
import { systemClock, type Clock } from '../shared/clock';
import { DumpcatcherError } from '../shared/errors';
import { sendError, sendJson } from '../shared/http';
import type { AlertRunSummary } from '../alerts/deliver';
import {
  logAlertDeliveryFailure,
  logMalformedReport,
  logRegroupFailure,
  logRollupFailure,
  logRollupRun,
} from '../shared/logs';
import { runRollup, type RollupStore } from './rollup';
import type { MappingCache } from '../grouping/retrace/cache';
import type { RollupConfig } from './config';
import type { UserSweepSummary } from './user-sweep';
import type { RegroupSummary } from './regroup';
import type { SearchBackfillSummary } from './search-backfill';
import { INDEX_SHARDS } from '../shared/paths';
import { parseInput } from '../shared/validation';

/** Time the retries of due alerts may take at the start of a run. */
const ALERT_RETRY_BUDGET_MS = 12_000;
/** How far past the rollup's budget alert sends may end: the function timeout (60 s) is 10 s past the default budget. */
const ALERT_OVERRUN_MS = 8_000;

/** Seconds after which a run asked for shards another run held (and kept moving) should be asked again. */
const BUSY_RETRY_SECONDS = 5;

/** Two delivery runs' counts added up. */
function addAlertRuns(a: AlertRunSummary, b: AlertRunSummary): AlertRunSummary {
  return {
    queued: a.queued + b.queued,
    sent: a.sent + b.sent,
    retrying: a.retrying + b.retrying,
    gaveUp: a.gaveUp + b.gaveUp,
  };
}

/** The query a run may be asked with: `shards=3` or `shards=0,4` (index shards); none means every shard. */
export const RollupQuerySchema = z
  .object({
    shards: z
      .string()
      .regex(/^\d{1,3}(,\d{1,3})*$/, 'comma-separated shard numbers')
      .transform((text) => text.split(',').map(Number))
      .refine((shards) => shards.every((s) => s < INDEX_SHARDS), `shard numbers are 0 to ${INDEX_SHARDS - 1}`)
      .optional(),
  })
  .strict();

/**
 * Builds the `rollup` HTTP function: a POST runs one rollup over the index shards asked for
 * (`?shards=`, from a triggered Cloud Tasks task) or all of them (Cloud Scheduler's backstop),
 * those no other run holds, until caught up or out of time budget, and answers with its
 * summary. A shard another run holds is handed over to that run (marked wanted: it takes another
 * pass before giving it up), so the task is done; only a shard that could not be marked (the
 * holder kept moving) is answered 409, after the rest are done, so the queue asks again. Who may
 * call it is decided by Cloud Functions IAM (deployed with --no-allow-unauthenticated).
 */
export function createRollupHandler(options: {
  store: RollupStore;
  config: RollupConfig;
  clock?: Clock;
  /** Stored mappings for retracing obfuscated Java traces. */
  mappings?: MappingCache;
  /** Checks the next developers against Firebase Auth after each rollup (see user-sweep.ts). */
  sweepUsers?: () => Promise<UserSweepSummary>;
  /** Gives issues stored before search tokens theirs, a step per run asked for shard 0 (see search-backfill.ts). */
  backfillSearch?: () => Promise<SearchBackfillSummary>;
  /** Queues and sends alerts (see alerts/deliver.ts): before the rollup for retries due, after it for what it queued. */
  deliverAlerts?: (deadline: Date) => Promise<AlertRunSummary>;
  /** Merges the issues that waited for a mapping uploaded since (see regroup.ts), before the run's batches. */
  regroup?: (deadline: Date) => Promise<RegroupSummary>;
}): HttpFunction {
  const clock = options.clock ?? systemClock;
  // A failing destination or delivery store must never stop the rollup: log it, answer null.
  const deliver = async (deadline: Date): Promise<AlertRunSummary | null> => {
    if (options.deliverAlerts === undefined) return null;
    try {
      return await options.deliverAlerts(deadline);
    } catch (err) {
      logAlertDeliveryFailure(err);
      return null;
    }
  };
  // Likewise a merge that fails (an unreadable issue) is logged and retried by the next run.
  const regroup = async (deadline: Date): Promise<RegroupSummary | null> => {
    if (options.regroup === undefined) return null;
    try {
      return await options.regroup(deadline);
    } catch (err) {
      logRegroupFailure(err);
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
      const query = parseInput(RollupQuerySchema, req.query ?? {}, 'invalid_argument', 'query');
      // Retries first, within a few seconds taken from the rollup's own budget; what the run
      // queues is sent after it, with what is left of the function's time.
      const started = clock().getTime();
      const budgetMs = options.config.DUMPCATCHER_ROLLUP_BUDGET_SECONDS * 1000;
      const retried = await deliver(new Date(started + Math.min(ALERT_RETRY_BUDGET_MS, budgetMs / 4)));
      const regrouped = await regroup(new Date(started + budgetMs / 2));
      const spent = Math.ceil((clock().getTime() - started) / 1000);
      // Alerts a pass queued go out before the next pass: a run that keeps taking what other
      // runs hand over does not hold its new issues' alerts back until it ends.
      const between: AlertRunSummary[] = [];
      const afterPass = async () => {
        const sent = await deliver(new Date(started + budgetMs));
        if (sent !== null) between.push(sent);
      };
      const summary = await runRollup({
        store: options.store.forRun?.() ?? options.store,
        afterPass,
        clock,
        config: {
          ...options.config,
          DUMPCATCHER_ROLLUP_BUDGET_SECONDS: Math.max(1, options.config.DUMPCATCHER_ROLLUP_BUDGET_SECONDS - spent),
        },
        onMalformed: logMalformedReport,
        ...(options.mappings === undefined ? {} : { mappings: options.mappings }),
        ...(query.shards === undefined ? {} : { shards: query.shards }),
      });
      const last = await deliver(new Date(started + budgetMs + ALERT_OVERRUN_MS));
      const delivered = last === null ? null : [...between, last].reduce(addAlertRuns);
      // The backstop (every shard) sweeps users; the triggered runs leave it to the backstop.
      const users =
        options.sweepUsers === undefined || query.shards !== undefined ? undefined : await options.sweepUsers();
      // One backfill step per run asked for shard 0 that no other run held (or was handed): runs over other
      // shards in parallel would repeat the same step from the same saved place.
      const askedForZero = query.shards?.includes(0) ?? true;
      const searchBackfill =
        options.backfillSearch === undefined ||
        !askedForZero ||
        summary.busy.includes(0) ||
        summary.handedOver.includes(0)
          ? undefined
          : await options.backfillSearch();
      const alerts = options.deliverAlerts === undefined ? undefined : { before: retried, after: delivered };
      const answer = {
        ...summary,
        ...(users === undefined ? {} : { users }),
        ...(options.regroup === undefined ? {} : { regroup: regrouped }),
        ...(searchBackfill === undefined ? {} : { searchBackfill }),
        ...(alerts === undefined ? {} : { alerts }),
      };
      logRollupRun({ ...answer });
      if (query.shards !== undefined && summary.busy.length > 0) {
        throw new DumpcatcherError(
          'conflict',
          `Shards ${summary.busy.join(', ')} wait for another run: another run held them, or this one ran out of time with them.`,
          {
            details: { busy: summary.busy, summary: answer },
            headers: { 'Retry-After': String(BUSY_RETRY_SECONDS) },
          },
        );
      }
      sendJson(res, 200, answer);
    } catch (err) {
      if (!(err instanceof DumpcatcherError)) logRollupFailure(err, { method: req.method });
      sendError(res, err);
    }
  };
}
