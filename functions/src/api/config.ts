import { parseConfig } from '../shared/validation';
import { logConfigError } from '../shared/logs';
import { ApiConfigSchema, type ApiConfig } from './schemas';

/** Reads the api's configuration at cold start, or throws with every problem listed. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseConfig(ApiConfigSchema, env, 'api configuration', logConfigError);
}
