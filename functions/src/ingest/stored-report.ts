import type { CrashReport, UsageReport } from './schemas';

/** Largest stack trace kept, in UTF-8 bytes; longer ones are cut with a marker. */
export const MAX_STORED_STACKTRACE_BYTES = 256 * 1024;

/** Facts the server adds to every stored report. */
export interface ServerFields {
  productKey: string;
  clientId: string;
  counter: number;
  receivedAt: Date;
  retentionDays: number;
}

/** A report as written to Firestore: the validated body plus server fields. */
export type StoredReport = Record<string, unknown> &
  Omit<ServerFields, 'retentionDays'> & { reportId: string; expireAt: Date };

/** Cuts a stack trace to at most `maxBytes` UTF-8 bytes, on a character boundary, with a marker. */
export function truncateStacktrace(
  text: string,
  maxBytes = MAX_STORED_STACKTRACE_BYTES,
): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes - 96; // room for the marker
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // do not split a UTF-8 sequence
  const omitted = bytes.length - end;
  return {
    text: `${bytes.subarray(0, end).toString('utf8')}\n… [truncated by dumpcatcher: ${omitted} bytes omitted]`,
    truncated: true,
  };
}

const DAY_MS = 86_400_000;

/** Builds the document for an accepted report (extra kept as JSON text: Firestore limits nesting). */
export function toStoredReport(report: CrashReport | UsageReport, server: ServerFields): StoredReport {
  const { extra, ...rest } = report as CrashReport;
  const doc: StoredReport = {
    ...rest,
    productKey: server.productKey,
    clientId: server.clientId,
    counter: server.counter,
    receivedAt: server.receivedAt,
    expireAt: new Date(server.receivedAt.getTime() + server.retentionDays * DAY_MS),
  };
  if (extra !== undefined) doc.extraJson = JSON.stringify(extra);
  if ('exception' in report) {
    const cut = truncateStacktrace(report.exception.stacktrace);
    doc.exception = {
      ...report.exception,
      stacktrace: cut.text,
      ...(cut.truncated ? { stacktraceTruncated: true } : {}),
    };
  }
  return doc;
}
