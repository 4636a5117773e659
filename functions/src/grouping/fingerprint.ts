import { createHash } from 'node:crypto';
import { parseStacktrace, type Frame, type ParsedException, type ParsedStacktrace } from './stacktrace';

/** How many frames of each exception go into a computed fingerprint. */
export const FINGERPRINT_FRAME_COUNT = 5;

/** How many distinct exceptions of a chain (primary, causes, group members) go into a computed fingerprint. */
export const FINGERPRINT_EXCEPTION_COUNT = 5;

/** Longest issue title, in characters. */
export const TITLE_MAX_LENGTH = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_ANYWHERE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

// Only this much of a message is normalised and hashed; the rest rarely names a different bug.
const MESSAGE_SCAN_LENGTH = 8192;

// A JVM lambda proxy (`$$Lambda$14/0x…`) or a D8/R8 synthetic lambda class (`$$ExternalSyntheticLambda0`).
const SYNTHETIC_LAMBDA_CLASS = /\$\$(?:Lambda|(?:External|Internal)SyntheticLambda)/;

// Hashed before the payload so the three sources can never produce the same digest.
const HASH_PREFIX = 'dumpcatcher-fingerprint-v1';

/** What grouping needs from one crash report. */
export interface FingerprintInput {
  type: string;
  message?: string | undefined;
  stacktrace: string;
  /** The report's own `fingerprint` field; overrides everything else when non-empty. */
  clientFingerprint?: string | undefined;
  /** The product's in-app prefixes (see parseStacktrace). */
  inAppPatterns?: readonly string[] | undefined;
  /** The report's `runtime.name`, a hint for the parser. */
  runtime?: string | undefined;
}

/** The issue a report belongs to, and how it is shown. */
export interface FingerprintResult {
  /** Lowercase hex SHA-256. */
  fingerprint: string;
  source: 'client' | 'frames' | 'message';
  culprit?: string;
  title: string;
  topInAppFrame?: Frame;
}

/** Groups a crash report: client fingerprint, else type + top in-app frames, else type + message. */
export function computeFingerprint(input: FingerprintInput): FingerprintResult {
  const parsed = parseStacktrace(input.stacktrace, { runtime: input.runtime, inAppPatterns: input.inAppPatterns });
  return fingerprintParsed(parsed, input);
}

/** computeFingerprint for a trace that is already parsed (same rules, no second parse). */
export function fingerprintParsed(
  parsed: ParsedStacktrace,
  input: Pick<FingerprintInput, 'type' | 'message' | 'clientFingerprint'>,
): FingerprintResult {
  const primary = parsed.exceptions[0];
  const message = input.message ?? primary?.message ?? '';
  const result: FingerprintResult = { fingerprint: '', source: 'message', title: buildTitle(input.type, message) };
  // An AggregateError made by Promise.any has no frames of its own; its first member shows where.
  const located = selectGroupingExceptions(parsed).find((exception) => exception.frames.length > 0);
  const topInAppFrame = located?.frames.find((frame) => frame.inApp);
  if (topInAppFrame !== undefined) result.topInAppFrame = topInAppFrame;
  const culpritFrame = topInAppFrame ?? located?.frames[0];
  if (culpritFrame !== undefined) result.culprit = describeCulprit(culpritFrame);

  const client = input.clientFingerprint?.trim() ?? '';
  if (client !== '') {
    return { ...result, fingerprint: hashParts('client', [client]), source: 'client' };
  }
  const components = listFingerprintComponents(parsed, input.type);
  if (components.some((component) => component.startsWith('frame:'))) {
    return { ...result, fingerprint: hashParts('frames', components), source: 'frames' };
  }
  const parts = [`type:${normalizeTypeName(input.type)}`, `message:${normalizeMessage(message)}`];
  return { ...result, fingerprint: hashParts('message', parts), source: 'message' };
}

/**
 * The readable lines a frame-based fingerprint hashes: for the primary exception (typed by
 * the report) and each cause, context or group member, its type and the normalised location
 * of its top in-app frames (all frames when none is in-app). Suppressed exceptions are left
 * out, and a member identical to one already listed (the same failure N times in an
 * AggregateError or ExceptionGroup) is listed once, so the count of repeats does not matter.
 */
export function listFingerprintComponents(parsed: ParsedStacktrace, primaryType: string): string[] {
  const components: string[] = [];
  const seen = new Set<string>();
  selectGroupingExceptions(parsed).forEach((exception, index) => {
    if (seen.size >= FINGERPRINT_EXCEPTION_COUNT) return;
    const type = index === 0 ? primaryType : exception.type;
    const block = [
      `${index === 0 ? 'type' : (exception.relation ?? 'cause')}:${normalizeTypeName(type)}`,
      ...selectGroupingFrames(exception).map((frame) => `frame:${describeFrameForGrouping(frame)}`),
    ];
    const key = block.join('\n');
    if (seen.has(key)) return;
    seen.add(key);
    components.push(...block);
  });
  return components;
}

/** The primary exception and its causes, contexts and group members; suppressed subtrees left out. */
export function selectGroupingExceptions(parsed: ParsedStacktrace): ParsedException[] {
  const excluded: boolean[] = [];
  return parsed.exceptions.filter((exception, index) => {
    const parentExcluded = exception.parent !== undefined && excluded[exception.parent] === true;
    excluded[index] = exception.relation === 'suppressed' || parentExcluded;
    return !excluded[index];
  });
}

/** The frames of one exception that take part in grouping, innermost first. */
export function selectGroupingFrames(exception: ParsedException): Frame[] {
  // JVM lambda proxies are synthetic and hidden by default since JDK 9; showing them must not
  // regroup. D8/R8's lambda classes (`$$ExternalSyntheticLambda0`) are the same on Android.
  // D8's `$r8$lambda$<hash>` bridge methods exist only in some builds of the same code.
  const frames = exception.frames.filter(
    (frame) => !SYNTHETIC_LAMBDA_CLASS.test(frame.module ?? '') && !(frame.function ?? '').startsWith('$r8$lambda$'),
  );
  const inApp = frames.filter((frame) => frame.inApp);
  return (inApp.length > 0 ? inApp : frames).slice(0, FINGERPRINT_FRAME_COUNT);
}

/** `where:function` with line numbers, versions, hashes and generated numbers removed. */
export function describeFrameForGrouping(frame: Frame): string {
  const where = frame.module !== undefined ? normalizeModuleName(frame.module) : shortenFilePath(frame.file);
  const fn = frame.function === undefined ? '?' : normalizeFunctionName(frame.function);
  return `${where ?? '?'}:${fn === '' ? '?' : fn}`;
}

/**
 * Reduces a function name to what is stable across releases and engines: no lambda numbers,
 * addresses, `async`/`new` markers or aliases, no V8 receiver (`Object.`, `HTMLButtonElement.`),
 * Firefox nesting (`outer/<` is an anonymous function) kept only as its last part, and every
 * anonymous form (`<anonymous>`, `(anonymous function)`) as `?`.
 */
export function normalizeFunctionName(name: string): string {
  let fn = name
    .trim()
    .replace(/^async\*?\s*/, '')
    .replace(/^new /, '')
    .replace(/ \[as [^\]]*\]$/, '');
  fn = fn.replace(/\/?0x[0-9a-f]+/gi, '').trim();
  // JVM: lambda$main$0 → lambda$main; Kotlin: main$lambda-0 / main$lambda$1 → main$lambda.
  fn = fn.replace(/^(lambda\$.+?)\$\d+$/, '$1').replace(/(\$lambda)[-$]\d+$/, '$1');
  // D8 desugaring: lambda$onClick$0$com-acme-notes-MainActivity → lambda$onClick.
  fn = fn.replace(/^(lambda\$[^$]+)\$\d+\$[\w-]+$/, '$1');
  fn = fn.replace(/\$\$Lambda(?:\$\d+)?/g, '$$$$Lambda');
  if (fn.includes('/') || fn.endsWith('<')) {
    // Firefox: `a/b` is b defined in a, `a/<` an anonymous function in a, `[2]</` a bundle id.
    fn = fn.slice(Math.max(fn.lastIndexOf('/'), fn.lastIndexOf('<')) + 1);
  }
  fn = fn.replace(/^.*\.(?=[^.]+$)/, '');
  if (/^(?:<anonymous>|\(anonymous function\)|Anonymous function)$/.test(fn)) return '?';
  return fn === '' ? '?' : fn;
}

/**
 * Removes generated parts from a JVM class or Python module: anonymous class numbers, lambda
 * proxies, CGLIB and Hibernate proxy suffixes.
 */
export function normalizeModuleName(module: string): string {
  return module
    .replace(/\$\$Lambda(?:\$\d+)?(?:\/(?:0x[0-9a-f]+|\d+))?/gi, '$$$$Lambda')
    .replace(/\$\$(External|Internal)SyntheticLambda\d*(?:\$[\w$]*)?$/, '$$$$$1SyntheticLambda')
    .replace(/(\$\$\w*?CGLIB)\$\$\w+/g, '$1')
    .replace(/(\$HibernateProxy)\$\w+/g, '$1')
    .replace(/\/?0x[0-9a-f]+/gi, '')
    .replace(/\$\d+(?=$|\$|\.)/g, '$');
}

/**
 * Normalises a file path or URL: no scheme, host, query or fragment; `\` → `/`; version
 * directories (`app-1.2.3`, `x@1.2.3`, `pkg-1.2.3.dist-info`, `python3.11`), long numbers,
 * long hex ids and UUIDs in directories removed; content hashes removed from the file name.
 */
export function normalizeFilePath(path: string): string {
  let p = path.trim().replace(/\\/g, '/');
  p = p.replace(/^[a-z][\w+.-]*:\/\/[^/]*/i, '').replace(/[?#].*$/, '');
  const segments = p.split('/');
  const last = segments.length - 1;
  return segments
    .map((segment, index) => (index === last ? stripNameHashes(segment) : stripDirVersion(segment)))
    .join('/');
}

function stripDirVersion(segment: string): string {
  let s = segment;
  s = s.replace(/^python\d+(?:\.\d+)?$/, 'pythonX');
  const metadata = /\.(?:dist-info|egg-info|egg)$/.exec(s)?.[0];
  if (metadata !== undefined) {
    // `requests-2.31.0.dist-info`, `foo-1.2-py3.11.egg`: the name is what precedes the first `-<digit>`.
    const name = s.slice(0, -metadata.length).replace(/-\d.*$/, '');
    return name + metadata;
  }
  s = s.replace(/^(@?[^@]+)@v?\d[^/]*$/, '$1');
  s = s.replace(/^(.*?)[-_]?v?\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.-]+)?$/, '$1');
  s = s.replace(UUID_ANYWHERE, 'U');
  s = s.replace(/\d{6,}/g, 'N');
  s = s.replace(/[0-9a-f]{16,}/gi, 'H');
  return s;
}

function stripNameHashes(name: string): string {
  if (UUID.test(name)) return 'U';
  const parts = name.split('.');
  if (parts.length < 2) return name;
  const extension = parts.pop() ?? '';
  const kept = parts
    .map((part) =>
      part.replace(/[-_](?=[A-Za-z0-9_]{8,}$)(?=[^-]*\d|[^-]*[A-Z][^-]*[a-z]|[^-]*[a-z][^-]*[A-Z])[A-Za-z0-9_]+$/, ''),
    )
    .filter((part) => !isHashLike(part) && !/^\d+$/.test(part));
  return [...(kept.length > 0 ? kept : [parts[0] ?? '']), extension].join('.');
}

function isHashLike(part: string): boolean {
  return /^[0-9a-f]{6,}$/i.test(part) && /\d/.test(part);
}

/** The short, deployment-independent file key used in grouping: library-relative path or basename. */
export function shortenFilePath(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const normalized = normalizeFilePath(file);
  if (/^node:|^internal\//.test(normalized)) return normalized;
  const library = /^.*\/(?:node_modules|site-packages|dist-packages)\/(.+)$/.exec(normalized);
  if (library !== null) return library[1];
  const base = normalized.slice(normalized.lastIndexOf('/') + 1);
  return base === '' ? normalized : base;
}

/** Replaces the variable parts of a message (quoted strings, UUIDs, hex, numbers) with placeholders. */
export function normalizeMessage(message: string): string {
  return message
    .slice(0, MESSAGE_SCAN_LENGTH)
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '<str>')
    .replace(/`[^`\n]*`/g, '<str>')
    .replace(/(?<!\w)'(?:[^'\\\n]|\\.)*'(?!\w)/g, '<str>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>')
    .replace(/\d+(?:\.\d+)*/g, '<num>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 1024);
}

function normalizeTypeName(type: string): string {
  return type.trim().replace(/\/?0x[0-9a-f]+/gi, '');
}

/** `type: first line of message`, at most TITLE_MAX_LENGTH characters. */
export function buildTitle(type: string, message: string): string {
  const firstLine = message.split('\n', 1)[0]?.trim() ?? '';
  const title = firstLine === '' ? type : `${type}: ${firstLine}`;
  return title.length > TITLE_MAX_LENGTH ? `${title.slice(0, TITLE_MAX_LENGTH - 1)}…` : title;
}

/** `module.function` for JVM/Python-library frames, else `file in function`. */
export function describeCulprit(frame: Frame): string {
  const fn = frame.function;
  if (frame.module !== undefined) return fn === undefined ? frame.module : `${frame.module}.${fn}`;
  const file = shortenFilePath(frame.file) ?? '?';
  return fn === undefined ? file : `${file} in ${fn}`;
}

function hashParts(source: FingerprintResult['source'], parts: readonly string[]): string {
  return createHash('sha256')
    .update([HASH_PREFIX, source, ...parts].join('\n'), 'utf8')
    .digest('hex');
}
