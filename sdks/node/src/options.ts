/** The options of `init` / `createClient` (docs/sdks.md#options): their type, rules and defaults; pure. */
import { join } from 'node:path';
import { ID_PATTERN } from './ids.ts';
import type { CrashReport } from './types.ts';

/** Options of `init` / `createClient`; see docs/sdks.md for the shared meaning of each. */
export interface DumpcatcherOptions {
  /** Ingest base URL; `/v1/crashes`, `/v1/usage` and `/v1/sessions` are appended. */
  endpoint: string;
  /** Public product key. */
  productKey: string;
  /** Product secret (HMAC key); never logged, never written to the queue. */
  secret: string;
  appName: string;
  appVersion: string;
  /** Default custom label for every report. */
  label?: string;
  /** Default tags, merged under per-capture tags. */
  tags?: Record<string, string>;
  /** Disk queue folder; default `$XDG_CACHE_HOME/dumpcatcher/<productKey>`. */
  queueDir?: string;
  /** Fraction of crash reports kept, 0 to 1 (default 1). */
  sampleRate?: number;
  /** Sees each scrubbed crash report; returns it (possibly edited) or null to drop it. */
  beforeSend?: (report: CrashReport) => CrashReport | null | undefined;
  /** Print each report (scrubbed) to stderr instead of sending or queueing it. */
  debug?: boolean;
  /** `false` turns the SDK into a no-op. */
  enabled?: boolean;
  /** Keep a random installation id in `<queueDir>/install-id` and send it with reports (default true; `false` opts out). */
  installId?: boolean;
  /** One release health session per process run, started at init (default true; explicit sessions work either way). */
  autoSessionTracking?: boolean;
  /** Capture uncaught exceptions and unhandled rejections (default true). */
  captureUncaught?: boolean;
  maxQueueFiles?: number;
  maxQueueBytes?: number;
  maxQueueAgeSeconds?: number;
  gzipThresholdBytes?: number;
  maxReportsPerFingerprint?: number;
  limiterWindowSeconds?: number;
  /** How long the exit hook and `close()` may spend flushing (default 2000 ms). */
  shutdownTimeoutMs?: number;
  /** Timeout of one HTTP attempt (default 10000 ms). */
  requestTimeoutMs?: number;
  /** Where the app runs, sent with every report: `[A-Za-z0-9_.-]{1,64}` (default `DUMPCATCHER_ENVIRONMENT`, else `production`). */
  environment?: string;
  /** Breadcrumbs kept for the next crash report, 0 to 100 (default 100; 0 keeps none). */
  maxBreadcrumbs?: number;
  /** Automatic breadcrumbs: `true` (default) all kinds, `false` none, or per kind (`console`, `http`; a kind not named stays on). */
  autoBreadcrumbs?: boolean | AutoBreadcrumbKinds;
  /** Send the lines of code around in-app frames with each crash report (default true). */
  sourceContext?: boolean;
}

/** The automatic breadcrumb kinds of the Node SDK, each on unless set to false. */
export interface AutoBreadcrumbKinds {
  /** `console.log`, `info`, `warn`, `error`, `debug`. */
  console?: boolean;
  /** Outgoing `http`/`https` requests (and `fetch`): method, host, path, status. */
  http?: boolean;
}

/** The environment variable read when the `environment` option is absent. */
export const ENVIRONMENT_VARIABLE = 'DUMPCATCHER_ENVIRONMENT';
/** What an environment name may be (docs/protocol.md). */
export const ENVIRONMENT_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** The environment of a report that names none. */
export const DEFAULT_ENVIRONMENT = 'production';
/** The most breadcrumbs a client keeps (and the default). */
export const MAX_BREADCRUMBS = 100;
const AUTO_BREADCRUMB_KINDS = ['console', 'http'] as const;

/** Which automatic breadcrumb kinds are on. */
export type AutoBreadcrumbSettings = { [K in (typeof AUTO_BREADCRUMB_KINDS)[number]]: boolean };

/** Defaults of the options that have one (docs/sdks.md#options). */
export const OPTION_DEFAULTS = {
  sampleRate: 1,
  maxQueueFiles: 100,
  maxQueueBytes: 10 * 1024 * 1024,
  maxQueueAgeSeconds: 7 * 24 * 3600,
  gzipThresholdBytes: 8192,
  maxReportsPerFingerprint: 10,
  limiterWindowSeconds: 3600,
  shutdownTimeoutMs: 2000,
  requestTimeoutMs: 10000,
} as const;

/** The numeric options a client runs with, defaults applied. */
export type Settings = { [K in keyof typeof OPTION_DEFAULTS]: number };

const NUMERIC_OPTIONS = [
  'maxQueueFiles',
  'maxQueueBytes',
  'maxQueueAgeSeconds',
  'gzipThresholdBytes',
  'maxReportsPerFingerprint',
  'limiterWindowSeconds',
  'shutdownTimeoutMs',
  'requestTimeoutMs',
] as const;

/** Why `options` (with the process environment `env`) cannot be used (test/vectors/options-v1.json); empty when they can. */
export function findOptionProblems(options: DumpcatcherOptions, env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const o = options as unknown as Record<string, unknown>;
  for (const key of ['endpoint', 'productKey', 'secret', 'appName', 'appVersion']) {
    if (typeof o[key] !== 'string' || o[key] === '') problems.push(`${key} is required`);
  }
  if (typeof o.productKey === 'string' && !ID_PATTERN.test(o.productKey))
    problems.push('productKey must match [A-Za-z0-9_-]{8,64}');
  if (typeof o.endpoint === 'string') {
    try {
      const url = new URL(o.endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push('endpoint must be http(s)');
    } catch {
      problems.push('endpoint is not a URL');
    }
  }
  // The numeric rules of test/vectors/options-v1.json, as in the Python and Java SDKs: a typo
  // must say so rather than quietly run with a default.
  if (o.sampleRate !== undefined && !(typeof o.sampleRate === 'number' && o.sampleRate >= 0 && o.sampleRate <= 1))
    problems.push('sampleRate must be a number from 0 to 1');
  for (const key of NUMERIC_OPTIONS) {
    const value = o[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0))
      problems.push(`${key} must be a non-negative number`);
  }
  const environment = o.environment === undefined ? environmentVariable(env) : o.environment;
  if (environment !== undefined && !(typeof environment === 'string' && ENVIRONMENT_PATTERN.test(environment)))
    problems.push(
      o.environment === undefined
        ? `environment (from ${ENVIRONMENT_VARIABLE}) must match [A-Za-z0-9_.-]{1,64}`
        : 'environment must match [A-Za-z0-9_.-]{1,64}',
    );
  const max = o.maxBreadcrumbs;
  if (max !== undefined && !(Number.isInteger(max) && (max as number) >= 0 && (max as number) <= MAX_BREADCRUMBS))
    problems.push(`maxBreadcrumbs must be an integer from 0 to ${MAX_BREADCRUMBS}`);
  if (!isAutoBreadcrumbsValue(o.autoBreadcrumbs))
    problems.push(
      `autoBreadcrumbs must be true, false or an object of ${AUTO_BREADCRUMB_KINDS.join(', ')} to booleans`,
    );
  if (o.sourceContext !== undefined && typeof o.sourceContext !== 'boolean')
    problems.push('sourceContext must be true or false');
  return problems;
}

function isAutoBreadcrumbsValue(value: unknown): boolean {
  if (value === undefined || typeof value === 'boolean') return true;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(
    ([kind, on]) => (AUTO_BREADCRUMB_KINDS as readonly string[]).includes(kind) && typeof on === 'boolean',
  );
}

/** The environment reports carry, for valid options: the option, else `DUMPCATCHER_ENVIRONMENT`, else `production`. */
export function resolveEnvironment(options: DumpcatcherOptions, env: Record<string, string | undefined>): string {
  return options.environment ?? environmentVariable(env) ?? DEFAULT_ENVIRONMENT;
}

// Set but empty counts as not set, as with the other variables the SDK reads.
function environmentVariable(env: Record<string, string | undefined>): string | undefined {
  return env[ENVIRONMENT_VARIABLE] || undefined;
}

/** The automatic breadcrumb kinds that are on, for a valid `autoBreadcrumbs` option. */
export function resolveAutoBreadcrumbs(value: DumpcatcherOptions['autoBreadcrumbs']): AutoBreadcrumbSettings {
  if (value === false) return { console: false, http: false };
  const kinds = typeof value === 'object' ? value : {};
  return { console: kinds.console !== false, http: kinds.http !== false };
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The numeric settings of valid `options`: each given value, or its default when absent or 0. */
export function resolveSettings(options: DumpcatcherOptions): Settings {
  return {
    sampleRate:
      typeof options.sampleRate === 'number' && options.sampleRate >= 0
        ? Math.min(1, options.sampleRate)
        : OPTION_DEFAULTS.sampleRate,
    maxQueueFiles: positive(options.maxQueueFiles, OPTION_DEFAULTS.maxQueueFiles),
    maxQueueBytes: positive(options.maxQueueBytes, OPTION_DEFAULTS.maxQueueBytes),
    maxQueueAgeSeconds: positive(options.maxQueueAgeSeconds, OPTION_DEFAULTS.maxQueueAgeSeconds),
    gzipThresholdBytes: positive(options.gzipThresholdBytes, OPTION_DEFAULTS.gzipThresholdBytes),
    maxReportsPerFingerprint: positive(options.maxReportsPerFingerprint, OPTION_DEFAULTS.maxReportsPerFingerprint),
    limiterWindowSeconds: positive(options.limiterWindowSeconds, OPTION_DEFAULTS.limiterWindowSeconds),
    shutdownTimeoutMs: positive(options.shutdownTimeoutMs, OPTION_DEFAULTS.shutdownTimeoutMs),
    requestTimeoutMs: positive(options.requestTimeoutMs, OPTION_DEFAULTS.requestTimeoutMs),
  };
}

/** Default queue folder per docs/sdks.md. */
export function defaultQueueDir(
  where: { env: Record<string, string | undefined>; homeDir: string; platform: NodeJS.Platform },
  productKey: string,
): string {
  if (where.platform === 'win32' && where.env.LOCALAPPDATA)
    return join(where.env.LOCALAPPDATA, 'dumpcatcher', productKey);
  const base = where.env.XDG_CACHE_HOME || join(where.homeDir, '.cache');
  return join(base, 'dumpcatcher', productKey);
}
