import { z } from 'zod';
import { logConfigError } from './logs';
import { parseConfig } from './validation';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Service configuration from the environment, checked once at cold start. */
export const ConfigSchema = z.object({
  DUMPCATCHER_RATE_PER_PRODUCT: positiveInt(60_000),
  DUMPCATCHER_RATE_PER_CLIENT: positiveInt(120),
  DUMPCATCHER_PRODUCT_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(30),
});
/** Validated configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** Reads the configuration, or throws with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(ConfigSchema, env, 'configuration', logConfigError);
}
