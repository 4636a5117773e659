import { applicationDefault } from 'firebase-admin/app';
import { z } from 'zod';
import { systemClock } from '../shared/clock';
import { logConfigError, logRollupTriggerFailure } from '../shared/logs';
import { parseConfig } from '../shared/validation';
import { INDEX_SHARDS } from '../shared/paths';
import { createCloudTasksQueue } from './cloud-tasks';
import { createLocalRollupQueue, createRollupTrigger, type EnqueueRollup, type RollupTrigger } from './rollup-trigger';

/** How the ingest asks for rollup runs, from the environment, checked once at cold start. */
export const RollupTriggerConfigSchema = z
  .object({
    /** `cloud-tasks` deployed, `local` on the local stack (no Cloud Tasks emulator exists), `off`: the schedule alone. */
    DUMPCATCHER_ROLLUP_TRIGGER: z.enum(['off', 'local', 'cloud-tasks']).default('off'),
    /** The rollup function's URL, which the tasks POST to. */
    DUMPCATCHER_ROLLUP_URL: z.string().url().optional(),
    /** The queue, `projects/P/locations/L/queues/Q` (cloud-tasks only). */
    DUMPCATCHER_ROLLUP_QUEUE: z
      .string()
      .regex(/^projects\/[a-z0-9-]+\/locations\/[a-z0-9-]+\/queues\/[A-Za-z0-9-]+$/, 'projects/P/locations/L/queues/Q')
      .optional(),
    /** The service account the tasks call the rollup as (cloud-tasks only). */
    DUMPCATCHER_ROLLUP_INVOKER: z.string().email().optional(),
    /** Reports stored within one window of this many seconds share one run. */
    DUMPCATCHER_ROLLUP_WINDOW_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
    /** A window's run is due this long after it closes: more than the rollup's lag (2 s). */
    DUMPCATCHER_ROLLUP_TRIGGER_DELAY_SECONDS: z.coerce.number().int().min(0).max(60).default(3),
    /**
     * Runs one window asks for at once, each over its share of the index shards, so a backlog
     * is rolled up in parallel; 1: one run over every shard. The queue dispatches this many at once.
     */
    DUMPCATCHER_ROLLUP_FANOUT: z.coerce.number().int().min(1).max(INDEX_SHARDS).default(INDEX_SHARDS),
  })
  .superRefine((c, ctx) => {
    const need = (key: keyof typeof c) => {
      if (c[key] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `required when DUMPCATCHER_ROLLUP_TRIGGER is ${c.DUMPCATCHER_ROLLUP_TRIGGER}`,
        });
    };
    if (c.DUMPCATCHER_ROLLUP_TRIGGER !== 'off') need('DUMPCATCHER_ROLLUP_URL');
    if (c.DUMPCATCHER_ROLLUP_TRIGGER === 'cloud-tasks') {
      need('DUMPCATCHER_ROLLUP_QUEUE');
      need('DUMPCATCHER_ROLLUP_INVOKER');
    }
  });
/** Validated trigger configuration. */
export type RollupTriggerConfig = z.infer<typeof RollupTriggerConfigSchema>;

/** Reads the trigger's configuration, or throws with every problem listed. */
export function loadRollupTriggerConfig(env: NodeJS.ProcessEnv = process.env): RollupTriggerConfig {
  return parseConfig(RollupTriggerConfigSchema, env, 'rollup trigger configuration', logConfigError);
}

/** The trigger the configuration asks for, or undefined when runs come from the schedule alone. */
export function createConfiguredRollupTrigger(config: RollupTriggerConfig): RollupTrigger | undefined {
  const url = config.DUMPCATCHER_ROLLUP_URL;
  if (config.DUMPCATCHER_ROLLUP_TRIGGER === 'off' || url === undefined) return undefined;
  const enqueue: EnqueueRollup =
    config.DUMPCATCHER_ROLLUP_TRIGGER === 'local'
      ? createLocalRollupQueue({ rollupUrl: url, clock: systemClock, onError: logRollupTriggerFailure })
      : createCloudTasksQueue({
          queue: config.DUMPCATCHER_ROLLUP_QUEUE!,
          rollupUrl: url,
          invoker: config.DUMPCATCHER_ROLLUP_INVOKER!,
          credential: applicationDefault(),
        });
  return createRollupTrigger({
    enqueue,
    policy: {
      windowSeconds: config.DUMPCATCHER_ROLLUP_WINDOW_SECONDS,
      delaySeconds: config.DUMPCATCHER_ROLLUP_TRIGGER_DELAY_SECONDS,
      fanout: config.DUMPCATCHER_ROLLUP_FANOUT,
    },
    clock: systemClock,
    onError: logRollupTriggerFailure,
  });
}
