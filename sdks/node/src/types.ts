import type { Transport, TransportSettings } from './transport.ts';

/** A JSON value as it may appear in `extra`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A crash report as sent to `/v1/crashes` (docs/protocol.md). */
export interface CrashReport {
  reportId: string;
  occurredAt: string;
  exception: { type: string; message?: string; stacktrace: string };
  app: { name: string; version: string };
  label?: string;
  runtime?: { name: string; version: string };
  os?: { name: string; version?: string; arch?: string };
  tags?: Record<string, string>;
  extra?: { [key: string]: JsonValue };
  fingerprint?: string;
  installId?: string;
}

/** A value a usage metric may have. */
export type MetricValue = string | number | boolean;

/** A usage report as sent to `/v1/usage`. */
export interface UsageReport {
  reportId: string;
  occurredAt: string;
  app: { name: string; version: string };
  installId?: string;
  label?: string;
  metrics: Record<string, MetricValue>;
}

/** Ingest paths a queued report can go to. */
export type ReportPath = '/v1/crashes' | '/v1/usage';

/** Per-capture context given to `captureException`. */
export interface CaptureContext {
  label?: string;
  tags?: Record<string, string>;
  extra?: Record<string, unknown>;
  fingerprint?: string;
}

/** Options of `init` / `createClient`; see docs/sdks.md for the shared meaning of each. */
export interface DumpcatcherOptions {
  /** Ingest base URL; `/v1/crashes` and `/v1/usage` are appended. */
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
  /** Keep a random installation id in `<queueDir>/install-id` and send it with reports. */
  installId?: boolean;
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

/** What the client takes from its surroundings; tests replace parts of it. */
export interface ClientRuntime {
  env: Record<string, string | undefined>;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Uniform in [0, 1): sampling and backoff jitter. */
  random: () => number;
  homeDir: string;
  userName: string;
  platform: NodeJS.Platform;
  /** Where debug output goes (one line or block per call). */
  writeStderr: (text: string) => void;
  /** The process whose events the hooks listen to. */
  process: NodeJS.Process;
  /** Makes the transport; replaced only by tests and the benchmark (default: HTTP). */
  makeTransport?: (settings: TransportSettings) => Transport;
}
