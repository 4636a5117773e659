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

/** A release health report as sent to `/v1/sessions`: ended sessions counted per start hour and status. */
export interface SessionReport {
  reportId: string;
  occurredAt: string;
  app: { name: string; version: string };
  installId?: string;
  sessions: Array<{ started: string; ok: number; errored: number; crashed: number; abnormal: number }>;
}

/** Ingest paths a queued report can go to. */
export type ReportPath = '/v1/crashes' | '/v1/usage' | '/v1/sessions';

/** Per-capture context given to `captureException`. */
export interface CaptureContext {
  label?: string;
  tags?: Record<string, string>;
  extra?: Record<string, unknown>;
  fingerprint?: string;
}
