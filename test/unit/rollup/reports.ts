/* Crash reports built from the real stack-trace fixtures, for rollup tests (unit and emulator). */
import { randomUUID } from 'node:crypto';
import { computeFingerprint } from '../../../functions/src/grouping/fingerprint';
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
  fields: { version: string; label?: string; installId?: string; fingerprint?: string },
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
