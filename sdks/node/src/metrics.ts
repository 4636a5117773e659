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

/** The process locale as `ll_CC` (from LC_ALL / LC_MESSAGES / LANG, else the ICU default). */
export function processLocale(env: Record<string, string | undefined> = process.env): string {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG']) {
    const raw = env[name];
    if (!raw) continue;
    const cleaned = raw.split('.')[0]?.split('@')[0] ?? '';
    if (cleaned !== '' && cleaned !== 'C' && cleaned !== 'POSIX') return cleaned;
  }
  try {
    return Intl.DateTimeFormat().resolvedOptions().locale.replace(/-/g, '_');
  } catch {
    return 'und';
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
