import { z } from 'zod';
import type { FingerprintInput } from '../fingerprint';
import type { Mapping } from './mapping';
import { findMapIdInTrace, looksObfuscated, retraceJavaText } from './retrace';
import type { RetraceOutcome } from './schemas';

export { parseMapping, readMapId, type Mapping, type MappedClass, type MappedMethod } from './mapping';
export { findMapIdInTrace, looksObfuscated, retraceFrame, retraceJavaText, type RetracedFrame } from './retrace';
export type { RetraceOutcome } from './schemas';

/** The mapping a crash needs: R8's map id from its frames, else (ProGuard, older R8) the app version. */
export interface MappingKey {
  mapId: string;
  source: RetraceOutcome['source'];
}

/** What retracing reads of a crash. */
export interface RetraceSubject {
  productKey: string;
  app: { version: string };
  exception: { stacktrace: string };
  runtime?: { name: string } | undefined;
}

/**
 * Mappings already loaded, by product and map id: a Mapping, null when none is stored, or
 * undefined when it was not looked up (then the crash is grouped as it is, with no outcome).
 */
export type MappingLookup = (productKey: string, mapId: string) => Mapping | null | undefined;

/** The mapping a crash needs, or null when its trace does not look obfuscated (no lookup at all). */
export function mappingKeyOf(subject: RetraceSubject): MappingKey | null {
  const text = subject.exception.stacktrace;
  if (!looksObfuscated(text, subject.runtime?.name)) return null;
  const mapId = findMapIdInTrace(text);
  if (mapId !== undefined) return { mapId, source: 'map_id' };
  return { mapId: subject.app.version, source: 'app_version' };
}

/** A grouping input after retracing, and what happened, for the issue. */
export interface RetracedInput {
  input: FingerprintInput;
  outcome?: RetraceOutcome;
}

/**
 * Retraces a crash's grouping input when its trace needs a mapping: with the mapping, the
 * trace and the exception type become the readable ones (so the fingerprint, title and
 * culprit are); without it, the input is unchanged and the outcome says the mapping is missing.
 */
export function retraceInput(subject: RetraceSubject, input: FingerprintInput, lookup: MappingLookup): RetracedInput {
  const key = mappingKeyOf(subject);
  if (key === null) return { input };
  const mapping = lookup(subject.productKey, key.mapId);
  if (mapping === undefined) return { input };
  if (mapping === null) return { input, outcome: { status: 'missing_mapping', ...key } };
  const retraced = retraceJavaText(input.stacktrace, mapping);
  const type = mapping.byObfuscated(input.type.trim())?.original ?? input.type;
  return { input: { ...input, type, stacktrace: retraced.text }, outcome: { status: 'retraced', ...key } };
}

const SubjectSchema = z.object({
  productKey: z.string(),
  app: z.object({ version: z.string() }),
  exception: z.object({ stacktrace: z.string() }),
  runtime: z.object({ name: z.string() }).optional(),
});

/** The distinct (product, map id) pairs a batch of stored crash reports needs, for MappingCache.prepare. */
export function mappingKeysOf(reports: ReadonlyArray<{ data: unknown }>): Array<{ productKey: string; mapId: string }> {
  const keys = new Map<string, { productKey: string; mapId: string }>();
  for (const report of reports) {
    const parsed = SubjectSchema.safeParse(report.data);
    if (!parsed.success) continue; // the rollup's own schema check reports it
    const key = mappingKeyOf(parsed.data);
    if (key !== null)
      keys.set(`${parsed.data.productKey}/${key.mapId}`, { productKey: parsed.data.productKey, mapId: key.mapId });
  }
  return [...keys.values()];
}
