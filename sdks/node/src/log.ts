/** The debug log: `[dumpcatcher] …` lines on stderr, with `debug: true` or `NODE_DEBUG=dumpcatcher`. */
import { format as formatLog } from 'node:util';

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
  const nodeDebug = /\bdumpcatcher\b/i.test(env.NODE_DEBUG ?? '');
  return (...args) => {
    if (!debug && !nodeDebug) return;
    let line = formatLog(...args);
    if (secret !== '') line = line.split(secret).join('<redacted>');
    writeStderr(`[dumpcatcher] ${line}\n`);
  };
}

/** Debug mode's stand-in for sending: the report as it would have been posted (already scrubbed). */
export function printDebugReport(writeStderr: (text: string) => void, path: string, body: object): void {
  writeStderr(
    `[dumpcatcher] debug: would send POST ${path} (nothing sent, nothing written)\n${JSON.stringify(body, null, 2)}\n`,
  );
}
