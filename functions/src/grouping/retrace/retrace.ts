import { isInAppByDefault } from '../stacktrace/in-app';
import type { MappedClass, MappedMethod, Mapping } from './mapping';

/** One readable frame that an obfuscated frame stands for. */
export interface RetracedFrame {
  className: string;
  method: string;
  file: string;
  line?: number;
}

/** A retraced trace and how many frame and header lines the mapping translated. */
export interface RetraceTextResult {
  text: string;
  translated: number;
}

// `at pkg.Class.method(Source)`; a JVM module or loader prefix (`app//`) has a slash and is left alone.
const FRAME = /^(\s*at )([^\s()/]+)\.([^\s().]+)\(([^()]*)\)(.*)$/;
// `[Exception in thread "…" ]pkg.Type[: message]`, `Caused by: …`, `Suppressed: …`.
const HEADER = /^(\s*(?:Caused by: |Suppressed: )?(?:Exception in thread "[^"]*" )?)([\w$]+(?:\.[\w$]+)+)(:.*)?$/;
// What a shrunk release build prints as the source file: ProGuard's and AGP's renamed
// attribute, or R8's map id. A plain JVM trace never does, so it is never looked up.
const OBFUSCATED_FRAME =
  /^\s*at ([^\s()]+)\.[^\s().]+\((SourceFile|r8-map-id-[0-9A-Za-z]+|Unknown Source)(?::(\d+))?\)/gm;

/** The map id R8 writes as the source file of obfuscated frames (`r8-map-id-<id>`), if any. */
export function findMapIdInTrace(text: string): string | undefined {
  const match = /\(r8-map-id-([0-9A-Za-z]+)(?::\d+)?\)/.exec(text);
  return match?.[1];
}

/**
 * True when a Java trace looks like it comes from a shrunk build: a frame of the app's own
 * code (not a JDK, Kotlin or Android class) whose source file is `SourceFile` or
 * `r8-map-id-…`, or on Android `Unknown Source:<line ≥ 1>` (line numbers kept, source file
 * stripped), which only a mapping can turn back into names.
 */
export function looksObfuscated(text: string, runtime: string | undefined): boolean {
  for (const match of text.matchAll(OBFUSCATED_FRAME)) {
    const [, module = '', source = '', line] = match;
    // Android's own frames say `Unknown Source:0` in every build (`View.-$$Nest$m…`), and so do
    // D8's synthetic bridges: only the app's classes with a real line tell a shrunk build.
    if (!isInAppByDefault({ module }, 'java')) continue;
    if (source !== 'Unknown Source') return true;
    if (runtime === 'android' && line !== undefined && Number(line) > 0) return true;
  }
  return false;
}

/**
 * Translates one obfuscated frame the way R8's retrace does: the method lines whose
 * obfuscated range holds the line, innermost inlined method first and the method that
 * contains them last, each with its original line. Null when the mapping does not know the class.
 */
export function retraceFrame(
  mapping: Mapping,
  className: string,
  method: string,
  line: number | undefined,
  obfuscatedFile?: string,
): RetracedFrame[] | null {
  const mapped = mapping.byObfuscated(className);
  if (mapped === undefined) return null;
  const extension = obfuscatedFile?.endsWith('.kt') === true ? '.kt' : '.java';
  const fileOf = (cls: string) =>
    (cls === mapped.original ? mapped.sourceFile : mapping.byOriginal(cls)?.sourceFile) ??
    guessSourceFile(cls, extension);
  const group = selectGroup(mapped, method, line);
  if (group === undefined) {
    // Only the class was renamed (or the method is not listed): keep the method name.
    return [withLine({ className: mapped.original, method, file: fileOf(mapped.original) }, line)];
  }
  return group.map((member, index) => {
    const cls = member.originalClass ?? mapped.original;
    return withLine({ className: cls, method: member.name, file: fileOf(cls) }, originalLine(member, index, line));
  });
}

/**
 * Rewrites every frame and exception header of a Java trace that the mapping knows; other lines
 * stay as they are. A `... N more` line is renumbered to the frames those N became, so it still
 * names the enclosing trace's tail once inlined frames are expanded.
 */
export function retraceJavaText(text: string, mapping: Mapping): RetraceTextResult {
  let translated = 0;
  const out: string[] = [];
  // Per printed exception, how many lines each of its frames became; see MoreTracker.
  const more = new MoreTracker();
  for (const raw of text.split('\n')) {
    const cr = raw.endsWith('\r') ? '\r' : '';
    const line = cr === '' ? raw : raw.slice(0, -1);
    const frame = FRAME.exec(line);
    if (frame !== null) {
      const [, prefix = '', cls = '', method = '', source = '', rest = ''] = frame;
      const located = /^(.*?)(?::(\d+))?$/.exec(source);
      const file = located?.[1] ?? source;
      const lineNumber = located?.[2] === undefined ? undefined : Number(located[2]);
      const frames = file === 'Native Method' ? null : retraceFrame(mapping, cls, method, lineNumber, file);
      if (frames === null) {
        more.frame(1);
        out.push(raw);
        continue;
      }
      translated++;
      more.frame(frames.length);
      for (const f of frames) {
        const where = f.line === undefined ? f.file : `${f.file}:${f.line}`;
        out.push(`${prefix}${f.className}.${f.method}(${where})${rest}${cr}`);
      }
      continue;
    }
    const elided = MORE.exec(line);
    if (elided !== null) {
      out.push(`${elided[1] ?? ''}${more.more(Number(elided[2]))}${elided[3] ?? ''}${cr}`);
      continue;
    }
    const nested = NESTED.exec(line);
    if (nested !== null) more.start(nested[2] === 'Caused by' ? 'cause' : 'suppressed', countIndent(nested[1] ?? ''));
    else if (!more.started()) more.start('primary', 0);
    const header = HEADER.exec(line);
    const original = header === null ? undefined : mapping.byObfuscated(header[2] ?? '')?.original;
    if (header !== null && original !== undefined) {
      translated++;
      out.push(`${header[1] ?? ''}${original}${header[3] ?? ''}${cr}`);
      continue;
    }
    out.push(raw);
  }
  return { text: out.join('\n'), translated };
}

const MORE = /^(\s*\.\.\. )(\d+)( (?:more|common frames omitted)\s*)$/;
const NESTED = /^(\s*)(Caused by|Suppressed): /;

function countIndent(prefix: string): number {
  const tabs = prefix.match(/\t/g)?.length ?? 0;
  return tabs > 0 ? tabs : Math.floor(prefix.length / 4);
}

/**
 * The JVM prints `... N more` for the last N frames a trace shares with the one it is printed
 * in (the previous trace at its depth for a cause, the one a level up for a suppressed
 * exception), as the parser reads it. This keeps, per trace, how many retraced lines each
 * frame became, so N can be given in retraced lines.
 */
class MoreTracker {
  private readonly lastAtDepth: Array<{ counts: number[] }> = [];
  private current: { counts: number[]; enclosing?: { counts: number[] } } | undefined;

  started(): boolean {
    return this.current !== undefined;
  }

  start(relation: 'primary' | 'cause' | 'suppressed', depth: number): void {
    const enclosing =
      relation === 'cause'
        ? this.lastAtDepth[depth]
        : relation === 'suppressed'
          ? this.lastAtDepth[depth - 1]
          : undefined;
    const block: { counts: number[]; enclosing?: { counts: number[] } } = { counts: [] };
    if (enclosing !== undefined) block.enclosing = enclosing;
    this.lastAtDepth.length = depth + 1;
    this.lastAtDepth[depth] = block;
    this.current = block;
  }

  frame(lines: number): void {
    this.current?.counts.push(lines);
  }

  /** The retraced line count of the last `n` frames of the enclosing trace (n when unknown). */
  more(n: number): number {
    const tail = this.current?.enclosing?.counts.slice(-n) ?? [];
    if (tail.length !== n) return n;
    this.current?.counts.push(...tail);
    return tail.reduce((a, b) => a + b, 0);
  }
}

function withLine(frame: RetracedFrame, line: number | undefined): RetracedFrame {
  return line === undefined ? frame : { ...frame, line };
}

/**
 * The method lines for `method` at `line`: consecutive lines sharing one obfuscated range
 * form one group (an inlining chain). A line outside every range falls back to the lines
 * without a range; an unknown line takes the first group, as retrace's first alternative.
 */
function selectGroup(mapped: MappedClass, method: string, line: number | undefined): MappedMethod[] | undefined {
  const members = mapped.methods.get(method);
  if (members === undefined || members.length === 0) return undefined;
  const groups: MappedMethod[][] = [];
  let previous: MappedMethod | undefined;
  for (const member of members) {
    const sameRange =
      previous !== undefined &&
      member.obfStart !== undefined &&
      previous.obfStart === member.obfStart &&
      previous.obfEnd === member.obfEnd;
    if (sameRange) groups[groups.length - 1]?.push(member);
    else groups.push([member]);
    previous = member;
  }
  if (line === undefined) return groups[0];
  const containing = groups.find((g) => {
    const first = g[0];
    return (
      first?.obfStart !== undefined && first.obfEnd !== undefined && first.obfStart <= line && line <= first.obfEnd
    );
  });
  if (containing !== undefined) return containing;
  return groups.find((g) => g[0]?.obfStart === undefined) ?? groups[0]?.slice(-1);
}

/**
 * The original line of member `index` of a group at obfuscated `line`: the innermost member
 * maps the line into its original range; an inlining caller gives the line of its call.
 * A member without an original range (classic ProGuard) keeps the obfuscated line, which
 * then is the original one.
 */
function originalLine(member: MappedMethod, index: number, line: number | undefined): number | undefined {
  if (member.origStart === undefined) return index === 0 ? line : undefined;
  if (index > 0 || line === undefined || member.obfStart === undefined || member.origEnd === undefined)
    return member.origStart;
  const mapped = member.origStart + (line - member.obfStart);
  return Math.max(member.origStart, Math.min(mapped, member.origEnd));
}

/** The source file R8's retrace assumes when the mapping names none: the outer class's name. */
function guessSourceFile(className: string, extension: string): string {
  const simple = className.slice(className.lastIndexOf('.') + 1);
  const outer = simple.split('$', 1)[0] ?? simple;
  return `${outer === '' ? simple : outer}${extension}`;
}
