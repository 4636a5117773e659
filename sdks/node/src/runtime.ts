import { homedir, userInfo } from 'node:os';
import { createExitSenderSpawner } from './handoff.ts';
import type { SpawnExitSender } from './handoff.ts';
import type { NoticeReason } from './log.ts';
import type { ProcessProbe } from './session-markers.ts';
import type { Transport, TransportSettings } from './transport.ts';

/** What the client takes from its surroundings; tests replace parts of it. */
export interface ClientRuntime {
  env: Record<string, string | undefined>;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Uniform in [0, 1): sampling and backoff jitter. */
  random: () => number;
  homeDir: string;
  userName: string;
  platform: NodeJS.Platform;
  /** Where debug output goes (one line or block per call). */
  writeStderr: (text: string) => void;
  /** The process whose events the hooks listen to. */
  process: NodeJS.Process;
  /** Tells whether the process that wrote a session marker still runs (default: the operating system). */
  processProbe?: ProcessProbe;
  /** Makes the transport; replaced only by tests and the benchmark (default: HTTP). */
  makeTransport?: (settings: TransportSettings) => Transport;
  /** Notice reasons already said (log.ts); default: the process's own set. Tests give a fresh one. */
  noticesSaid?: Set<NoticeReason>;
  /** Starts the detached sender of the hand-off at exit (handoff.ts); tests record it instead. */
  spawnExitSender?: SpawnExitSender;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

function safeHomeDir(): string {
  try {
    return homedir();
  } catch {
    return '';
  }
}

/** The real surroundings: process environment, clock, randomness, stderr. */
export function defaultRuntime(): ClientRuntime {
  return {
    env: process.env,
    now: () => Date.now(),
    random: Math.random,
    homeDir: safeHomeDir(),
    userName: safeUserName(),
    platform: process.platform,
    writeStderr: (text) => {
      try {
        process.stderr.write(text);
      } catch {
        // stderr closed: nothing else to do.
      }
    },
    process,
    spawnExitSender: createExitSenderSpawner(process.env),
  };
}
