import { computeFingerprint, type FingerprintInput, type FingerprintResult } from './fingerprint';
import { type MappingLookup, retraceInput, type RetraceOutcome } from './retrace';
import type { CrashDoc } from './schemas';
import { hashClient } from './sketch';

/** A report read from Firestore: its document path and id, and its parsed fields. */
export interface ReportRecord<T> {
  path: string;
  id: string;
  doc: T;
}

/** The identity whose distinct count is "clients": the installation when the report names one. */
export function clientIdentity(doc: { installId?: string | undefined; clientId: string }): string {
  return doc.installId ?? doc.clientId;
}

/** A crash with its grouping worked out: what reduceClassified needs, computed once. */
export interface ClassifiedCrash {
  record: ReportRecord<CrashDoc>;
  result: FingerprintResult;
  /** The client's hash for the distinct counts. */
  hash: number;
  /** Set when the trace needed a mapping (see retrace/). */
  retrace?: RetraceOutcome;
  /** The exception type grouping used, when retracing made it differ from the stored (obfuscated) one. */
  type?: string;
}

/** Most grouping results a FingerprintCache keeps before it starts over. */
export const FINGERPRINT_CACHE_SIZE = 2000;

/** Grouping results by their inputs: the same bug often arrives with byte-identical traces. */
export type FingerprintCache = Map<string, FingerprintResult>;

/** What grouping reads of a crash; the api uses it too, so its issue ids and frames are the rollup's own. */
export function fingerprintInputOf(doc: CrashDoc): FingerprintInput {
  return {
    type: doc.exception.type,
    message: doc.exception.message,
    stacktrace: doc.exception.stacktrace,
    clientFingerprint: doc.fingerprint,
    runtime: doc.runtime?.name,
  };
}

/**
 * Fingerprints one crash (the costly part of a batch: parsing its stack trace), reusing `cache`
 * for identical inputs; an obfuscated Java trace is first retraced with `mappings` (loaded
 * beforehand), so the issue is the readable one.
 */
export function classifyCrash(
  record: ReportRecord<CrashDoc>,
  cache?: FingerprintCache,
  mappings?: MappingLookup,
): ClassifiedCrash {
  const { doc } = record;
  const base = fingerprintInputOf(doc);
  const { input, outcome } =
    mappings === undefined ? { input: base, outcome: undefined } : retraceInput(doc, base, mappings);
  const key =
    cache === undefined
      ? ''
      : JSON.stringify([input.type, input.message, input.clientFingerprint, input.runtime, input.stacktrace]);
  let result = cache?.get(key);
  if (result === undefined) {
    result = computeFingerprint(input);
    if (cache !== undefined) {
      if (cache.size >= FINGERPRINT_CACHE_SIZE) cache.clear();
      cache.set(key, result);
    }
  }
  const classified: ClassifiedCrash = { record, result, hash: hashClient(clientIdentity(doc)) };
  if (outcome !== undefined) classified.retrace = outcome;
  if (input.type !== doc.exception.type) classified.type = input.type;
  return classified;
}
