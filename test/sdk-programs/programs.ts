/**
 * The three real programs of the end-to-end tests and how to build and run them: crash_app.py
 * (python3, the SDK from sdks/python/src), CrashApp.java (a JVM, the SDK compiled from
 * sdks/java/src/main/java) and crash-app.cjs (node, the SDK's CommonJS build loaded by package
 * name). Builds go to `.local/e2e-build/<kind>-<hash of the sources>`, made once and shared by
 * every test file and run until the sources change.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative } from 'node:path';
import {
  ROOT,
  expectExit,
  makeTempDir,
  programEnv,
  runProgram,
  writeShiftedCopy,
  type RunOptions,
  type RunResult,
  type Target,
} from './run';

/** The Python program. */
export const PYTHON_PROGRAM = join(ROOT, 'test', 'sdk-programs', 'python', 'crash_app.py');
/** The Java program's source. */
export const JAVA_PROGRAM = join(ROOT, 'test', 'sdk-programs', 'java', 'CrashApp.java');
/** The Node program. */
export const NODE_PROGRAM = join(ROOT, 'test', 'sdk-programs', 'node', 'crash-app.cjs');
/** Its ES-module twin. */
const NODE_ESM_PROGRAM = join(ROOT, 'test', 'sdk-programs', 'node', 'crash-app.mjs');

/** How many comment lines the shifted copy of CrashApp.java has above the original's first line. */
export const JAVA_SHIFT = 9;

/** How to run a program: where it reports to, and `shifted` for its copy with every line moved down. */
export type ProgramOptions = RunOptions & { shifted?: boolean };

const BUILD_ROOT = join(ROOT, '.local', 'e2e-build');
const PROGRAM_TIMEOUT_MS = 90_000;

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return filesUnder(path, suffix);
      return name.endsWith(suffix) ? [path] : [];
    })
    .sort();
}

function hashFiles(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * Returns `.local/e2e-build/<kind>-<hash>`, building it with `build(dir)` into a temporary
 * sibling first and renaming it into place, so concurrent test files never see half a build.
 */
async function cachedBuild(
  kind: string,
  inputs: readonly string[],
  build: (dir: string) => Promise<void>,
): Promise<string> {
  const dir = join(BUILD_ROOT, `${kind}-${hashFiles(inputs)}`);
  if (existsSync(dir)) return dir;
  mkdirSync(BUILD_ROOT, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await build(tmp);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another test file finished the same build first: use it.
      if (!existsSync(dir)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // Builds of older sources are of no further use.
  for (const name of readdirSync(BUILD_ROOT)) {
    const other = join(BUILD_ROOT, name);
    if (name.startsWith(`${kind}-`) && other !== dir && Date.now() - statSync(other).mtimeMs > 600_000)
      rmSync(other, { recursive: true, force: true });
  }
  return dir;
}

async function javac(args: string[]): Promise<void> {
  expectExit(await runProgram('javac', args, { env: process.env, timeoutMs: 120_000 }), 0);
}

/**
 * The Java SDK compiled from its sources (for Java 8, as its pom says), rather than Maven's
 * target/, which the SDK's own build may be rewriting at the same moment; CrashApp, and a copy
 * of it with every line `JAVA_SHIFT` lines lower, compiled against it.
 */
async function buildJava(): Promise<{ classpath: string; shiftedClasspath: string }> {
  const sdkSources = filesUnder(join(ROOT, 'sdks', 'java', 'src', 'main', 'java'), '.java');
  const dir = await cachedBuild('java', [...sdkSources, JAVA_PROGRAM], async (out) => {
    const sdk = join(out, 'sdk');
    await javac(['--release', '8', '-nowarn', '-encoding', 'UTF-8', '-d', sdk, ...sdkSources]);
    const shiftedSource = join(out, 'shifted-src', 'CrashApp.java');
    writeShiftedCopy(JAVA_PROGRAM, shiftedSource, JAVA_SHIFT, '//');
    await Promise.all([
      javac(['-cp', sdk, '-d', join(out, 'app'), JAVA_PROGRAM]),
      javac(['-cp', sdk, '-d', join(out, 'app-shifted'), shiftedSource]),
    ]);
  });
  const sdk = join(dir, 'sdk');
  return { classpath: `${join(dir, 'app')}:${sdk}`, shiftedClasspath: `${join(dir, 'app-shifted')}:${sdk}` };
}

/**
 * The Node SDK as an app installs it: package.json and the CommonJS and ESM builds of its current sources
 * (sdks/node/dist may be stale, or rebuilt by the SDK's own tests at the same moment) in a
 * node_modules folder. Returns the NODE_PATH that finds it.
 */
async function buildNode(): Promise<string> {
  const sdkDir = join(ROOT, 'sdks', 'node');
  const inputs = [
    ...filesUnder(join(sdkDir, 'src'), '.ts'),
    join(sdkDir, 'package.json'),
    join(sdkDir, 'tsconfig.cjs.json'),
    join(sdkDir, 'tsconfig.esm.json'),
    join(ROOT, 'tsconfig.json'),
  ];
  const dir = await cachedBuild('node', inputs, async (out) => {
    const pkg = join(out, 'node_modules', 'dumpcatcher');
    const cjs = join(pkg, 'dist', 'cjs');
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [tsc, '-p', join(sdkDir, 'tsconfig.cjs.json'), '--outDir', cjs, '--declaration', 'false'];
    expectExit(await runProgram(process.execPath, args, { env: process.env, timeoutMs: 120_000 }), 0);
    const esm = join(pkg, 'dist', 'esm');
    const esmArgs = [tsc, '-p', join(sdkDir, 'tsconfig.esm.json'), '--outDir', esm, '--declaration', 'false'];
    expectExit(await runProgram(process.execPath, esmArgs, { env: process.env, timeoutMs: 120_000 }), 0);
    copyFileSync(join(sdkDir, 'package.json'), join(pkg, 'package.json'));
    writeFileSync(join(cjs, 'package.json'), '{"type":"commonjs"}\n');
    writeFileSync(join(esm, 'package.json'), '{"type":"module"}\n');
  });
  return join(dir, 'node_modules');
}

let javaBuild: ReturnType<typeof buildJava> | undefined;
let nodeBuild: ReturnType<typeof buildNode> | undefined;

/** Builds (once per test file, and only when the sources changed) what the Java program needs. */
export const buildJavaPrograms = () => (javaBuild ??= buildJava());
/** Builds (once per test file, and only when the sources changed) the Node SDK package. */
export const buildNodePackage = () => (nodeBuild ??= buildNode());

let pythonShifted: string | undefined;
let nodeShifted: string | undefined;

/** crash_app.py with every line 7 lines lower, in a temp folder (made once per test file). */
export const shiftedPythonProgram = () => (pythonShifted ??= shiftedCopy(PYTHON_PROGRAM, 'python-shifted', 7, '#'));
/** crash-app.cjs with every line 5 lines lower, in a temp folder (made once per test file). */
export const shiftedNodeProgram = () => (nodeShifted ??= shiftedCopy(NODE_PROGRAM, 'node-shifted', 5, '//'));

function shiftedCopy(program: string, prefix: string, lines: number, comment: string): string {
  const copy = join(makeTempDir(prefix), 'app-1.0.1', basename(program));
  writeShiftedCopy(program, copy, lines, comment);
  return copy;
}

/** Runs crash_app.py with `args` (its mode first) for a product; `shifted` runs the copy with moved lines. */
export function runPython(target: Target, args: string[], options: ProgramOptions): Promise<RunResult> {
  const env = programEnv(target, options);
  env.PYTHONPATH = join(ROOT, 'sdks', 'python', 'src');
  env.PYTHONDONTWRITEBYTECODE = '1';
  const program = options.shifted ? shiftedPythonProgram() : PYTHON_PROGRAM;
  return runProgram('python3', [program, ...args], { env, timeoutMs: PROGRAM_TIMEOUT_MS, killWhen: options.killWhen });
}

/** Runs CrashApp with `args` (its mode first) for a product; `shifted` runs the copy with moved lines. */
export async function runJava(target: Target, args: string[], options: ProgramOptions): Promise<RunResult> {
  const { classpath, shiftedClasspath } = await buildJavaPrograms();
  // C1 only: these programs live for a second, and it halves the JVM's start-up CPU.
  const jvm = ['-XX:TieredStopAtLevel=1', '-cp', options.shifted ? shiftedClasspath : classpath];
  return runProgram('java', [...jvm, 'CrashApp', ...args], {
    env: programEnv(target, options),
    timeoutMs: PROGRAM_TIMEOUT_MS,
    killWhen: options.killWhen,
  });
}

/**
 * Runs crash-app.mjs with `args` (its mode first) for a product, from a temp folder whose
 * node_modules is the built package (ES modules resolve packages only from node_modules folders).
 */
export async function runNodeEsm(target: Target, args: string[], options: RunOptions): Promise<RunResult> {
  const nodeModules = await buildNodePackage();
  const app = makeTempDir('node-esm-app');
  symlinkSync(nodeModules, join(app, 'node_modules'), 'dir');
  copyFileSync(NODE_ESM_PROGRAM, join(app, 'crash-app.mjs'));
  return runProgram(process.execPath, [join(app, 'crash-app.mjs'), ...args], {
    env: programEnv(target, options),
    timeoutMs: PROGRAM_TIMEOUT_MS,
    killWhen: options.killWhen,
  });
}

/** Runs crash-app.cjs with `args` (its mode first) for a product; `shifted` runs the copy with moved lines. */
export async function runNode(target: Target, args: string[], options: ProgramOptions): Promise<RunResult> {
  const env = programEnv(target, options);
  env.NODE_PATH = await buildNodePackage();
  const program = options.shifted ? shiftedNodeProgram() : NODE_PROGRAM;
  return runProgram(process.execPath, [program, ...args], {
    env,
    timeoutMs: PROGRAM_TIMEOUT_MS,
    killWhen: options.killWhen,
  });
}
