import { splitJsSections } from './chained';
import { makeFrame, splitTypeAndMessage, type RawException, type RawFrame } from './types';

// `name@url:line:col`; Firefox eval code: `name@url line 12 > eval:1:5` (possibly nested).
const AT_FRAME = /^(.*?)@(.*)$/;
const LOCATION = /^(.*?):(\d+)(?::(\d+))?$/;
const EVAL_LOCATION = /^(.*?) line (\d+) > (?:eval|Function)/;
// Safari prints anonymous functions as a bare `url:line:col`.
const BARE_URL = /^[a-z][\w+.-]*:\/?\/?[^\s@]*:\d+(?::\d+)?$/i;
const SAFARI_MARKERS = /(?:^|\n)\s*(?:global code@|module code@|eval code$|[\w$.]*@?\[native code\]$)/m;
const FIREFOX_MARKERS = /(?: line \d+ > (?:eval|Function)|\/<@|@debugger eval code)/;

/** Counts `name@url:line` frame lines shared by Firefox and Safari; used to pick the format. */
export function scoreFirefoxSafari(lines: readonly string[]): number {
  return lines.filter((line) => isFrameLine(line.trim())).length;
}

/** Tells Safari (JavaScriptCore) from Firefox (SpiderMonkey) text; undefined when both would fit. */
export function detectBrowserEngine(text: string): 'firefox' | 'safari' | undefined {
  if (FIREFOX_MARKERS.test(text)) return 'firefox';
  if (SAFARI_MARKERS.test(text)) return 'safari';
  if (text.split('\n').some((line) => BARE_URL.test(line.trim()))) return 'safari';
  return undefined;
}

function isFrameLine(line: string): boolean {
  if (line === '[native code]' || BARE_URL.test(line)) return true;
  const at = AT_FRAME.exec(line);
  if (at === null) return false;
  const location = at[2] ?? '';
  return location === '[native code]' || LOCATION.test(location) || EVAL_LOCATION.test(location);
}

/** Parses Firefox or Safari `err.stack` text (frames only; the browser prints no header line). */
export function parseFirefoxSafari(lines: readonly string[]): RawException[] {
  return splitJsSections(lines).map((section) => {
    const headerLines: string[] = [];
    const frames: RawFrame[] = [];
    for (const raw of section.lines) {
      const line = raw.trim();
      if (line === '' || line === 'eval code') continue;
      if (isFrameLine(line)) frames.push(parseFrame(line));
      else if (frames.length === 0) headerLines.push(line);
    }
    const { type, message } =
      headerLines.length > 0 ? splitTypeAndMessage(headerLines.join('\n')) : { type: '', message: '' };
    const exception: RawException = { type, message, frames };
    if (section.relation !== undefined) exception.relation = section.relation;
    if (section.parent !== undefined) exception.parent = section.parent;
    return exception;
  });
}

function parseFrame(line: string): RawFrame {
  const at = AT_FRAME.exec(line);
  // Old Firefox printed arguments: `bar(1)@url:13`.
  const name = at === null ? undefined : (at[1] ?? '').replace(/\(.*\)$/, '').replace(/^async\*/, '');
  const location = at === null ? line : (at[2] ?? '');
  if (location === '[native code]') return makeFrame({ function: name });
  const evaluated = EVAL_LOCATION.exec(location);
  if (evaluated !== null) {
    return makeFrame({ file: evaluated[1], line: Number(evaluated[2]), function: name === '' ? 'eval' : name });
  }
  const located = LOCATION.exec(location);
  if (located === null) return makeFrame({ file: location, function: name });
  return makeFrame({
    file: located[1],
    line: Number(located[2]),
    column: located[3] === undefined ? undefined : Number(located[3]),
    function: name,
  });
}
