/**
 * The SDKs installed the way their ecosystems expect, from a fresh copy of the repository (its
 * tracked and new files, nothing ignored: no dist/, no node_modules, no build/ or target/), so
 * nothing a developer built by hand can make an install look fine: `npm install <sdks/node>` and
 * `npm pack` + `npm install <tarball>` into an app made by `npm init -y`, `pip install
 * <sdks/python>` into a virtualenv, `mvn install` of sdks/java into the local Maven repository.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, expectExit, makeTempDir, runProgram, type RunResult } from './run';

const INSTALL_TIMEOUT_MS = 240_000;

/** The environment for package managers: the test's own, without npm's settings for the repository (`npx jest` sets them). */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('npm_') || name === 'NODE_OPTIONS' || name === 'INIT_CWD') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs a package manager's command in `cwd`; fails with its output unless it exits 0. */
async function runTool(command: string, args: readonly string[], cwd: string): Promise<RunResult> {
  const result = await runProgram(command, args, { env: toolEnv(), cwd, timeoutMs: INSTALL_TIMEOUT_MS });
  expectExit(result, 0);
  return result;
}

/** A copy of the repository's files under `paths` as a fresh clone has them; returns the copy's root. */
export function freshCheckout(prefix: string, paths: readonly string[]): string {
  const root = makeTempDir(prefix);
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...paths], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f !== '');
  for (const file of files) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    copyFileSync(join(ROOT, file), join(root, file));
  }
  return root;
}

/** A fresh Node app (`npm init -y`, a CommonJS project) with `spec` installed (a folder or a tarball). */
export async function newNodeApp(spec: string): Promise<string> {
  const app = makeTempDir('node-app');
  await runTool('npm', ['init', '-y'], app);
  await runTool('npm', ['install', '--no-audit', '--no-fund', spec], app);
  return app;
}

/** The Node SDK packed with `npm pack` from a fresh checkout (its build runs as `prepare`); returns the tarball's path. */
export async function packNodeSdk(): Promise<string> {
  const sdk = join(freshCheckout('node-sdk', ['sdks/node', 'tsconfig.json']), 'sdks', 'node');
  const out = makeTempDir('node-pack');
  await runTool('npm', ['pack', '--pack-destination', out], sdk);
  const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.join(', ') || 'no tarball'} in ${out}`);
  return join(out, tarballs[0] as string);
}

/** A virtualenv with the Python SDK installed by `pip install <sdks/python>`; returns the venv's python. */
export async function pythonWithSdk(): Promise<string> {
  const sdk = join(freshCheckout('python-sdk', ['sdks/python']), 'sdks', 'python');
  const venv = join(makeTempDir('python-venv'), 'venv');
  await runTool('python3', ['-m', 'venv', venv], ROOT);
  await runTool(join(venv, 'bin', 'pip'), ['install', '--quiet', sdk], ROOT);
  return join(venv, 'bin', 'python');
}

/** `mvn install` of the Java SDK from a fresh checkout (tests skipped: `npm test` runs them) into the default local repository. */
export async function installJavaSdk(): Promise<void> {
  const sdk = join(freshCheckout('java-sdk', ['sdks/java']), 'sdks', 'java');
  await runTool('mvn', ['-q', '-B', '-DskipTests', 'install'], sdk);
}
