import { DEFAULT_ENVIRONMENT, type StoredCrash, type StoredSessions, type StoredUsage } from '../grouping/schemas';
import { INDEX_SHARDS } from '../shared/paths';
import { sha256Hex } from '../shared/sha256';
import type { CrashReport, SessionReport, UsageReport } from './schemas';

/** Largest stack trace kept, in UTF-8 bytes; longer ones are cut with a marker. */
export const MAX_STORED_STACKTRACE_BYTES = 256 * 1024;

/** Document id for (client, counter): stable for retries, not monotonic, no hot spots. */
export function reportDocumentId(clientId: string, counter: string): string {
  return sha256Hex(`${clientId}\n${counter}`).slice(0, 40);
}

/**
 * The report's index shard, 0 to INDEX_SHARDS-1, from its document id. The rollup reads reports
 * in `receivedAt` order through a (shard, receivedAt) index: an ever-increasing field alone would
 * send every write to the same end of one index (Firestore sustains about 500 such writes/s);
 * the shard prefix spreads them over INDEX_SHARDS ranges.
 */
export function reportShard(documentId: string): number {
  return parseInt(documentId.slice(0, 2), 16) % INDEX_SHARDS;
}

/** Facts the server adds to every stored report (the store adds `receivedAt`, Firestore's time). */
export interface ServerFields {
  productKey: string;
  clientId: string;
  counter: number;
  /** When the ingest accepted the report, by its own clock: the retention counts from here. */
  acceptedAt: Date;
  retentionDays: number;
  /** The id the report is stored under (`reportDocumentId`); its shard is derived from it. */
  documentId: string;
}

/** A crash as the ingest writes it: the store adds `receivedAt` (Firestore's time). */
export type NewStoredCrash = Omit<StoredCrash, 'receivedAt'>;
/** A usage report as the ingest writes it: the store adds `receivedAt`. */
export type NewStoredUsage = Omit<StoredUsage, 'receivedAt'>;
/** A sessions report as the ingest writes it: the store adds `receivedAt`. */
export type NewStoredSessions = Omit<StoredSessions, 'receivedAt'>;
/** A report as the store writes it: the validated body plus server fields. */
export type StoredReport = NewStoredCrash | NewStoredUsage | NewStoredSessions;

/** Cuts a stack trace to at most `maxBytes` UTF-8 bytes, on a character boundary, with a marker. */
export function truncateStacktrace(
  text: string,
  maxBytes = MAX_STORED_STACKTRACE_BYTES,
): { text: string; truncated: boolean } {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most traces need no measuring at all.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return { text, truncated: false };
  const bytes = Buffer.from(text, 'utf8');
  let end = maxBytes - 96; // room for the marker
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // do not split a UTF-8 sequence
  const omitted = bytes.length - end;
  return {
    text: `${bytes.subarray(0, end).toString('utf8')}\n… [truncated by dumpcatcher: ${omitted} bytes omitted]`,
    truncated: true,
  };
}

const DAY_MS = 86_400_000;

/**
 * Largest `breadcrumbsJson` kept, in UTF-8 bytes; older breadcrumbs past it are left out. With
 * the trace (256 KiB), `extra` (256 KiB) and source context (128 KiB) a crash document stays
 * well under Firestore's 1 MiB, whatever a 1 MiB body held.
 */
export const MAX_STORED_BREADCRUMBS_BYTES = 256 * 1024;
/** Largest `exception.sourceContext` kept, as JSON in UTF-8 bytes; later (outer) entries past it are left out. */
export const MAX_STORED_SOURCE_CONTEXT_BYTES = 128 * 1024;

/**
 * The longest run of `items` from one end whose JSON array fits in `maxBytes`: the newest (last)
 * ones with `keep: 'last'`, the first ones with `keep: 'first'`.
 */
export function keepWithinBytes<T>(items: readonly T[], maxBytes: number, keep: 'first' | 'last'): T[] {
  const whole = JSON.stringify(items);
  if (whole.length * 3 <= maxBytes || Buffer.byteLength(whole, 'utf8') <= maxBytes) return [...items];
  const order = keep === 'first' ? items : [...items].reverse();
  let bytes = 2; // the brackets
  let count = 0;
  for (const item of order) {
    const size = Buffer.byteLength(JSON.stringify(item), 'utf8') + (count === 0 ? 0 : 1);
    if (bytes + size > maxBytes) break;
    bytes += size;
    count += 1;
  }
  return keep === 'first' ? items.slice(0, count) : items.slice(items.length - count);
}

/** Builds the document for an accepted report (extra kept as JSON text: Firestore limits nesting). */
export function toStoredReport(report: CrashReport, server: ServerFields): NewStoredCrash;
export function toStoredReport(report: UsageReport, server: ServerFields): NewStoredUsage;
export function toStoredReport(report: SessionReport, server: ServerFields): NewStoredSessions;
export function toStoredReport(report: CrashReport | UsageReport | SessionReport, server: ServerFields): StoredReport;
export function toStoredReport(report: CrashReport | UsageReport | SessionReport, server: ServerFields): StoredReport {
  const fields = {
    reportId: report.reportId,
    productKey: server.productKey,
    clientId: server.clientId,
    counter: server.counter,
    shard: reportShard(server.documentId),
    environment: report.environment ?? DEFAULT_ENVIRONMENT,
    // Firestore's TTL deletes within about a day of this; the ingest's clock is close enough.
    expireAt: new Date(server.acceptedAt.getTime() + server.retentionDays * DAY_MS),
  };
  if (!('exception' in report)) return { ...report, ...fields };
  const { extra, breadcrumbs, exception, ...body } = report;
  const { sourceContext, ...thrown } = exception;
  const doc: NewStoredCrash = { ...body, exception: thrown, ...fields };
  if (extra !== undefined) doc.extraJson = JSON.stringify(extra);
  const cut = truncateStacktrace(exception.stacktrace);
  if (cut.truncated) doc.exception = { ...thrown, stacktrace: cut.text, stacktraceTruncated: true };
  if (sourceContext !== undefined && sourceContext.length > 0)
    doc.exception.sourceContext = keepWithinBytes(sourceContext, MAX_STORED_SOURCE_CONTEXT_BYTES, 'first');
  if (breadcrumbs !== undefined && breadcrumbs.length > 0) {
    const kept = keepWithinBytes(breadcrumbs, MAX_STORED_BREADCRUMBS_BYTES, 'last');
    if (kept.length > 0) doc.breadcrumbsJson = JSON.stringify(kept);
    if (kept.length < breadcrumbs.length) doc.breadcrumbsOmitted = breadcrumbs.length - kept.length;
  }
  return doc;
}
