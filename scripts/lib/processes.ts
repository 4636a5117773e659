import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';

/** A process this project started, and how to stop it with everything it started. */
export interface Managed {
  name: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

const started = new Set<Managed>();
const spawnErrors = new WeakMap<ChildProcess, Error>();

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Pids of every live descendant of `root` (by walking /proc), deepest last. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** Pids whose command line contains every one of `needles`. */
export function pidsMatching(needles: string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (needles.every((n) => cmd.includes(n))) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, signal); // its process group, when it leads one
    } catch {
      // not a group leader
    }
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops a tree of processes: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopTree(pids: number[], graceMs = 5000): Promise<void> {
  signalAll(pids, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  const left = pids.filter(alive);
  if (left.length > 0) signalAll(left, 'SIGKILL');
}

/**
 * Starts a command in its own process group, logging to `logFile`. `extraPids` names processes
 * that escape the group (gcloud's Java emulator), found when stopping.
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; logFile: string; cwd?: string; extraPids?: () => number[] },
): Managed & { child: ChildProcess } {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: options.env ?? process.env, cwd: options.cwd });
  closeSync(fd);
  // A command that cannot be spawned (ENOENT) reports through 'error'; keep it from crashing the caller.
  child.on('error', (err) => {
    spawnErrors.set(child, err);
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command}): not found or not executable`);
  const pid = child.pid;
  const managed = {
    name,
    pid,
    child,
    logFile: options.logFile,
    async stop() {
      started.delete(managed);
      const tree = [pid, ...descendants(pid), ...(options.extraPids?.() ?? [])];
      await stopTree([...new Set(tree)]);
    },
  };
  started.add(managed);
  return managed;
}

/** Stops everything this process started (used on exit paths). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((m) => m.stop()));
}

/** Last lines of a log file, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` until it resolves true, the process dies, or `timeoutMs` passes. */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: { timeoutMs: number; child?: ChildProcess; logFile?: string }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const spawnError = options.child ? spawnErrors.get(options.child) : undefined;
    if (spawnError) throw new Error(`${what} could not be started: ${spawnError.message}`);
    if (options.child && options.child.exitCode !== null) {
      throw new Error(`${what} exited with code ${options.child.exitCode} before it was ready.\n${options.logFile ? tail(options.logFile) : ''}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready after ${options.timeoutMs} ms.\n${options.logFile ? tail(options.logFile) : ''}`);
}

/** True when an HTTP GET to `url` answers at all (any status). */
export async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}
