/**
 * Source context (docs/sdks.md#source-context): the lines of code around in-app frames, read
 * from the source files at capture time. Files are read synchronously (a capture also runs in
 * the hook of a dying process), at most 1 MiB each, and kept in a bounded cache, so a crash loop
 * reads each file once. Checked against test/vectors/source-context-v1.json.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Scrubber } from './scrub.ts';
import type { SourceContextLine } from './types.ts';

/** Larger files are not read: a minified bundle has nothing worth showing line by line. */
export const MAX_SOURCE_FILE_BYTES = 1024 * 1024;
/** Entries per crash report at most. */
export const MAX_SOURCE_ENTRIES = 20;
const LINES_AROUND = 2;
const MAX_LINE_CHARS = 200;
const MAX_CACHED_FILES = 100;
const MAX_CACHED_CHARS = 16 * 1024 * 1024;

/** The lines around one line of a file, scrubbed and cut. */
export type SourceLines = Pick<SourceContextLine, 'pre' | 'context' | 'post'>;

/** Source files read so far (a client's own, so that its scrubber can be applied once per line). */
export interface SourceCache {
  /** The lines around `line` (1-based) of the file at `path`, or null (unreadable, too large, no such line). */
  linesAround(path: string, line: number): SourceLines | null;
  /** `file` scrubbed, remembered: a crash loop names the same few files every time. */
  scrubbedName(file: string): string;
}

interface CachedFile {
  lines: string[] | null;
  chars: number;
  around: Map<number, SourceLines | null>;
}

function readLines(path: string): string[] | null {
  try {
    const stat = statSync(path);
    if (!stat.isFile() || stat.size > MAX_SOURCE_FILE_BYTES) return null;
    const lines = readFileSync(path, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i += 1) {
      const text = lines[i] as string;
      if (text.endsWith('\r')) lines[i] = text.slice(0, -1);
    }
    return lines;
  } catch {
    return null;
  }
}

/** A cache of source files scrubbed with `scrub`: at most 100 files and 16 Mi characters, the oldest read dropped first. */
export function createSourceCache(scrub: Scrubber): SourceCache {
  const files = new Map<string, CachedFile>();
  const names = new Map<string, string>();
  let chars = 0;
  const clean = (text: string): string => {
    const scrubbed = scrub(text);
    return scrubbed.length <= MAX_LINE_CHARS ? scrubbed : scrubbed.slice(0, MAX_LINE_CHARS);
  };
  const load = (path: string): CachedFile => {
    let file = files.get(path);
    if (file) return file;
    const lines = readLines(path);
    file = { lines, chars: lines ? lines.reduce((n, l) => n + l.length, 0) : 0, around: new Map() };
    files.set(path, file);
    chars += file.chars;
    for (const [oldPath, old] of files) {
      if (files.size <= MAX_CACHED_FILES && chars <= MAX_CACHED_CHARS) break;
      if (oldPath === path) continue;
      files.delete(oldPath);
      chars -= old.chars;
    }
    return file;
  };
  return {
    scrubbedName(file) {
      let name = names.get(file);
      if (name === undefined) {
        if (names.size >= MAX_CACHED_FILES) names.clear();
        name = scrub(file);
        names.set(file, name);
      }
      return name;
    },
    linesAround(path, line) {
      const file = load(path);
      const known = file.around.get(line);
      if (known !== undefined) return known;
      const lines = file.lines;
      let found: SourceLines | null = null;
      if (lines && Number.isInteger(line) && line >= 1 && line <= lines.length) {
        const at = line - 1;
        found = {
          pre: lines.slice(Math.max(0, at - LINES_AROUND), at).map(clean),
          context: clean(lines[at] as string),
          post: lines.slice(at + 1, at + 1 + LINES_AROUND).map(clean),
        };
      }
      file.around.set(line, found);
      return found;
    },
  };
}

// `    at fn (file:line:col)`, `    at file:line:col`, `    at async fn (file:line:col)`.
const FRAME = /^\s*at (?:.*?\()?(.+?):(\d+):\d+\)?\s*$/;

/** A file the app's own code lives in: an absolute path or file URL, not under node_modules, not Node's own. */
function isInApp(file: string): boolean {
  if (file.includes('/node_modules/') || file.includes('\\node_modules\\')) return false;
  return file.startsWith('/') || file.startsWith('file://') || /^[A-Za-z]:[\\/]/.test(file) || file.startsWith('\\\\');
}

function pathOf(file: string): string | null {
  if (!file.startsWith('file://')) return file;
  try {
    return fileURLToPath(file);
  } catch {
    return null;
  }
}

/**
 * The source context of a crash report: for the first 20 in-app frames of `rawStack` (the
 * whole chain, in the order the trace lists them; each file and line once), the lines around
 * them. Each entry's `file` is the frame's file as `scrubbedStack` names it; a frame the
 * scrubbed trace no longer names that way (cut off, or changed by a rule that spans more than
 * the file name) gets no entry, as it could not be matched to its frame.
 */
export function collectSourceContext(rawStack: string, scrubbedStack: string, cache: SourceCache): SourceContextLine[] {
  const out: SourceContextLine[] = [];
  const seen = new Set<string>();
  for (const text of rawStack.split('\n')) {
    if (out.length >= MAX_SOURCE_ENTRIES) break;
    const m = FRAME.exec(text);
    if (!m) continue;
    const rawFile = m[1] as string;
    const line = Number(m[2]);
    const key = `${line}:${rawFile}`;
    if (seen.has(key) || !isInApp(rawFile)) continue;
    seen.add(key);
    const path = pathOf(rawFile);
    if (path === null) continue;
    const around = cache.linesAround(path, line);
    if (around === null) continue;
    const file = cache.scrubbedName(rawFile);
    if (!scrubbedStack.includes(`${file}:${line}:`)) continue;
    // Copies: a beforeSend that edits the report must not edit the cache.
    out.push({ file, line, pre: around.pre.slice(), context: around.context, post: around.post.slice() });
  }
  return out;
}
