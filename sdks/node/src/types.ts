/** A JSON value as it may appear in `extra`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A crash report as sent to `/v1/crashes` (docs/protocol.md). */
export interface CrashReport {
  reportId: string;
  occurredAt: string;
  exception: { type: string; message?: string; stacktrace: string; sourceContext?: SourceContextLine[] };
  app: { name: string; version: string };
  /** The client's `environment` option (default `production`). */
  environment: string;
  label?: string;
  runtime?: { name: string; version: string };
  os?: { name: string; version?: string; arch?: string };
  tags?: Record<string, string>;
  extra?: { [key: string]: JsonValue };
  fingerprint?: string;
  installId?: string;
  /** What the program did before, oldest first (absent when there was nothing). */
  breadcrumbs?: Breadcrumb[];
}

/** How much a breadcrumb matters. */
export type BreadcrumbLevel = 'debug' | 'info' | 'warning' | 'error' | 'fatal';

/** A breadcrumb as sent: scrubbed and cut when it was added (docs/sdks.md#breadcrumbs). */
export interface Breadcrumb {
  /** RFC 3339 UTC with milliseconds. */
  timestamp: string;
  category: string;
  level: BreadcrumbLevel;
  message?: string;
  data?: Record<string, string | number | boolean | null>;
}

/** What `addBreadcrumb` takes; every field is optional. */
export interface BreadcrumbInput {
  /** Default `default`; cut to 64 characters. */
  category?: string;
  /** Scrubbed, then cut to 1,024 characters. */
  message?: string;
  /** `debug`, `info` (default), `warning`, `error` or `fatal`; anything else is `info`. */
  level?: BreadcrumbLevel;
  /** The first 20 entries whose values are strings, finite numbers, booleans or null. */
  data?: Record<string, unknown>;
}

/** The lines around one in-app frame (docs/protocol.md#source-context). */
export interface SourceContextLine {
  /** The frame's file as the stack trace names it. */
  file: string;
  /** 1-based. */
  line: number;
  pre: string[];
  context: string;
  post: string[];
}

/** A value a usage metric may have. */
export type MetricValue = string | number | boolean;

/** A usage report as sent to `/v1/usage`. */
export interface UsageReport {
  reportId: string;
  occurredAt: string;
  app: { name: string; version: string };
  environment: string;
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
  environment: string;
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
