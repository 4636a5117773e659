import { logConfigError } from '../shared/logs';
import { RollupConfigSchema, type RollupConfig } from './schemas';

/** Reads the rollup's configuration at cold start, or throws with every problem listed. */
export function loadRollupConfig(env: NodeJS.ProcessEnv = process.env): RollupConfig {
  const result = RollupConfigSchema.safeParse(env);
  if (!result.success) {
    logConfigError(result.error.issues);
    throw new Error(
      `Invalid rollup configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}
