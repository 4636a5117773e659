/**
 * The Node SDK installs as npm users expect, on a machine that never built it: from its folder
 * (`npm install ./sdks/node`) and from the tarball `npm pack` makes, into an app made by
 * `npm init -y`; both `require('dumpcatcher')` and `import('dumpcatcher')` then work.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshCheckout, newNodeApp, packNodeSdk, toolEnv } from '../sdk-programs/installs';
import { expectExit, removeTempDirs, runProgram } from '../sdk-programs/run';

jest.setTimeout(300_000);
afterAll(removeTempDirs);

const VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'sdks', 'node', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

// Loads the SDK by name both ways and says what each build exports.
const LOAD = `
const cjs = require('dumpcatcher');
import('dumpcatcher').then((esm) => {
  console.log(JSON.stringify({ cjs: typeof cjs.init, esm: typeof esm.init, capture: typeof esm.captureException }));
});
`;

async function loadFrom(app: string): Promise<unknown> {
  const result = await runProgram(process.execPath, ['-e', LOAD], { env: toolEnv(), cwd: app });
  expectExit(result, 0);
  return JSON.parse(result.stdout.trim());
}

describe('installing the Node SDK', () => {
  it('from its folder in a fresh checkout: npm builds it on install (prepare), with its own devDependencies', async () => {
    const sdk = join(freshCheckout('node-folder', ['sdks/node', 'tsconfig.json']), 'sdks', 'node');
    expect(existsSync(join(sdk, 'dist'))).toBe(false);
    const app = await newNodeApp(sdk);
    await expect(loadFrom(app)).resolves.toEqual({ cjs: 'function', esm: 'function', capture: 'function' });
    // No node_modules above the copy: the TypeScript that built it is the SDK's own, pinned one.
    const tsVersion = (
      JSON.parse(readFileSync(join(sdk, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }
    ).version;
    const rootTs = (
      JSON.parse(readFileSync(join(__dirname, '..', '..', 'node_modules', 'typescript', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(tsVersion).toBe(rootTs);
  });

  it('from the tarball npm pack makes: dist/ inside, nothing to build on install', async () => {
    const tarball = await packNodeSdk();
    expect(tarball.endsWith(`dumpcatcher-${VERSION}.tgz`)).toBe(true);
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'package/dist/cjs/index.js',
        'package/dist/cjs/index.d.ts',
        'package/dist/cjs/package.json',
        'package/dist/esm/index.js',
        'package/dist/esm/package.json',
      ]),
    );
    expect(files.filter((f) => f.startsWith('package/test/') || f.includes('node_modules'))).toEqual([]);
    const app = await newNodeApp(tarball);
    await expect(loadFrom(app)).resolves.toEqual({ cjs: 'function', esm: 'function', capture: 'function' });
  });
});
