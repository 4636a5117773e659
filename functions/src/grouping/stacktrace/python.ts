import { makeFrame, type ExceptionRelation, type RawException, type RawFrame } from './types';

const TRACEBACK_HEADER = /^\s*Traceback \(most recent call last\):\s*$/;
const FRAME_LINE = /^\s*File "(.+)", line (\d+), in (.+?)\s*$/;
const CAUSE_SEPARATOR = 'The above exception was the direct cause of the following exception:';
const CONTEXT_SEPARATOR = 'During handling of the above exception, another exception occurred:';
const GROUP_HEADER = /^\s*[+|] Exception Group Traceback \(most recent call last\):\s*$/;
const GROUP_SEPARATOR = /^(\s*)\+(-\+)?-{3,}(?: (\d+|\.\.\.) -+)?\s*$/;
const GROUP_CONTENT = /^(\s*)[+|] ?(.*)$/;
const EXCEPTION_TYPE = /^[A-Za-z_][\w.<>]*$/;

/** Counts the lines that only a Python traceback has; used to pick the format. */
export function scorePython(lines: readonly string[]): number {
  return lines.filter((line) => TRACEBACK_HEADER.test(line) || FRAME_LINE.test(line) || GROUP_HEADER.test(line)).length;
}

/** Parses `traceback.format_exception` text into exceptions, the one raised last first. */
export function parsePython(lines: readonly string[]): RawException[] {
  // Python prints the oldest exception first; each separator tells how the next one relates to it.
  const sections: string[][] = [[]];
  const relations: ExceptionRelation[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === CAUSE_SEPARATOR || trimmed === CONTEXT_SEPARATOR) {
      relations.push(trimmed === CAUSE_SEPARATOR ? 'cause' : 'context');
      sections.push([]);
    } else {
      sections[sections.length - 1]?.push(line);
    }
  }
  const result: RawException[] = [];
  let newer: number | undefined;
  for (let i = sections.length - 1; i >= 0; i -= 1) {
    const parsed = parseSection(sections[i] ?? []);
    const first = parsed[0];
    if (first === undefined) continue;
    // Section i is the cause (or context) of section i + 1, printed after separator i.
    const relation = relations[i];
    delete first.relation;
    delete first.parent;
    const index = result.length;
    appendWithOffset(result, parsed);
    if (newer !== undefined && relation !== undefined) {
      first.relation = relation;
      first.parent = newer;
    }
    newer = index;
  }
  return result;
}

/** Appends a locally indexed list of exceptions, shifting its `parent` indices. */
function appendWithOffset(result: RawException[], parsed: readonly RawException[]): void {
  const offset = result.length;
  for (const exception of parsed) {
    if (exception.parent !== undefined) exception.parent += offset;
    result.push(exception);
  }
}

function parseSection(lines: readonly string[]): RawException[] {
  // Anything before the traceback header (a log line, say) is not part of the exception.
  const header = lines.findIndex((line) => GROUP_HEADER.test(line) || TRACEBACK_HEADER.test(line));
  const start = header !== -1 ? header : lines.findIndex((line) => line.trim() !== '');
  if (start === -1) return [];
  if (GROUP_HEADER.test(lines[start] ?? '')) return parseGroup(lines.slice(start));
  const single = parseSingle(lines.slice(start));
  return single === undefined ? [] : [single];
}

function parseSingle(lines: readonly string[]): RawException | undefined {
  const frames: RawFrame[] = [];
  let index = 0;
  if (TRACEBACK_HEADER.test(lines[0] ?? '')) index = 1;
  // Frames, their source lines and caret markers are all indented; the exception line is not.
  for (; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const frame = FRAME_LINE.exec(line);
    if (frame !== null) {
      frames.push(makePythonFrame(frame[1] ?? '', Number(frame[2]), frame[3] ?? ''));
      continue;
    }
    if (line.trim() === '' || /^\s/.test(line)) continue;
    break;
  }
  const rest = lines.slice(index);
  while (rest.length > 0 && (rest[rest.length - 1] ?? '').trim() === '') rest.pop();
  const header = rest[0];
  if (header === undefined && frames.length === 0) return undefined;
  const { type, message } = splitPythonHeader(header ?? '');
  const fullMessage = [message, ...rest.slice(1)].join('\n').replace(/\n+$/, '');
  return { type, message: fullMessage, frames: frames.reverse() };
}

function splitPythonHeader(header: string): { type: string; message: string } {
  const index = header.indexOf(':');
  const candidate = index === -1 ? header.trim() : header.slice(0, index);
  if (!EXCEPTION_TYPE.test(candidate)) return { type: '', message: header };
  return { type: candidate, message: index === -1 ? '' : header.slice(index + 1).replace(/^ /, '') };
}

function makePythonFrame(file: string, line: number, fn: string): RawFrame {
  return makeFrame({ file, line, function: fn, module: derivePythonModule(file) });
}

/** Module name for library, stdlib and frozen files; app files keep only their path. */
export function derivePythonModule(file: string): string | undefined {
  const frozen = /^<frozen ([\w.]+)>$/.exec(file);
  if (frozen !== null) return frozen[1];
  const path = file.replace(/\\/g, '/');
  const library = /\/(?:site-packages|dist-packages)\/(.+)\.py$/.exec(path);
  const stdlib = /\/lib\/python\d+(?:\.\d+)?\/(.+)\.py$/.exec(path);
  const relative = library?.[1] ?? stdlib?.[1];
  if (relative === undefined) return undefined;
  return relative.replace(/\/__init__$/, '').replace(/\//g, '.');
}

/**
 * Exception groups print their own traceback with `| ` prefixes and each member after a
 * `+---- n ----` separator, one indentation level deeper; members may be groups again.
 */
function parseGroup(lines: readonly string[]): RawException[] {
  const indent = /^(\s*)/.exec(lines[0] ?? '')?.[1]?.length ?? 0;
  const own: string[] = [];
  const members: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    const separator = GROUP_SEPARATOR.exec(line);
    if (separator !== null) {
      const depth = separator[1]?.length ?? 0;
      const opensFirst = separator[2] !== undefined;
      // Ours: `+-+-- 1 --` at our indent, then `+-- n --` one level in; a nested group's are deeper.
      if ((depth === indent && opensFirst) || (depth === indent + 2 && !opensFirst)) {
        current = separator[3] !== undefined && separator[3] !== '...' ? [] : undefined;
        if (current !== undefined) members.push(current);
        continue;
      }
    }
    const content = GROUP_CONTENT.exec(line);
    const depth = content?.[1]?.length ?? 0;
    if (current === undefined) {
      if (content !== null && depth === indent) own.push(content[2] ?? '');
    } else if (depth >= indent + 2) {
      current.push(line.slice(indent + 2));
    }
  }
  const result: RawException[] = [];
  const group = parseSingle(own.map((line) => line.replace(/^Exception Group /, '')));
  if (group !== undefined) result.push(group);
  if (group === undefined) return result;
  for (const member of members) {
    const parsed = parseMember(member);
    const first = parsed[0];
    if (first === undefined) continue;
    first.relation = 'aggregated';
    // parent 0 is the group itself; appendWithOffset shifts the member's own indices only.
    delete first.parent;
    appendWithOffset(result, parsed);
    first.parent = 0;
  }
  return result;
}

function parseMember(lines: readonly string[]): RawException[] {
  // A member's lines start with `| ` at column 0 here; a nested group keeps its own separators.
  const nested = lines[0] !== undefined && /^[|+] Exception Group Traceback/.test(lines[0]);
  if (nested) return parseGroup(lines);
  const unprefixed = lines.map((line) => GROUP_CONTENT.exec(line)?.[2] ?? line);
  return parsePython(unprefixed);
}
