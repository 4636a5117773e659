import { arch, cpus, platform, release } from 'node:os';
import * as os from 'node:os';
import type { MetricValue } from './types.ts';

/** What a metric's collector is told about the app. */
export interface MetricContext {
  appName: string;
  appVersion: string;
}

/** Collects one metric's current value; `undefined`/`null` (or a throw) leaves it out. */
export type MetricCollector = (context: MetricContext) => MetricValue | null | undefined;

/** Valid metric names: `[a-z0-9_.]{1,64}`. */
export const METRIC_NAME = /^[a-z0-9_.]{1,64}$/;
const MAX_METRICS = 100;
const MAX_STRING_CHARS = 256;

/** The one registry of usage metrics. */
export interface MetricRegistry {
  /** Registers (or replaces) a metric; false when the name is invalid. */
  define(name: string, collect: MetricCollector): boolean;
  /** Collects every metric; collectors that throw or give nothing are left out. */
  collect(context: MetricContext, onError?: (name: string, err: unknown) => void): Record<string, MetricValue>;
  names(): string[];
}

function osFamily(p: NodeJS.Platform): string {
  return p === 'win32' ? 'windows' : p;
}

/**
 * A locale as a BCP 47 tag (test/vectors/locale-v1.json): `en_US.UTF-8` and `en-US` give
 * `en-US`, `C` and `POSIX` give `C`; null when `raw` does not start with a language.
 */
export function normalizeLocale(raw: string | null | undefined): string | null {
  const value = (raw ?? '').split('.')[0]?.split('@')[0]?.trim() ?? '';
  if (value === 'C' || value === 'POSIX') return 'C';
  const parts = value.split(/[-_]/);
  const language = parts[0] ?? '';
  if (!/^[A-Za-z]{2,3}$/.test(language) || language.toLowerCase() === 'und') return null;
  const tag = [language.toLowerCase()];
  let script = false;
  for (const part of parts.slice(1)) {
    if (!script && /^[A-Za-z]{4}$/.test(part)) {
      script = true;
      tag.push(part[0]!.toUpperCase() + part.slice(1).toLowerCase());
    } else if (/^(?:[A-Za-z]{2}|\d{3})$/.test(part)) {
      tag.push(part.toUpperCase());
      break;
    } else {
      break;
    }
  }
  return tag.join('-');
}

/**
 * The process locale as a BCP 47 tag: the first readable of LC_ALL, LC_MESSAGES and LANG, else
 * `fallback` (the runtime's own default, Intl's); null when there is none.
 */
export function processLocale(
  env: Record<string, string | undefined> = process.env,
  fallback: () => string | null = intlLocale,
): string | null {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG']) {
    const locale = normalizeLocale(env[name]);
    if (locale !== null) return locale;
  }
  return normalizeLocale(fallback());
}

function intlLocale(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().locale;
  } catch {
    return null;
  }
}

function cpuCount(): number {
  const available = (os as { availableParallelism?: () => number }).availableParallelism;
  return typeof available === 'function' ? available() : cpus().length;
}

/** Built-in metrics, the same in every SDK (docs/sdks.md, "Usage metrics"). */
export const BUILT_IN_METRICS: ReadonlyArray<readonly [string, MetricCollector]> = [
  ['os.name', () => osFamily(platform())],
  ['os.version', () => release()],
  ['os.arch', () => arch()],
  ['runtime.name', () => 'node'],
  ['runtime.version', () => process.versions.node],
  ['app.version', (context) => context.appVersion],
  ['locale', () => processLocale()],
  ['cpu.count', () => cpuCount()],
];

function normalizeValue(value: unknown): MetricValue | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return value.length <= MAX_STRING_CHARS ? value : value.slice(0, MAX_STRING_CHARS);
  return undefined;
}

/** Creates a registry holding the built-in metrics. */
export function createMetricRegistry(): MetricRegistry {
  const metrics = new Map<string, MetricCollector>(BUILT_IN_METRICS);
  return {
    define(name, collect) {
      if (typeof name !== 'string' || !METRIC_NAME.test(name) || typeof collect !== 'function') return false;
      if (!metrics.has(name) && metrics.size >= MAX_METRICS) return false;
      metrics.set(name, collect);
      return true;
    },
    collect(context, onError) {
      const out: Record<string, MetricValue> = {};
      for (const [name, collect] of metrics) {
        try {
          const value = normalizeValue(collect(context));
          if (value !== undefined) out[name] = value;
        } catch (err) {
          onError?.(name, err);
        }
      }
      return out;
    },
    names() {
      return [...metrics.keys()];
    },
  };
}
