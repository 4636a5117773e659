/* Crash reports built from the real stack-trace fixtures, for rollup tests (unit and emulator). */
import { randomUUID } from 'node:crypto';
import type { ReportRecord } from '../../../functions/src/grouping/classify';
import { computeFingerprint } from '../../../functions/src/grouping/fingerprint';
import type { CrashDoc } from '../../../functions/src/grouping/schemas';
import { loadFixtures, type Fixture } from '../grouping/fixtures';

let cache: Map<string, Fixture> | undefined;

/** One fixture by `dir/name`, e.g. `python/checkout-1.3.0-checkout`. */
export function fixture(id: string): Fixture {
  cache ??= new Map(loadFixtures().map((f) => [`${f.dir}/${f.name}`, f]));
  const found = cache.get(id);
  if (found === undefined) throw new Error(`no fixture ${id}`);
  return found;
}

/** A protocol v1 crash report whose exception is the fixture's, in app `version`. */
export function fixtureCrash(
  id: string,
  fields: { version: string; label?: string; installId?: string; fingerprint?: string; environment?: string },
): Record<string, unknown> {
  const f = fixture(id);
  return {
    reportId: randomUUID(),
    occurredAt: new Date().toISOString(),
    exception: { type: f.report.type, message: f.report.message, stacktrace: f.text },
    app: { name: 'shop', version: fields.version },
    runtime: { name: f.report.runtime, version: '1' },
    ...(fields.label === undefined ? {} : { label: fields.label }),
    ...(fields.installId === undefined ? {} : { installId: fields.installId }),
    ...(fields.fingerprint === undefined ? {} : { fingerprint: fields.fingerprint }),
    ...(fields.environment === undefined ? {} : { environment: fields.environment }),
  };
}

/** The issue id (fingerprint) the rollup gives a fixture's crash. */
export function fixtureIssueId(id: string): string {
  const f = fixture(id);
  return computeFingerprint({
    type: f.report.type,
    message: f.report.message,
    stacktrace: f.text,
    runtime: f.report.runtime,
  }).fingerprint;
}

let recordSeq = 0;

/** A fixture's crash as the rollup reads it, in product `productKey`, with ids crash0001, crash0002, … in order of creation. */
export function fixtureCrashRecord(
  productKey: string,
  id: string,
  fields: Parameters<typeof fixtureCrash>[1] & { at?: string; clientId?: string },
): ReportRecord<CrashDoc> {
  const body = fixtureCrash(id, fields) as unknown as CrashDoc;
  const docId = `crash${String(++recordSeq).padStart(4, '0')}`;
  return {
    path: `products/${productKey}/crashes/${docId}`,
    id: docId,
    doc: {
      ...body,
      productKey,
      clientId: fields.clientId ?? 'client-a',
      receivedAt: new Date(fields.at ?? '2026-11-20T10:00:00Z'),
    },
  };
}
