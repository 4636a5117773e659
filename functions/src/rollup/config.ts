import { z } from 'zod';
import { parseConfig } from '../shared/validation';
import { logConfigError } from '../shared/logs';

const positiveInt = (fallback: number, max: number) => z.coerce.number().int().positive().max(max).default(fallback);

/** The rollup's configuration from the environment, checked once at cold start. */
export const RollupConfigSchema = z.object({
  /**
   * A run takes reports received up to this many seconds before its first read: more than
   * Firestore ever takes between receiving a write and committing it (see `horizonOf`).
   */
  DUMPCATCHER_ROLLUP_LAG_SECONDS: z.coerce.number().int().min(0).max(3600).default(2),
  /** A run starts no batch it cannot finish within this many seconds (the function timeout is 60 s). */
  DUMPCATCHER_ROLLUP_BUDGET_SECONDS: positiveInt(50, 3600),
  /** Reports read and applied per transaction. */
  DUMPCATCHER_ROLLUP_BATCH_SIZE: positiveInt(500, 5000),
});
/** Validated rollup configuration. */
export type RollupConfig = z.infer<typeof RollupConfigSchema>;

/** Reads the rollup's configuration at cold start, or throws with every problem listed. */
export function loadRollupConfig(env: NodeJS.ProcessEnv = process.env): RollupConfig {
  return parseConfig(RollupConfigSchema, env, 'rollup configuration', logConfigError);
}
