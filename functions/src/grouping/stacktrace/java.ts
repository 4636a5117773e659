import { makeFrame, splitTypeAndMessage, type ExceptionRelation, type RawException, type RawFrame } from './types';

// `at [loader/][module@version/]pkg.Class.method(Source)`, optionally followed by logback's `~[jar:ver]`.
const FRAME_LINE =
  /^\s*at ([^\s()]+)\((Native Method|Unknown Source(?::\d+)?|[^:()]*(?::\d+)?)\)(?:\s+~?\[[^\]]*\])?\s*$/;
const MORE_LINE = /^\s*\.\.\. (\d+) (?:more|common frames omitted)\s*$/;
const NESTED_HEADER = /^(\s*)(Caused by|Suppressed): (.*)$/;
const THREAD_PREFIX = /^Exception in thread "[^"]*" /;
const EXCEPTION_HEADER = /^[\w$]+(?:\.[\w$]+)*(?:(?<=\.[\w$]+)|(?<=Exception|Error|Throwable))(?::|$)/;

/** Counts JVM `at Class.method(Source)` frame lines; used to pick the format. */
export function scoreJava(lines: readonly string[]): number {
  return lines.filter((line) => FRAME_LINE.test(line)).length;
}

interface Node {
  exception: RawException;
  index: number;
  /** The trace this one is printed inside of; `... N more` refers to its last N frames. */
  enclosing?: Node;
}

/** Parses `Throwable.printStackTrace` text; `... N more` is expanded from the enclosing trace. */
export function parseJava(lines: readonly string[]): RawException[] {
  const result: RawException[] = [];
  // The last exception started at each tab depth: a `Caused by` at depth d continues the trace
  // at depth d, a `Suppressed` at depth d is printed inside the trace at depth d - 1.
  const lastAtDepth: Node[] = [];
  let current: Node | undefined;
  let sawFrame = false;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    const frame = FRAME_LINE.exec(line);
    if (frame !== null) {
      current ??= startException('', 0, undefined, result, lastAtDepth);
      current.exception.frames.push(parseJavaFrame(frame[1] ?? '', frame[2] ?? ''));
      sawFrame = true;
      continue;
    }
    const more = MORE_LINE.exec(line);
    if (more !== null && current !== undefined) {
      const enclosing = current.enclosing?.exception.frames ?? [];
      const count = Math.min(Number(more[1]), enclosing.length);
      if (count > 0) current.exception.frames.push(...enclosing.slice(-count).map((f) => ({ ...f })));
      sawFrame = true;
      continue;
    }
    const nested = NESTED_HEADER.exec(line);
    if (nested !== null && current !== undefined) {
      const relation: ExceptionRelation = nested[2] === 'Caused by' ? 'cause' : 'suppressed';
      current = startException(nested[3] ?? '', countIndent(nested[1] ?? ''), relation, result, lastAtDepth);
      sawFrame = false;
      continue;
    }
    if (line.trim() === '') continue;
    if (current === undefined) {
      // Skip what precedes the first `pkg.SomeException: message` line (log prefixes and the like).
      const header = line.trim().replace(THREAD_PREFIX, '');
      if (!EXCEPTION_HEADER.test(header)) continue;
      current = startException(header, 0, undefined, result, lastAtDepth);
      sawFrame = false;
    } else if (!sawFrame) {
      // A multi-line message: everything up to the first frame belongs to it.
      current.exception.message = current.exception.message === '' ? line : `${current.exception.message}\n${line}`;
    }
  }
  return result;
}

function startException(
  header: string,
  depth: number,
  relation: ExceptionRelation | undefined,
  result: RawException[],
  lastAtDepth: Node[],
): Node {
  const { type, message } = splitTypeAndMessage(header);
  const exception: RawException = { type, message, frames: [] };
  if (relation !== undefined) exception.relation = relation;
  result.push(exception);
  const node: Node = { exception, index: result.length - 1 };
  const enclosing =
    relation === 'cause' ? lastAtDepth[depth] : relation === 'suppressed' ? lastAtDepth[depth - 1] : undefined;
  if (enclosing !== undefined) {
    node.enclosing = enclosing;
    exception.parent = enclosing.index;
  }
  lastAtDepth.length = depth + 1;
  lastAtDepth[depth] = node;
  return node;
}

function countIndent(prefix: string): number {
  const tabs = prefix.match(/\t/g)?.length ?? 0;
  return tabs > 0 ? tabs : Math.floor(prefix.length / 4);
}

/** Splits `loader/module@1.0/pkg.Outer$Inner.method` + `File.java:12` into a frame. */
function parseJavaFrame(qualified: string, source: string): RawFrame {
  // Loader and module prefixes end in `/`; a lambda proxy's name carries `/0x…` (or a decimal id on Java 8).
  const parts = qualified.split('/');
  let start = parts.length - 1;
  while (start > 0 && /^\d/.test(parts[start] ?? '')) start -= 1;
  const name = parts.slice(start).join('/');
  const dot = name.lastIndexOf('.');
  const module = dot === -1 ? undefined : name.slice(0, dot);
  const fn = dot === -1 ? name : name.slice(dot + 1);
  if (source === 'Native Method' || source === 'Unknown Source') return makeFrame({ module, function: fn });
  const located = /^(.*?)(?::(\d+))?$/.exec(source);
  const file = located?.[1];
  const line = located?.[2] === undefined ? undefined : Number(located[2]);
  return makeFrame({ file: file === 'Unknown Source' ? undefined : file, line, module, function: fn });
}
