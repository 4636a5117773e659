import { detectBrowserEngine, parseFirefoxSafari, scoreFirefoxSafari } from './firefox-safari';
import { isInApp } from './in-app';
import { parseJava, scoreJava } from './java';
import { parsePython, scorePython } from './python';
import type { ParseHints, ParsedStacktrace, RawException, StacktraceFormat } from './types';
import { parseV8, scoreV8 } from './v8';

/** The parser's data types (see types.ts). */
export type {
  ExceptionRelation,
  Frame,
  ParseHints,
  ParsedException,
  ParsedStacktrace,
  StacktraceFormat,
} from './types';
/** The in-app rules, for callers that classify frames themselves. */
export { isInApp, isInAppByDefault, matchesInAppPatterns } from './in-app';

/** Longest line the parser reads; the rest of a longer line is ignored. */
export const MAX_LINE_LENGTH = 4096;

type KnownFormat = Exclude<StacktraceFormat, 'unknown'>;

const RUNTIME_FORMATS: Record<string, KnownFormat> = {
  python: 'python',
  cpython: 'python',
  java: 'java',
  jvm: 'java',
  kotlin: 'java',
  android: 'java',
  node: 'v8',
  nodejs: 'v8',
  chrome: 'v8',
  chromium: 'v8',
  edge: 'v8',
  electron: 'v8',
  deno: 'v8',
  firefox: 'firefox',
  gecko: 'firefox',
  safari: 'safari',
  webkit: 'safari',
  'mobile safari': 'safari',
};

/** Parses stack-trace text from Python, the JVM, V8, Firefox or Safari into exceptions and frames. */
export function parseStacktrace(text: string, hints: ParseHints = {}): ParsedStacktrace {
  // No real frame line is this long; capping lines keeps every per-line pattern cheap on hostile input.
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => (line.length > MAX_LINE_LENGTH ? line.slice(0, MAX_LINE_LENGTH) : line));
  const format = detectFormat(lines, hints.runtime);
  const raw = format === 'unknown' ? [] : parseAs(format, lines);
  if (raw.every((exception) => exception.frames.length === 0)) return { exceptions: [], format: 'unknown' };
  const exceptions = raw.map((exception) => ({
    ...exception,
    frames: exception.frames.map((frame) => ({ ...frame, inApp: isInApp(frame, format, hints.inAppPatterns) })),
  }));
  return { exceptions, format };
}

/** Picks the dialect with the most recognised frame lines; the runtime hint wins ties. */
export function detectFormat(lines: readonly string[], runtime?: string): StacktraceFormat {
  const scores: Array<[KnownFormat, number]> = [
    ['python', scorePython(lines)],
    ['java', scoreJava(lines)],
    ['v8', scoreV8(lines)],
    ['firefox', scoreFirefoxSafari(lines)],
  ];
  const hinted = runtime === undefined ? undefined : RUNTIME_FORMATS[runtime.trim().toLowerCase()];
  const hintedFamily = hinted === 'safari' ? 'firefox' : hinted;
  let best: [KnownFormat, number] = ['firefox', 0];
  for (const entry of scores) {
    if (entry[1] > best[1] || (entry[1] === best[1] && entry[0] === hintedFamily && entry[1] > 0)) best = entry;
  }
  if (best[1] === 0) return 'unknown';
  if (best[0] !== 'firefox') return best[0];
  return detectBrowserEngine(lines.join('\n')) ?? (hinted === 'safari' ? 'safari' : 'firefox');
}

function parseAs(format: KnownFormat, lines: readonly string[]): RawException[] {
  switch (format) {
    case 'python':
      return parsePython(lines);
    case 'java':
      return parseJava(lines);
    case 'v8':
      return parseV8(lines);
    case 'firefox':
    case 'safari':
      return parseFirefoxSafari(lines);
  }
}
