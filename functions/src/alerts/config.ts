import { logConfigError } from '../shared/logs';
import { AlertsConfigSchema, type AlertsConfig } from './schemas';

/** Reads the alerts' configuration at cold start, or throws with every problem listed. */
export function loadAlertsConfig(env: NodeJS.ProcessEnv = process.env): AlertsConfig {
  const result = AlertsConfigSchema.safeParse(env);
  if (!result.success) {
    logConfigError(result.error.issues);
    throw new Error(
      `Invalid alerts configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}
