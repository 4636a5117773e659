import { INDEX_SHARDS } from '../shared/paths';
import { sha256Hex } from '../shared/sha256';
import type { CrashReport, UsageReport } from './schemas';

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

/** Facts the server adds to every stored report. */
export interface ServerFields {
  productKey: string;
  clientId: string;
  counter: number;
  receivedAt: Date;
  retentionDays: number;
  /** The id the report is stored under (`reportDocumentId`); its shard is derived from it. */
  documentId: string;
}

/** A report as written to Firestore: the validated body plus server fields. */
export type StoredReport = Record<string, unknown> &
  Omit<ServerFields, 'retentionDays' | 'documentId'> & { reportId: string; expireAt: Date; shard: number };

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
 * Builds the document for an accepted report (extra kept as JSON text: Firestore limits nesting).
 * The report is copied once: this runs for every accepted request, and allocation is what the
 * ingest's CPU is most sensitive to (docs/performance.md).
 */
export function toStoredReport(report: CrashReport | UsageReport, server: ServerFields): StoredReport {
  let body: Record<string, unknown> = report;
  let extraJson: string | undefined;
  if ('extra' in report && report.extra !== undefined) {
    const { extra, ...rest } = report;
    body = rest;
    extraJson = JSON.stringify(extra);
  }
  // Object.assign and then plain assignments: an object literal with a spread followed by more
  // properties takes V8's slow path, about 8 µs here against 0.4.
  const doc = Object.assign({}, body) as StoredReport;
  doc.reportId = report.reportId;
  doc.productKey = server.productKey;
  doc.clientId = server.clientId;
  doc.counter = server.counter;
  doc.receivedAt = server.receivedAt;
  doc.shard = reportShard(server.documentId);
  doc.expireAt = new Date(server.receivedAt.getTime() + server.retentionDays * DAY_MS);
  if (extraJson !== undefined) doc.extraJson = extraJson;
  if ('exception' in report) {
    const cut = truncateStacktrace(report.exception.stacktrace);
    if (cut.truncated) doc.exception = { ...report.exception, stacktrace: cut.text, stacktraceTruncated: true };
  }
  return doc;
}
