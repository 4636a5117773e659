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
}

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

/** Why `options` cannot be used (test/vectors/options-v1.json); empty when they can. */
export function findOptionProblems(options: DumpcatcherOptions): string[] {
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
  return problems;
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
