import type { Breadcrumb, CaptureContext, CrashReport, JsonValue, SourceContextLine } from './types.ts';
import type { Scrubber } from './scrub.ts';

const MAX_TYPE_CHARS = 512;
const MAX_MESSAGE_BYTES = 8 * 1024;
const MAX_STACK_BYTES = 512 * 1024;
const MAX_LABEL_CHARS = 128;
const MAX_FINGERPRINT_CHARS = 256;
const MAX_TAGS = 50;
const TAG_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_TAG_VALUE_CHARS = 256;
// The protocol allows 32 levels in the whole body; `extra` itself sits at level 2.
const MAX_EXTRA_DEPTH = 24;
const MAX_CHAIN = 16;
/** Largest crash body the SDKs send (docs/sdks.md#size): the ingest refuses more than 1 MiB (1,048,576 bytes). */
export const MAX_BODY_BYTES = 1_000_000;
// The server's stored limit for a stack trace; a trace cut to fit keeps no more than it would store.
const MAX_CUT_STACK_BYTES = 256 * 1024;
const STACK_CUT_MARKER = '\n\u2026 [truncated by dumpcatcher: %d bytes omitted]';

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let cut = Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  // A split multi-byte character decodes to U+FFFD at the end; drop it.
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut;
}

/** Cuts `text` to at most `max` UTF-16 code units. */
export function truncateChars(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

/** The class/constructor name of a thrown value. */
export function errorType(value: unknown): string {
  if (value instanceof Error || (typeof value === 'object' && value !== null)) {
    const ctor = (value as { constructor?: { name?: unknown } }).constructor;
    if (ctor && typeof ctor.name === 'string' && ctor.name !== '' && ctor.name !== 'Object') return ctor.name;
    const name = (value as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
    return 'Object';
  }
  if (value === null) return 'null';
  const t = typeof value;
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function describeNonError(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const json = JSON.stringify(value);
    if (typeof json === 'string') return json;
  } catch {
    // Circular or otherwise unserializable: fall through to String().
  }
  try {
    return String(value);
  } catch {
    return '[unprintable value]';
  }
}

/** The message of a thrown value. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return typeof value.message === 'string' ? value.message : '';
  return describeNonError(value);
}

function ownStack(value: unknown): string {
  if (value instanceof Error && typeof value.stack === 'string' && value.stack !== '') return value.stack;
  const type = errorType(value);
  const message = errorMessage(value);
  return message === '' ? type : `${type}: ${message}`;
}

/**
 * The stack trace text of docs/sdks.md: `err.stack`, then `\nAggregated <i>: <stack>` for each
 * error of an AggregateError (i from 0), then `\nCaused by: <stack>` for the cause; nested
 * errors are formatted the same way. Cycles and very deep chains are cut.
 */
export function formatStacktrace(value: unknown): string {
  const seen = new Set<unknown>();
  const format = (v: unknown, depth: number): string => {
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    let out = ownStack(v);
    if (depth >= MAX_CHAIN) return out;
    if (v instanceof Error) {
      const errors = (v as { errors?: unknown }).errors;
      if (v instanceof AggregateError && Array.isArray(errors)) {
        errors.forEach((inner, i) => {
          out += `\nAggregated ${i}: ${format(inner, depth + 1)}`;
        });
      }
      if ('cause' in v && v.cause !== undefined) out += `\nCaused by: ${format(v.cause, depth + 1)}`;
    }
    return out;
  };
  return format(value, 0);
}

/**
 * `key`, or the first of `key#2`, `key#3`… that `taken` does not have: two keys that scrub to the
 * same text (two addresses both become `<email>`) must not lose a value. `nextNumber` remembers
 * where each search stopped, so that many equal keys cost linear time.
 */
export function uniqueKey(taken: object, key: string, nextNumber: Map<string, number>): string {
  if (!Object.hasOwn(taken, key)) return key;
  let number = nextNumber.get(key) ?? 2;
  while (Object.hasOwn(taken, `${key}#${number}`)) number += 1;
  nextNumber.set(key, number + 1);
  return `${key}#${number}`;
}

/** Turns any value into JSON that survives the wire: no cycles, bounded depth, scrubbed strings and keys. */
export function toSafeJson(value: unknown, scrub: Scrubber, depth = 0, seen = new Set<unknown>()): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return scrub(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'symbol':
    case 'function':
      return scrub(String(value));
    default:
      break;
  }
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_EXTRA_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (value instanceof Error) return { type: errorType(value), message: scrub(errorMessage(value)) };
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (Array.isArray(value)) return value.map((item) => toSafeJson(item, scrub, depth + 1, seen));
    const out: { [key: string]: JsonValue } = {};
    const nextNumber = new Map<string, number>();
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined || typeof item === 'function') continue;
      const name = uniqueKey(out, scrub(key), nextNumber);
      // defineProperty, not `out[name] =`: a key "__proto__" (JSON.parse makes them) would set
      // the prototype instead, and its value would vanish from the report.
      Object.defineProperty(out, name, {
        value: toSafeJson(item, scrub, depth + 1, seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } catch {
    return '[unserializable]';
  } finally {
    seen.delete(value);
  }
}

/** Keeps only tags the ingest accepts, values scrubbed and cut to 256 chars. */
export function sanitizeTags(
  defaults: Record<string, string> | undefined,
  perCapture: Record<string, string> | undefined,
  scrub: Scrubber,
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of Object.entries({ ...defaults, ...perCapture })) {
    if (!TAG_KEY.test(key) || value === undefined || value === null) continue;
    if (count >= MAX_TAGS) break;
    out[key] = truncateChars(scrub(String(value)), MAX_TAG_VALUE_CHARS);
    count += 1;
  }
  return count > 0 ? out : undefined;
}

/** A label the ingest accepts, or undefined. */
export function sanitizeLabel(label: unknown, scrub: Scrubber): string | undefined {
  if (typeof label !== 'string' || label === '') return undefined;
  const cleaned = truncateChars(scrub(label), MAX_LABEL_CHARS);
  return cleaned === '' ? undefined : cleaned;
}

/** Static facts about the app and machine that every crash report carries. */
export interface ReportFacts {
  appName: string;
  appVersion: string;
  environment: string;
  label?: string;
  tags?: Record<string, string>;
  runtime: { name: string; version: string };
  os: { name: string; version: string; arch: string };
  installId?: string;
}

/** What a crash report carries besides the error and its context. */
export interface ReportExtras {
  /** The ring's breadcrumbs, oldest first (already scrubbed). */
  breadcrumbs?: Breadcrumb[];
  /** Source context for the raw and the scrubbed stack trace (source-context.ts); absent when off. */
  sourceContext?: (rawStack: string, scrubbedStack: string) => SourceContextLine[];
}

/** Builds a scrubbed crash report for a thrown value (nothing touches disk here). */
export function buildCrashReport(
  error: unknown,
  context: CaptureContext | undefined,
  facts: ReportFacts,
  scrub: Scrubber,
  reportId: string,
  occurredAtMs: number,
  extras: ReportExtras = {},
): CrashReport {
  const message = truncateUtf8(scrub(errorMessage(error)), MAX_MESSAGE_BYTES);
  const rawStack = formatStacktrace(error);
  const stacktrace = truncateUtf8(scrub(rawStack), MAX_STACK_BYTES) || errorType(error);
  const report: CrashReport = {
    reportId,
    occurredAt: new Date(occurredAtMs).toISOString(),
    exception: { type: truncateChars(errorType(error), MAX_TYPE_CHARS), stacktrace },
    app: { name: facts.appName, version: facts.appVersion },
    environment: facts.environment,
    runtime: facts.runtime,
    os: facts.os,
  };
  if (message !== '') report.exception.message = message;
  if (extras.sourceContext) {
    const lines = extras.sourceContext(rawStack, stacktrace);
    if (lines.length > 0) report.exception.sourceContext = lines;
  }
  const label = sanitizeLabel(context?.label ?? facts.label, scrub);
  if (label !== undefined) report.label = label;
  const tags = sanitizeTags(facts.tags, context?.tags, scrub);
  if (tags) report.tags = tags;
  if (context?.extra && typeof context.extra === 'object') {
    const extra = toSafeJson(context.extra, scrub);
    if (extra && typeof extra === 'object' && !Array.isArray(extra)) report.extra = extra;
  }
  if (typeof context?.fingerprint === 'string' && context.fingerprint !== '') {
    report.fingerprint = truncateChars(context.fingerprint, MAX_FINGERPRINT_CHARS);
  }
  if (facts.installId !== undefined) report.installId = facts.installId;
  if (extras.breadcrumbs && extras.breadcrumbs.length > 0) report.breadcrumbs = extras.breadcrumbs;
  return report;
}

/** A crash report and its JSON text, the exact text queued and sent. */
export interface FittedBody {
  report: CrashReport;
  json: string;
}

// Every UTF-16 unit is at most three bytes of UTF-8, so a body of up to a third of the limit in
// characters (nearly all of them) needs no count at all.
function fits(json: string): boolean {
  return json.length * 3 <= MAX_BODY_BYTES || Buffer.byteLength(json, 'utf8') <= MAX_BODY_BYTES;
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The longest head of `stack`, followed by the marker, whose JSON is at most `budget` bytes and
 * whose UTF-8 is at most 256 KiB; null when not even the marker alone fits.
 */
export function cutStacktrace(stack: string, budget: number): string | null {
  const total = utf8Bytes(stack);
  const piece = (k: number): string => {
    // Never split a surrogate pair.
    const last = k > 0 ? stack.charCodeAt(k - 1) : 0;
    const end = last >= 0xd800 && last <= 0xdbff ? k - 1 : k;
    const head = stack.slice(0, end);
    return `${head}${STACK_CUT_MARKER.replace('%d', String(total - utf8Bytes(head)))}`;
  };
  const ok = (k: number): boolean => {
    const text = piece(k);
    return utf8Bytes(text) <= MAX_CUT_STACK_BYTES && utf8Bytes(JSON.stringify(text)) <= budget;
  };
  if (!ok(0)) return null;
  // Each unit is at least one byte, so no head longer than 256 Ki units fits.
  let low = 0;
  let high = Math.min(stack.length, MAX_CUT_STACK_BYTES);
  while (low < high) {
    const middle = Math.floor((low + high + 1) / 2);
    if (ok(middle)) low = middle;
    else high = middle - 1;
  }
  return piece(low);
}

/**
 * Makes a crash body fit MAX_BODY_BYTES (docs/sdks.md#size, test/vectors/fit-v1.json): while it is
 * over, leaves out `extra`, then the older half of the breadcrumbs again and again, then the source
 * context, then cuts the stack trace. `json` is `JSON.stringify(report)`; when it fits (nearly
 * always) nothing else is serialised. The caller's objects are not changed. A body that still does
 * not fit (a `beforeSend` put more than the limit elsewhere) is returned as it is.
 */
export function fitBody(report: CrashReport, json: string, log: (...args: unknown[]) => void): FittedBody {
  if (fits(json)) return { report, json };
  const id = report.reportId;
  const out: CrashReport = { ...report, exception: { ...report.exception } };
  let text = json;
  const measure = (): boolean => {
    text = JSON.stringify(out);
    return fits(text);
  };
  const said = (what: string): void => log(`report ${id}: ${what} (now ${utf8Bytes(text)} bytes)`);
  log(`report ${id} is ${utf8Bytes(json)} bytes, over the limit of ${MAX_BODY_BYTES}: making it fit`);
  if (out.extra !== undefined) {
    delete out.extra;
    const done = measure();
    said('extra left out');
    if (done) return { report: out, json: text };
  }
  if (Array.isArray(out.breadcrumbs) && out.breadcrumbs.length > 0) {
    const had = out.breadcrumbs.length;
    let crumbs = out.breadcrumbs;
    let done = false;
    while (crumbs.length > 0 && !done) {
      crumbs = crumbs.slice(Math.ceil(crumbs.length / 2));
      if (crumbs.length > 0) out.breadcrumbs = crumbs;
      else delete out.breadcrumbs;
      done = measure();
    }
    said(`kept the newest ${crumbs.length} of ${had} breadcrumbs`);
    if (done) return { report: out, json: text };
  }
  if (out.exception.sourceContext !== undefined) {
    delete out.exception.sourceContext;
    const done = measure();
    said('source context left out');
    if (done) return { report: out, json: text };
  }
  const stack = out.exception.stacktrace;
  const cut = cutStacktrace(stack, MAX_BODY_BYTES - (utf8Bytes(text) - utf8Bytes(JSON.stringify(stack))));
  if (cut !== null) {
    out.exception.stacktrace = cut;
    measure();
    said(`stack trace cut to ${utf8Bytes(cut)} bytes`);
    return { report: out, json: text };
  }
  log(`report ${id} is still ${utf8Bytes(text)} bytes after every step; sent as it is`);
  return { report: out, json: text };
}
