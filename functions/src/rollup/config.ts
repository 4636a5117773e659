import { parseConfig } from '../shared/validation';
import { logConfigError } from '../shared/logs';
import { RollupConfigSchema, type RollupConfig } from './schemas';

/** Reads the rollup's configuration at cold start, or throws with every problem listed. */
export function loadRollupConfig(env: NodeJS.ProcessEnv = process.env): RollupConfig {
  return parseConfig(RollupConfigSchema, env, 'rollup configuration', logConfigError);
}
