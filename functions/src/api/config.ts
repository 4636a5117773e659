import { logConfigError } from '../shared/logs';
import { ApiConfigSchema, type ApiConfig } from './schemas';

/** Reads the api's configuration at cold start, or throws with every problem listed. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const result = ApiConfigSchema.safeParse(env);
  if (!result.success) {
    logConfigError(result.error.issues);
    throw new Error(
      `Invalid api configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}
