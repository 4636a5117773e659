/**
 * Running the end-to-end programs: a child process with a product, a queue folder, an endpoint
 * and an environment of its own; temp folders; the SDK's queue files; the ways to opt out.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEnv } from '../emulator/helpers';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/** What a finished child process left behind. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command to its end (killing it after `timeoutMs`, or with SIGKILL as soon as its
 * stdout holds `killWhen`); never rejects for a non-zero exit.
 */
export function runProgram(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; killWhen?: string | undefined },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      if (options.killWhen !== undefined && stdout.includes(options.killWhen)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Fails with the program's output when it did not exit with `expected`. */
export function expectExit(result: RunResult, expected: number): void {
  if (result.code !== expected) {
    throw new Error(
      `expected exit code ${expected}, got ${String(result.code)} (signal ${String(result.signal)}) after ${result.ms} ms\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
}

const tempDirs: string[] = [];

/** A fresh folder under the OS temp dir, removed by `removeTempDirs`. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dc-e2e-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder `makeTempDir` made in this test file. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A product of the test stack and the SDK settings a program needs to report to it. */
export interface Target {
  productKey: string;
  secret: string;
}

/** Where a program run reports to, and where its SDK keeps its files. */
export interface RunOptions {
  /** The SDK's queue folder (E2E_QUEUE_DIR); without it the SDK uses its default under XDG_CACHE_HOME. */
  queueDir?: string;
  /** The folder holding XDG_CONFIG_HOME and XDG_CACHE_HOME; by default next to `queueDir`. */
  xdgDir?: string;
  /** The ingest base URL; by default the test stack's. */
  endpoint?: string;
  /** More environment (opt-outs, E2E_SHUTDOWN_TIMEOUT_MS, NODE_DEBUG). */
  extra?: Record<string, string>;
  /** SIGKILL the program as soon as its stdout holds this text (a process killed mid-run). */
  killWhen?: string;
}

/**
 * The environment of a program run: the test's own PATH and HOME, but no opt-out or SDK
 * setting inherited from whoever runs the tests, its own config and cache folders, and the
 * E2E_* settings the programs read.
 */
export function programEnv(target: Target, options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'DO_NOT_TRACK' || name.startsWith('DUMPCATCHER_') || name === 'NODE_DEBUG' || name === 'NODE_OPTIONS')
      continue;
    if (name.startsWith('XDG_') || name === 'JAVA_TOOL_OPTIONS' || name === '_JAVA_OPTIONS') continue;
    env[name] = value;
  }
  const xdg = options.xdgDir ?? (options.queueDir !== undefined ? join(options.queueDir, '..', 'xdg') : undefined);
  if (xdg === undefined) throw new Error('programEnv needs a queueDir or an xdgDir');
  return {
    ...env,
    LANG: 'C.UTF-8',
    XDG_CONFIG_HOME: join(xdg, 'config'),
    XDG_CACHE_HOME: join(xdg, 'cache'),
    E2E_ENDPOINT: options.endpoint ?? requireEnv('DUMPCATCHER_INGEST_URL'),
    E2E_PRODUCT_KEY: target.productKey,
    E2E_SECRET: target.secret,
    ...(options.queueDir !== undefined ? { E2E_QUEUE_DIR: options.queueDir } : {}),
    ...options.extra,
  };
}

/** A queue folder (not yet created: the SDK makes it) inside a temp folder of its own. */
export function newQueueDir(prefix: string): string {
  return join(makeTempDir(prefix), 'queue');
}

const REPORT_FILE = /^\d+-[A-Za-z0-9_-]{8,64}-\d+\.json$/;

/** The report files in a queue folder (`<createdAtMillis>-<clientId>-<counter>.json`), none if it does not exist. */
export function reportFiles(queueDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(queueDir);
  } catch {
    return [];
  }
  return names.filter((name) => REPORT_FILE.test(name)).sort();
}

/** Every entry of a folder, none if it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The queue file's envelope (docs/sdks.md: v, path, clientId, counter, createdAt, body). */
export interface QueueFile {
  v: number;
  path: string;
  clientId: string;
  counter: number;
  body: { reportId: string };
}

/** Reads one queue file. */
export function readQueueFile(queueDir: string, name: string): QueueFile {
  return JSON.parse(readFileSync(join(queueDir, name), 'utf8')) as QueueFile;
}

/** One way of opting out: extra environment, and a file to write next to the run's queue folder first. */
export interface OptOutCase {
  name: string;
  env: Record<string, string>;
  prepare?: (queueDir: string) => void;
}

/**
 * The ways a user opts out (docs/sdks.md, Opt-out): DO_NOT_TRACK, DUMPCATCHER_DISABLED, a
 * config file named by DUMPCATCHER_CONFIG, and the default config file under XDG_CONFIG_HOME.
 */
export function optOutCases(dir: string): OptOutCase[] {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'dumpcatcher-config.json');
  writeFileSync(config, JSON.stringify({ enabled: false }));
  return [
    { name: 'DO_NOT_TRACK=1', env: { DO_NOT_TRACK: '1' } },
    { name: 'DUMPCATCHER_DISABLED=1', env: { DUMPCATCHER_DISABLED: '1' } },
    { name: 'DUMPCATCHER_CONFIG naming a file with {"enabled": false}', env: { DUMPCATCHER_CONFIG: config } },
    {
      name: '$XDG_CONFIG_HOME/dumpcatcher/config.json with {"enabled": false}',
      env: {},
      prepare: (queueDir) => {
        // programEnv puts XDG_CONFIG_HOME at <queueDir>/../xdg/config.
        const file = join(queueDir, '..', 'xdg', 'config', 'dumpcatcher', 'config.json');
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, JSON.stringify({ enabled: false }));
      },
    },
  ];
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A copy of a program file with `lines` comment lines added at the top, so every line number moves. */
export function writeShiftedCopy(source: string, dest: string, lines: number, comment: string): void {
  const text = readFileSync(source, 'utf8');
  const padding = Array.from({ length: lines }, (_, i) => `${comment} line added above the crash site (${i + 1})`).join(
    '\n',
  );
  mkdirSync(join(dest, '..'), { recursive: true });
  writeFileSync(dest, `${padding}\n${text}`);
}
