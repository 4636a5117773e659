/** One method line of a mapping: `[obfStart:obfEnd:]returnType [Class.]name(args)[:origStart[:origEnd]] -> obfName`. */
export interface MappedMethod {
  /** The obfuscated line range this line covers; absent when the line has none. */
  obfStart?: number;
  obfEnd?: number;
  /** Set when the method was inlined from another class (`com.acme.Pricing.price`). */
  originalClass?: string;
  name: string;
  origStart?: number;
  origEnd?: number;
}

/** One class block of a mapping, parsed when first needed. */
export interface MappedClass {
  original: string;
  obfuscated: string;
  /** From R8's and ProGuard's `# {"id":"sourceFile","fileName":…}` line. */
  sourceFile?: string;
  /** Method lines by obfuscated name, in file order (inlined frames are consecutive lines). */
  methods: Map<string, MappedMethod[]>;
}

/** A parsed ProGuard/R8 `mapping.txt`: an index of class blocks, each parsed on first use. */
export interface Mapping {
  /** R8's `# pg_map_id:` header, when the file has one. */
  mapId?: string;
  /** Number of class blocks. */
  classCount: number;
  /** The class block whose obfuscated name is `name`. */
  byObfuscated(name: string): MappedClass | undefined;
  /** The class block whose original name is `name` (for the source file of inlined frames). */
  byOriginal(name: string): MappedClass | undefined;
}

const CLASS_LINE = /^(\S+) -> (\S+):\s*$/;
const METHOD_LINE = /^\s+(?:(\d+):(\d+):)?[^\s(]+ ([^\s(]+)\(([^)]*)\)(?::(\d+)(?::(\d+))?)? -> (\S+)\s*$/;
const MAP_ID = /^#\s*pg_map_id:\s*(\S+)/;

interface Block {
  original: string;
  obfuscated: string;
  start: number;
  end: number;
}

/** Reads `# pg_map_id: <id>` from the header of a mapping, if it is there. */
export function readMapId(text: string): string | undefined {
  // The header comments come first; no need to scan a file of tens of megabytes.
  for (const line of text.slice(0, 16384).split('\n')) {
    if (!line.startsWith('#')) break;
    const match = MAP_ID.exec(line);
    if (match?.[1] !== undefined) return match[1];
  }
  return undefined;
}

/**
 * Indexes a mapping's class blocks in one pass. Member lines are parsed per class on first
 * use, so a mapping of tens of megabytes costs one scan and the classes a trace touches.
 */
export function parseMapping(text: string): Mapping {
  const byObfuscated = new Map<string, Block>();
  const byOriginal = new Map<string, Block>();
  let current: Block | undefined;
  let position = 0;
  while (position < text.length) {
    let end = text.indexOf('\n', position);
    if (end === -1) end = text.length;
    const first = text.charCodeAt(position);
    // Class lines are the only ones that start in column 0 without '#'.
    if (first !== 0x20 && first !== 0x09 && first !== 0x23 && end > position) {
      const match = CLASS_LINE.exec(text.slice(position, end).replace(/\r$/, ''));
      if (match !== null) {
        if (current !== undefined) current.end = position;
        current = { original: match[1] ?? '', obfuscated: match[2] ?? '', start: end + 1, end: text.length };
        if (!byObfuscated.has(current.obfuscated)) byObfuscated.set(current.obfuscated, current);
        if (!byOriginal.has(current.original)) byOriginal.set(current.original, current);
      }
    }
    position = end + 1;
  }
  const parsed = new Map<Block, MappedClass>();
  const load = (block: Block | undefined): MappedClass | undefined => {
    if (block === undefined) return undefined;
    let result = parsed.get(block);
    if (result === undefined) {
      result = parseBlock(block, text.slice(block.start, block.end));
      parsed.set(block, result);
    }
    return result;
  };
  const mapping: Mapping = {
    classCount: byObfuscated.size,
    byObfuscated: (name) => load(byObfuscated.get(name)),
    byOriginal: (name) => load(byOriginal.get(name)),
  };
  const mapId = readMapId(text);
  if (mapId !== undefined) mapping.mapId = mapId;
  return mapping;
}

function parseBlock(block: Block, body: string): MappedClass {
  const result: MappedClass = { original: block.original, obfuscated: block.obfuscated, methods: new Map() };
  for (const raw of body.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trimStart().startsWith('#')) {
      const sourceFile = readSourceFile(line);
      if (sourceFile !== undefined) result.sourceFile = sourceFile;
      continue;
    }
    const match = METHOD_LINE.exec(line);
    if (match === null) continue; // fields and anything this reader does not know
    const [, obfStart, obfEnd, qualified = '', , origStart, origEnd, obfName = ''] = match;
    const dot = qualified.lastIndexOf('.');
    const method: MappedMethod = { name: dot === -1 ? qualified : qualified.slice(dot + 1) };
    if (dot !== -1) method.originalClass = qualified.slice(0, dot);
    if (obfStart !== undefined && obfEnd !== undefined) {
      method.obfStart = Number(obfStart);
      method.obfEnd = Number(obfEnd);
    }
    if (origStart !== undefined) method.origStart = Number(origStart);
    if (origEnd !== undefined) method.origEnd = Number(origEnd);
    const list = result.methods.get(obfName);
    if (list === undefined) result.methods.set(obfName, [method]);
    else list.push(method);
  }
  return result;
}

function readSourceFile(line: string): string | undefined {
  const json = line.trim().replace(/^#\s*/, '');
  if (!json.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(json) as { id?: unknown; fileName?: unknown };
    return value.id === 'sourceFile' && typeof value.fileName === 'string' ? value.fileName : undefined;
  } catch {
    return undefined;
  }
}
