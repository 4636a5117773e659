import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '../src/client.ts';
import type { DumpcatcherOptions } from '../src/options.ts';
import { createScrubber } from '../src/scrub.ts';
import { collectSourceContext, createSourceCache, MAX_SOURCE_FILE_BYTES } from '../src/source-context.ts';
import type { CrashReport } from '../src/types.ts';
import { makeTempDir, removeDir, SECRET, testOptions, testRuntime } from './helpers/env.ts';

// Node's own require: the files below are loaded as plain CommonJS, not through jest's transform.
const nodeRequire = createRequire(__filename);

const CART = [
  "'use strict';",
  '// checkout helpers',
  'function applyDiscount(cart) {',
  '  const total = cart.total();',
  '  return total / cart.count;',
  '}',
  `const KEY = '${SECRET}';`,
  'exports.checkout = function checkout(cart) {',
  '  return applyDiscount(cart);',
  '};',
  '',
].join('\n');

/** The error the app's real file throws. */
function thrownBy(file: string, run: (mod: Record<string, (arg: unknown) => unknown>) => unknown): unknown {
  const mod = nodeRequire(file) as Record<string, (arg: unknown) => unknown>;
  try {
    run(mod);
  } catch (err) {
    return err;
  }
  throw new Error(`${file} did not throw`);
}

describe('source context of a real thrown error', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));

  const capture = async (
    error: unknown,
    extra: Partial<DumpcatcherOptions> = {},
    homeDir = '/home/alice-example',
  ): Promise<CrashReport> => {
    const reports: CrashReport[] = [];
    const client = createClient(
      testOptions('http://127.0.0.1:9', join(dir, 'queue'), {
        autoBreadcrumbs: false,
        beforeSend: (report) => {
          reports.push(report);
          return null;
        },
        ...extra,
      }),
      testRuntime({ homeDir }),
    );
    client.captureException(error);
    await client.close();
    if (!reports[0]) throw new Error('nothing captured');
    return reports[0];
  };

  it('sends the lines around each in-app frame, innermost first, named as the stack trace names them', async () => {
    const file = join(dir, 'cart.js');
    writeFileSync(file, CART);
    const report = await capture(thrownBy(file, (m) => m.checkout?.({})));
    const entries = report.exception.sourceContext ?? [];
    expect(entries.slice(0, 2)).toEqual([
      {
        file,
        line: 4,
        pre: ['// checkout helpers', 'function applyDiscount(cart) {'],
        context: '  const total = cart.total();',
        post: ['  return total / cart.count;', '}'],
      },
      {
        file,
        line: 9,
        pre: ["const KEY = '<redacted>';", 'exports.checkout = function checkout(cart) {'],
        context: '  return applyDiscount(cart);',
        post: ['};'],
      },
    ]);
    // Then this test's own frames; never node_modules (jest's) or Node's internals.
    expect(entries.length).toBeGreaterThan(2);
    expect(entries.length).toBeLessThanOrEqual(20);
    for (const entry of entries) {
      expect(entry.file).not.toMatch(/node_modules|^node:/);
      expect(report.exception.stacktrace).toContain(`${entry.file}:${entry.line}:`);
    }
  });

  it('names a file under the home folder as the scrubbed stack trace does (~/…)', async () => {
    const file = join(dir, 'cart.js');
    writeFileSync(file, CART);
    const report = await capture(
      thrownBy(file, (m) => m.checkout?.({})),
      {},
      dir,
    );
    expect(report.exception.stacktrace).toContain('(~/cart.js:4:');
    expect(report.exception.sourceContext?.[0]).toMatchObject({ file: '~/cart.js', line: 4 });
    expect(JSON.stringify(report)).not.toContain(dir);
  });

  it('covers every exception of the cause chain', async () => {
    const inner = join(dir, 'inner.js');
    const outer = join(dir, 'outer.js');
    writeFileSync(inner, "'use strict';\nexports.load = () => {\n  throw new Error('disk gone');\n};\n");
    writeFileSync(
      outer,
      "'use strict';\nconst { load } = require('./inner.js');\nexports.start = () => {\n  try { load(); } catch (cause) {\n    throw new Error('start failed', { cause });\n  }\n};\n",
    );
    const report = await capture(thrownBy(outer, (m) => m.start?.(undefined)));
    const mine = (report.exception.sourceContext ?? []).filter((e) => e.file === inner || e.file === outer);
    expect(mine.map((e) => [e.file, e.line, e.context])).toEqual([
      [outer, 5, "    throw new Error('start failed', { cause });"],
      [inner, 3, "  throw new Error('disk gone');"],
      [outer, 4, '  try { load(); } catch (cause) {'],
    ]);
  });

  it('skips frames under node_modules', async () => {
    const lib = join(dir, 'node_modules', 'lib');
    mkdirSync(lib, { recursive: true });
    writeFileSync(
      join(lib, 'index.js'),
      "'use strict';\nexports.fail = () => {\n  throw new TypeError('in a dependency');\n};\n",
    );
    const app = join(dir, 'app.js');
    writeFileSync(app, "'use strict';\nconst lib = require('lib');\nexports.run = () => lib.fail();\n");
    const report = await capture(thrownBy(app, (m) => m.run?.(undefined)));
    expect(report.exception.stacktrace).toContain(join(lib, 'index.js'));
    const entries = report.exception.sourceContext ?? [];
    expect(entries[0]).toMatchObject({ file: app, line: 3, context: 'exports.run = () => lib.fail();' });
    expect(entries.some((e) => e.file.includes('node_modules'))).toBe(false);
  });

  it('sends none with sourceContext: false', async () => {
    const file = join(dir, 'cart.js');
    writeFileSync(file, CART);
    const report = await capture(
      thrownBy(file, (m) => m.checkout?.({})),
      { sourceContext: false },
    );
    expect(report.exception.sourceContext).toBeUndefined();
  });
});

describe('collectSourceContext', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => removeDir(dir));
  const scrub = createScrubber({ homeDir: '/home/alice', userName: 'alice', secret: SECRET });

  it('reads ES module frames named by file URL', () => {
    const file = join(dir, 'mod.mjs');
    writeFileSync(file, "export function run() {\n  throw new Error('esm');\n}\n");
    const url = pathToFileURL(file).href;
    const stack = `Error: esm\n    at run (${url}:2:9)\n    at ${url}:4:1`;
    expect(collectSourceContext(stack, stack, createSourceCache(scrub))).toEqual([
      { file: url, line: 2, pre: ['export function run() {'], context: "  throw new Error('esm');", post: ['}'] },
    ]);
  });

  it('keeps at most 20 entries, each file and line once', () => {
    const file = join(dir, 'deep.js');
    writeFileSync(file, Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n'));
    const frames = Array.from({ length: 30 }, (_, i) => `    at f${i} (${file}:${i + 1}:1)`);
    const stack = ['Error: deep', ...frames, `    at again (${file}:1:1)`].join('\n');
    const entries = collectSourceContext(stack, stack, createSourceCache(scrub));
    expect(entries.map((e) => e.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('sends nothing for a frame the scrubbed stack trace no longer names (cut off)', () => {
    const file = join(dir, 'a.js');
    writeFileSync(file, 'a\nb\n');
    const stack = `Error: x\n    at f (${file}:1:1)`;
    expect(collectSourceContext(stack, 'Error: x', createSourceCache(scrub))).toEqual([]);
  });

  it('does not read a file over 1 MiB, nor a folder', () => {
    const big = join(dir, 'bundle.js');
    writeFileSync(big, 'x'.repeat(MAX_SOURCE_FILE_BYTES + 1));
    const cache = createSourceCache(scrub);
    expect(cache.linesAround(big, 1)).toBeNull();
    expect(cache.linesAround(dir, 1)).toBeNull();
  });

  it('cuts each line to 200 characters after scrubbing it', () => {
    const file = join(dir, 'long.js');
    writeFileSync(file, `const who = '/home/alice/${'y'.repeat(300)}';\n`);
    const lines = createSourceCache(scrub).linesAround(file, 1);
    expect(lines?.context).toBe(`const who = '~/${'y'.repeat(200 - "const who = '~/".length)}`);
  });
});
