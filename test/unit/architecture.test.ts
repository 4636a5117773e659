import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The rooms of functions/src and the rooms each may import (besides itself); see
 * docs/architecture.md. `index.ts` at the top registers the functions and may import any room.
 */
const ALLOWED: Record<string, readonly string[]> = {
  shared: [],
  grouping: ['shared'],
  ingest: ['grouping', 'shared'],
  alerts: ['grouping', 'shared'],
  rollup: ['alerts', 'grouping', 'shared'],
  api: ['alerts', 'grouping', 'shared'],
  'index.ts': ['ingest', 'api', 'rollup', 'alerts', 'grouping', 'shared'],
};

const SRC = resolve(__dirname, '../../functions/src');

/** One import of a file: the file that imports, the text of the specifier, and the file it names. */
interface Edge {
  from: string;
  spec: string;
  to: string;
}

function listSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listSources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

// `import … from`, `export … from`, side-effect imports, `import()` and `require()`, type-only included.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function resolveImport(fromFile: string, spec: string, files: ReadonlySet<string>): string {
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) if (files.has(candidate)) return candidate;
  throw new Error(`${relative(SRC, fromFile)}: import '${spec}' names no file of functions/src`);
}

/** Every relative import of every file under `root`, with the file it resolves to. */
function readImports(root: string): { files: string[]; edges: Edge[] } {
  const files = listSources(root).sort();
  const known = new Set(files);
  const edges: Edge[] = [];
  for (const file of files) {
    // Comments may quote an import; strip them so only code counts.
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`])\/\/.*$/gm, '$1');
    for (const match of code.matchAll(IMPORT)) {
      const spec = match[1]!;
      edges.push({ from: relative(root, file), spec, to: relative(root, resolveImport(file, spec, known)) });
    }
  }
  return { files: files.map((f) => relative(root, f)), edges };
}

/** The room of a path relative to functions/src: its first folder, or the file itself at the top. */
function roomOf(path: string): string {
  return path.split('/')[0]!;
}

/** Imports that point the wrong way, as `from -> spec (to)` lines. */
function wrongArrows(edges: readonly Edge[], allowed: Record<string, readonly string[]>): string[] {
  return edges
    .filter(({ from, to }) => {
      const a = roomOf(from);
      const b = roomOf(to);
      if (a === b) return false;
      const rule = allowed[a];
      return rule === undefined || !rule.includes(b);
    })
    .map(({ from, spec, to }) => `${from} imports '${spec}' (${roomOf(from)} -> ${roomOf(to)})`);
}

/** Every import circle (Tarjan's strongly connected components of more than one file, or a file importing itself). */
function importCircles(files: readonly string[], edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const { from, to } of edges) next.get(from)?.push(to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (next.get(v) ?? []).includes(v)) circles.push(component.sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return circles;
}

describe('functions/src: dependencies point one way (docs/architecture.md)', () => {
  const { files, edges } = readImports(SRC);

  it('reads the imports of every room', () => {
    expect(new Set(files.map(roomOf))).toEqual(new Set(Object.keys(ALLOWED)));
    expect(edges.length).toBeGreaterThan(100);
  });

  it('has no import that points the wrong way', () => {
    expect(wrongArrows(edges, ALLOWED)).toEqual([]);
  });

  it('has no import circle', () => {
    expect(importCircles(files, edges)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const edge = (from: string, to: string): Edge => ({ from, to, spec: `./${to}` });

  it('names an import from a room not allowed to use the other', () => {
    const edges = [edge('rollup/rollup.ts', 'api/access.ts'), edge('api/routes.ts', 'grouping/schemas.ts')];
    expect(wrongArrows(edges, ALLOWED)).toEqual(["rollup/rollup.ts imports './api/access.ts' (rollup -> api)"]);
  });

  it('names the files of each circle, and only those', () => {
    const files = ['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts'];
    const edges = [edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts'), edge('c.ts', 'd.ts')];
    expect(importCircles(files, [...edges, edge('e.ts', 'e.ts')])).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
    expect(importCircles(files, edges.slice(0, 2))).toEqual([]);
  });
});
