/** The debug log: `[dumpcatcher] …` lines on stderr, with `debug: true` or `NODE_DEBUG=dumpcatcher`. */
import { format as formatLog } from 'node:util';

/** True when `NODE_DEBUG` names dumpcatcher: Node's usual debug channel. */
function debugChannelOn(env: Record<string, string | undefined>): boolean {
  return /\bdumpcatcher\b/i.test(env.NODE_DEBUG ?? '');
}

/** Writes one debug line from `util.format`-style arguments; a no-op when debug output is off. */
export type DebugLog = (...args: unknown[]) => void;

/**
 * The log of one client: on when `debug` is set or `NODE_DEBUG` names dumpcatcher; every line
 * has `secret` replaced by `<redacted>`, whatever a message happens to contain.
 */
export function createDebugLog(
  debug: boolean,
  env: Record<string, string | undefined>,
  secret: string,
  writeStderr: (text: string) => void,
): DebugLog {
  const nodeDebug = debugChannelOn(env);
  return (...args) => {
    if (!debug && !nodeDebug) return;
    let line = formatLog(...args);
    if (secret !== '') line = line.split(secret).join('<redacted>');
    writeStderr(`[dumpcatcher] ${line}\n`);
  };
}

/** Why a report was dropped or never sent (test/vectors/notices-v1.json). */
export type NoticeReason =
  | 'config'
  | 'unauthenticated'
  | 'not-ingest'
  | 'refused'
  | 'limiter'
  | 'queue-full'
  | 'sessions-unsupported'
  | 'opt-out';

/** Says why reports are dropped or never sent: a `[dumpcatcher] …` line on stderr. */
export type Notice = (reason: NoticeReason, message: string) => void;

// Said only in debug mode: an opt-out is the user's choice, not a problem to point out.
const DEBUG_ONLY: ReadonlySet<NoticeReason> = new Set(['opt-out']);

// Reasons said in this process, on globalThis so that the ESM and CommonJS builds share them.
const SAID_KEY = Symbol.for('dumpcatcher.node.notices');

function processSaid(): Set<NoticeReason> {
  const holder = globalThis as typeof globalThis & { [SAID_KEY]?: Set<NoticeReason> };
  holder[SAID_KEY] ??= new Set();
  return holder[SAID_KEY];
}

/**
 * The notices of one client (docs/sdks.md#no-silent-drop): each reason once per process, or
 * every time in debug mode (`debug` or `NODE_DEBUG=dumpcatcher`); `opt-out` in debug mode only.
 * `said` is the set of reasons already said (the process's own unless a test gives one).
 */
export function createNotice(
  debug: boolean,
  env: Record<string, string | undefined>,
  secret: string,
  writeStderr: (text: string) => void,
  said: Set<NoticeReason> = processSaid(),
): Notice {
  const verbose = debug || debugChannelOn(env);
  return (reason, message) => {
    if (!verbose) {
      if (DEBUG_ONLY.has(reason) || said.has(reason)) return;
      said.add(reason);
    }
    const line = secret === '' ? message : message.split(secret).join('<redacted>');
    writeStderr(`[dumpcatcher] ${line}\n`);
  };
}

/** Debug mode's stand-in for sending: the report as it would have been posted (already scrubbed). */
export function printDebugReport(writeStderr: (text: string) => void, path: string, body: object): void {
  writeStderr(
    `[dumpcatcher] debug: would send POST ${path} (nothing sent, nothing written)\n${JSON.stringify(body, null, 2)}\n`,
  );
}
