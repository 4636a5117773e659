// Builds dist/cjs and dist/esm with this package's own devDependencies. npm runs it as `prepare`:
// on `npm pack` (so the tarball holds dist/) and on `npm install <this folder>` (so an app that
// installs the SDK from a checkout needs no build step of its own). When the pinned TypeScript and
// Node types are not at hand (a fresh checkout, no `npm ci` anywhere), it installs them first with
// `npm ci` from this folder's package-lock.json.
const { spawnSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const { basename, join } = require('node:path');

const SDK = join(__dirname, '..');
const { devDependencies } = require('../package.json');

function installedVersion(name) {
  try {
    return require(require.resolve(`${name}/package.json`, { paths: [SDK] })).version;
  } catch {
    return undefined;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: SDK, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`dumpcatcher build: \`${[command, ...args].join(' ')}\` failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

// The repository root's node_modules serves when it holds the same versions; anything else
// (missing, or another TypeScript found further up) gets this folder's own install.
const missing = Object.entries(devDependencies).filter(([name, version]) => installedVersion(name) !== version);
if (missing.length > 0) {
  // The npm running this script, when it is npm; otherwise the one on PATH.
  const npmCli = process.env.npm_execpath;
  const npm = npmCli && basename(npmCli).startsWith('npm') ? [process.execPath, npmCli] : ['npm'];
  run(npm[0], [...npm.slice(1), 'ci', '--ignore-scripts', '--no-audit', '--no-fund']);
}

const tsc = require.resolve('typescript/bin/tsc', { paths: [SDK] });
rmSync(join(SDK, 'dist'), { recursive: true, force: true });
run(process.execPath, [tsc, '-p', 'tsconfig.cjs.json']);
run(process.execPath, [tsc, '-p', 'tsconfig.esm.json']);
require('./mark-dist.cjs');
