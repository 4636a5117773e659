/**
 * The hand-off at exit (docs/sdk-node.md, "A crash always leaves"): when a process dies with
 * reports it never got to send (an uncaught crash, or `process.exit()` right after a capture),
 * a detached child (`exit-sender`) sends the queue folder and outlives it, bounded in time and
 * memory. The child reads the queue and the sender of this SDK, so the queue files and the
 * server's dedup keep every report exactly once whoever sends it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QueueLimits } from './queue.ts';

/** What the child needs to send the queue folder; passed in its environment, never on its command line. */
export interface HandoffConfig {
  endpoint: string;
  productKey: string;
  secret: string;
  queueDir: string;
  limits: QueueLimits;
  gzipThresholdBytes: number;
  requestTimeoutMs: number;
  /** How long the child may spend sending: the app's shutdownTimeoutMs plus HANDOFF_GRACE_MS. */
  timeoutMs: number;
}

/** The environment variable that carries the HandoffConfig to the child. */
export const HANDOFF_ENV = 'DUMPCATCHER_EXIT_SENDER';
/** Time the child gets beyond shutdownTimeoutMs: a TCP and TLS setup and one answer. */
export const HANDOFF_GRACE_MS = 5000;
/** The child's V8 heap limit: the queue is at most maxQueueBytes (10 MiB by default) and read one file at a time. */
export const HANDOFF_HEAP_MB = 64;

// What the child takes from the app's environment: how to reach the ingest, nothing else
// (no NODE_OPTIONS, which could load the app's own code into the child).
const PASSED_ENV = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'SYSTEMROOT',
  'SystemRoot',
];

/** Starts a detached child that sends the queue; true when it started. Synchronous: it runs in the `exit` hook. */
export type SpawnExitSender = (config: HandoffConfig) => boolean;

/** The environment of the child: the config, the proxy and certificate variables of `env`. */
export function handoffEnv(config: HandoffConfig, env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = { [HANDOFF_ENV]: JSON.stringify(config) };
  for (const name of PASSED_ENV) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  // An Electron app's execPath is Electron itself: this makes it run the script as plain Node.
  if (process.versions.electron !== undefined) out.ELECTRON_RUN_AS_NODE = '1';
  return out;
}

/**
 * The file this module was loaded from, as V8 knows it (a path in the CommonJS build, a
 * file: URL in the ES module build), read from a call site so that one source serves both
 * builds; a `prepareStackTrace` of the app or of source-map-support does not change it.
 */
function ownFile(): string | null {
  const previous = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_err, callSites) => callSites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, ownFile);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    const file = sites?.[0]?.getFileName();
    if (typeof file !== 'string' || file === '') return null;
    return file.startsWith('file:') ? fileURLToPath(file) : file;
  } catch {
    return null;
  } finally {
    Error.prepareStackTrace = previous;
  }
}

/** The child's script beside this module (`exit-sender.js`, or `.ts` when run from source), or null. */
export function exitSenderScript(): string | null {
  const here = ownFile();
  if (here === null || basename(here, extname(here)) !== 'handoff') return null;
  const script = join(dirname(here), `exit-sender${extname(here)}`);
  return existsSync(script) ? script : null;
}

/**
 * The real SpawnExitSender: `node exit-sender.js`, detached (its own process group, so the
 * terminal's Ctrl-C or the app's death does not take it along), not waited for; it shares the
 * app's stderr only when that is a terminal, so a refusal it meets is said where the app's were.
 */
export function createExitSenderSpawner(env: Record<string, string | undefined>): SpawnExitSender {
  return (config) => {
    const script = exitSenderScript();
    if (script === null) return false;
    // Run from TypeScript source (the SDK's own tests), the child needs the same loader as this process.
    const loader = script.endsWith('.ts') ? process.execArgv : [];
    const child = spawn(process.execPath, [...loader, `--max-old-space-size=${HANDOFF_HEAP_MB}`, script], {
      detached: true,
      // A terminal gets the child's notices; a pipe or file is not held open by it, so a shell
      // pipeline or a parent reading the app's stderr is not kept waiting for the child.
      stdio: ['ignore', 'ignore', process.stderr.isTTY ? 'inherit' : 'ignore'],
      env: handoffEnv(config, env),
      windowsHide: true,
    });
    // A failed start (ENOENT, EAGAIN) arrives as an event; without a listener it would be thrown.
    child.on('error', () => undefined);
    child.unref();
    return child.pid !== undefined;
  };
}
