import { createClient, createNoopClient } from './client.ts';
import type { DumpcatcherClient } from './client.ts';
import { createMetricRegistry } from './metrics.ts';
import type { MetricCollector, MetricRegistry } from './metrics.ts';
import type { DumpcatcherOptions } from './options.ts';
import type { BreadcrumbInput, CaptureContext } from './types.ts';

export { createClient } from './client.ts';
export type { DumpcatcherClient } from './client.ts';
export type { MetricCollector, MetricContext } from './metrics.ts';
export type { AutoBreadcrumbKinds, DumpcatcherOptions } from './options.ts';
export type { ClientRuntime } from './runtime.ts';
export type {
  Breadcrumb,
  BreadcrumbInput,
  BreadcrumbLevel,
  CaptureContext,
  CrashReport,
  JsonValue,
  MetricValue,
  SessionReport,
  SourceContextLine,
  UsageReport,
} from './types.ts';

interface SdkState {
  client: DumpcatcherClient;
  registry: MetricRegistry;
}

// Kept on globalThis so that an app that loads both the ESM and the CJS build (say, through
// two dependencies) still has one client, one set of process hooks and one metric registry.
const STATE_KEY = Symbol.for('dumpcatcher.node.sdk');

function state(): SdkState {
  const holder = globalThis as typeof globalThis & { [STATE_KEY]?: SdkState };
  holder[STATE_KEY] ??= { client: createNoopClient(), registry: createMetricRegistry() };
  return holder[STATE_KEY];
}

/** Starts the SDK (replacing any earlier `init`) and returns its client. Never throws. */
export function init(options: DumpcatcherOptions): DumpcatcherClient {
  const s = state();
  const previous = s.client;
  s.client = createNoopClient();
  void previous.close();
  s.client = createClient(options, {}, s.registry);
  return s.client;
}

/** Captures an error (or any thrown value); returns the report id, or null if dropped, off or before `init`. */
export function captureException(error: unknown, context?: CaptureContext): string | null {
  return state().client.captureException(error, context);
}

/** Adds a breadcrumb (`{category, message, level, data}`, scrubbed now) for the next crash reports; ignored before `init`. */
export function addBreadcrumb(breadcrumb: BreadcrumbInput): void {
  state().client.addBreadcrumb(breadcrumb);
}

/** Collects every registered metric and enqueues one usage report to `/v1/usage`. */
export function reportUsage(): string | null {
  return state().client.reportUsage();
}

/** Registers (or replaces) a usage metric in the SDK's registry; works before `init` too. False for an invalid name. */
export function defineMetric(name: string, collect: MetricCollector): boolean {
  try {
    return state().registry.define(name, collect);
  } catch {
    return false;
  }
}

/** Starts a release health session (ending the running one first); for apps that define their own sessions. */
export function startSession(): void {
  state().client.startSession();
}

/** Ends the running session and queues its report. */
export function endSession(): void {
  state().client.endSession();
}

/** Sends what is queued; resolves true when the queue emptied within `timeoutMs` (default 2000). */
export function flush(timeoutMs?: number): Promise<boolean> {
  return state().client.flush(timeoutMs);
}

/** Flushes (up to `shutdownTimeoutMs`), removes the hooks; later calls are no-ops until the next `init`. */
export function close(): Promise<boolean> {
  const s = state();
  const client = s.client;
  s.client = createNoopClient();
  return client.close();
}

/** The current client (a no-op one before `init` and after `close`). */
export function getClient(): DumpcatcherClient {
  return state().client;
}
