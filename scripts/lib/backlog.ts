/**
 * A backlog of reports written straight into Firestore, as the ingest would have stored them,
 * for `bench:rollup` and the rollup's emulator tests: the rollup then has work waiting.
 */
import { randomUUID } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import { reportDocumentId, toStoredReport } from '../../functions/src/ingest/stored-report';
import type { CrashReport, ReportKind, SessionReport, UsageReport } from '../../functions/src/ingest/schemas';
import type { Fixture } from '../../test/unit/grouping/fixtures';

/** Distinct installations a backlog's reports come from (client `i % BACKLOG_INSTALLS`). */
export const BACKLOG_INSTALLS = 2_000;
const LABELS = ['checkout', 'search', 'profile', 'sync', undefined];

/**
 * The document the ingest would store for report `i` (client `i % BACKLOG_INSTALLS`, counter
 * `i`), with the `receivedAt` the ingest's store adds (Firestore's request time), here given.
 */
export function storedReport(
  report: CrashReport | UsageReport | SessionReport,
  productKey: string,
  kind: ReportKind,
  i: number,
  receivedAt: Date,
): { path: string; doc: object } {
  const clientId = `client-${i % BACKLOG_INSTALLS}`;
  const id = reportDocumentId(clientId, String(i));
  const doc = toStoredReport(report, {
    productKey,
    clientId,
    counter: i,
    acceptedAt: receivedAt,
    retentionDays: 90,
    documentId: id,
  });
  return { path: `products/${productKey}/${kind}/${id}`, doc: { ...doc, receivedAt } };
}

/**
 * Crash `i` of a backlog: fixture `(i * 7) % fixtures.length`, one of 18 versions and 5 labels,
 * from install `i % BACKLOG_INSTALLS`, its stack trace as given by `trace` (the fixture's own by default).
 */
export function backlogCrash(
  fixtures: readonly Fixture[],
  i: number,
  occurredAt: Date,
  trace: (f: Fixture) => string = (f) => f.text,
): { report: CrashReport; fixture: Fixture } {
  const f = fixtures[(i * 7) % fixtures.length]!;
  const label = LABELS[i % LABELS.length];
  const report: CrashReport = {
    reportId: randomUUID(),
    occurredAt: occurredAt.toISOString(),
    exception: { type: f.report.type, message: f.report.message, stacktrace: trace(f) },
    app: { name: 'bench', version: `1.${(i >> 4) % 6}.${i % 3}` },
    runtime: { name: f.report.runtime || 'unknown', version: '1' },
    os: { name: 'linux' },
    installId: `install-${String(i % BACKLOG_INSTALLS).padStart(6, '0')}`,
    ...(label === undefined ? {} : { label }),
  };
  return { report, fixture: f };
}

/** Writes `count` reports built by `make` with one BulkWriter; answers the seconds it took. */
export async function seedBacklog(
  db: Firestore,
  count: number,
  make: (i: number) => { path: string; doc: object },
): Promise<number> {
  const started = Date.now();
  const writer = db.bulkWriter();
  for (let i = 0; i < count; i++) {
    const { path, doc } = make(i);
    void writer.create(db.doc(path), doc);
    if (i % 5_000 === 4_999) await writer.flush(); // bounded memory
  }
  await writer.close();
  return (Date.now() - started) / 1000;
}
