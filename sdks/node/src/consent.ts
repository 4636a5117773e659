import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Why the SDK is off, or `null` when it may run. */
export type OptOutReason = 'option' | 'DO_NOT_TRACK' | 'DUMPCATCHER_DISABLED' | 'config_file' | null;

function isSet(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

/** Path of the user's Dumpcatcher config file, per docs/sdks.md. */
export function configFilePath(
  env: Record<string, string | undefined>,
  homeDir: string,
  platform: NodeJS.Platform,
): string {
  if (env.DUMPCATCHER_CONFIG) return env.DUMPCATCHER_CONFIG;
  if (platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'dumpcatcher', 'config.json');
  const base = env.XDG_CONFIG_HOME || join(homeDir, '.config');
  return join(base, 'dumpcatcher', 'config.json');
}

function configSaysDisabled(path: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && (parsed as { enabled?: unknown }).enabled === false;
  } catch {
    // A missing or unreadable file changes nothing.
    return false;
  }
}

/** Decides, once at init, whether the user or developer has opted out. */
export function findOptOut(
  enabledOption: boolean | undefined,
  env: Record<string, string | undefined>,
  homeDir: string,
  platform: NodeJS.Platform,
): OptOutReason {
  if (enabledOption === false) return 'option';
  if (isSet(env.DO_NOT_TRACK)) return 'DO_NOT_TRACK';
  if (isSet(env.DUMPCATCHER_DISABLED)) return 'DUMPCATCHER_DISABLED';
  if (configSaysDisabled(configFilePath(env, homeDir, platform))) return 'config_file';
  return null;
}
