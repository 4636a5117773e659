import { splitJsSections } from './chained';
import { makeFrame, splitTypeAndMessage, type RawException, type RawFrame } from './types';

const FRAME_LINE = /^\s*at (.+?)\s*$/;
const JAVA_FRAME = /^\s*at [^\s()]+\([^()]*\)\s*$/;
const LOCATION = /^(.*?):(\d+)(?::(\d+))?$/;
const EVAL_ORIGIN = /\(([^()]+?):(\d+):(\d+)\)/;
const HEADER_START = /^(?:Uncaught )?[A-Za-z_$][\w$.]*(?: \[[A-Z0-9_]+\])?(?::\s|:?$)/;
const NO_FILE = /^(?:native|native code|<anonymous>|index \d+|unknown location)$/;

/** Counts V8 `    at …` frame lines (and not JVM ones); used to pick the format. */
export function scoreV8(lines: readonly string[]): number {
  return lines.filter((line) => FRAME_LINE.test(line) && !JAVA_FRAME.test(line)).length;
}

/** Parses V8 `err.stack` text (Node, Chrome, Edge), with `Caused by:`/`Aggregated i:` sections. */
export function parseV8(lines: readonly string[]): RawException[] {
  return splitJsSections(lines).map((section) => {
    const headerLines: string[] = [];
    const frames: RawFrame[] = [];
    for (const line of section.lines) {
      const frame = FRAME_LINE.exec(line);
      if (frame !== null) {
        frames.push(parseV8Frame(frame[1] ?? ''));
      } else if (frames.length === 0) {
        headerLines.push(line);
      }
    }
    // Skip what precedes the `Name: message` line (log prefixes and the like), when there is one.
    const start = headerLines.findIndex((line) => HEADER_START.test(line));
    const header = headerLines
      .slice(Math.max(start, 0))
      .join('\n')
      .replace(/^Uncaught /, '');
    const { type, message } = splitV8Header(header);
    const exception: RawException = { type, message, frames };
    if (section.relation !== undefined) exception.relation = section.relation;
    if (section.parent !== undefined) exception.parent = section.parent;
    return exception;
  });
}

function splitV8Header(header: string): { type: string; message: string } {
  const firstLine = header.split('\n', 1)[0] ?? '';
  // Node's internal errors put their code in the name: `TypeError [ERR_INVALID_ARG_TYPE]: …`.
  const coded = /^([\w$.]+) \[[A-Z0-9_]+\](?::|$)/.exec(firstLine);
  if (coded !== null) {
    const rest = header.slice(coded[0].length).replace(/^ /, '');
    return { type: coded[1] ?? '', message: rest };
  }
  const split = splitTypeAndMessage(header);
  if (/\s/.test(split.type)) return { type: '', message: header };
  return split;
}

/** Parses what follows `at `: `[async ][new ]name [as alias] (location)` or a bare location. */
export function parseV8Frame(body: string): RawFrame {
  let name: string | undefined;
  let location = body;
  if (body.endsWith(')')) {
    const open = findOpeningParen(body);
    if (open > 0) {
      name = body.slice(0, open).trim();
      location = body.slice(open + 1, -1);
    }
  }
  if (name !== undefined) {
    name = name.replace(/^async /, '').replace(/ \[as [^\]]*\]$/, '');
  } else if (location.startsWith('async ')) {
    location = location.slice('async '.length);
  }
  location = location.replace(/^async /, '');
  if (location.startsWith('eval at ')) {
    // `eval at outer (file:1:2), <anonymous>:1:3`: the eval'd code has no file; report its origin.
    const origin = EVAL_ORIGIN.exec(location);
    if (origin !== null) {
      return makeFrame({ file: origin[1], line: Number(origin[2]), column: Number(origin[3]), function: name });
    }
    return makeFrame({ function: name });
  }
  if (NO_FILE.test(location)) return makeFrame({ function: name });
  const located = LOCATION.exec(location);
  if (located === null) return makeFrame({ file: location, function: name });
  return makeFrame({
    file: located[1],
    line: Number(located[2]),
    column: located[3] === undefined ? undefined : Number(located[3]),
    function: name,
  });
}

function findOpeningParen(text: string): number {
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i -= 1) {
    const char = text[i];
    if (char === ')') depth += 1;
    else if (char === '(') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}
