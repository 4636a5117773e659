import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDir } from './helpers/env.ts';

const SDK_DIR = join(__dirname, '..');
const TSC = join(SDK_DIR, '../../node_modules/typescript/bin/tsc');

function run(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

// Loads the package by name from an app folder, once with require and once with import, in one
// process, and captures in debug mode (prints, sends and writes nothing).
const APP_SCRIPT = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const esm = await import('dumpcatcher');
const cjs = require('dumpcatcher');
const client = esm.init({ endpoint: 'http://127.0.0.1:9', productKey: 'pk_package_test', secret: 's3cret-value',
  appName: 'pkg', appVersion: '1.0.0', debug: true, captureUncaught: false });
const id = cjs.captureException(new Error('from the CJS build'));
console.log(JSON.stringify({ esm: typeof esm.init, cjs: typeof cjs.init, same: cjs.getClient() === client, mode: client.mode, id }));
`;

jest.setTimeout(30_000);

describe('the published package', () => {
  let app: string;
  beforeAll(async () => {
    // The same emit as `npm run build`; type checking is the typecheck's job, not this test's.
    const builds = await Promise.all([
      run([TSC, '-p', 'tsconfig.cjs.json', '--noCheck'], SDK_DIR),
      run([TSC, '-p', 'tsconfig.esm.json', '--noCheck'], SDK_DIR),
    ]);
    for (const b of builds) expect(b).toMatchObject({ code: 0 });
    expect((await run(['scripts/mark-dist.cjs'], SDK_DIR)).code).toBe(0);
    app = makeTempDir('dc-node-app-');
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(SDK_DIR, join(app, 'node_modules', 'dumpcatcher'), 'dir');
  }, 60_000);
  afterAll(() => removeDir(app));

  it('declares main, module, types and exports for import and require', () => {
    const pkg = JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      name: 'dumpcatcher',
      main: './dist/cjs/index.js',
      module: './dist/esm/index.js',
      types: './dist/cjs/index.d.ts',
      exports: {
        '.': {
          import: { types: './dist/esm/index.d.ts', default: './dist/esm/index.js' },
          require: { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' },
        },
      },
    });
    expect(pkg).not.toHaveProperty('dependencies');
  });

  it('loads through both builds in one process and shares one client between them', async () => {
    const env: Record<string, string | undefined> = { ...process.env, DUMPCATCHER_CONFIG: join(app, 'none.json') };
    delete env.DO_NOT_TRACK;
    delete env.DUMPCATCHER_DISABLED;
    const result = await run(['--input-type=module', '-e', APP_SCRIPT], app, env);
    expect(result.code).toBe(0);
    const line = JSON.parse(result.out.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ esm: 'function', cjs: 'function', same: true, mode: 'debug' });
    expect(line.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.err).toContain('would send POST /v1/crashes');
    expect(result.err).toContain('from the CJS build');
  });
});
