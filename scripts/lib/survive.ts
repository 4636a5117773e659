/**
 * Keeps a long-running local process (`npm start`) serving through an unexpected error in one of
 * its own servers or timers: the error is logged with its stack and the process carries on,
 * instead of exiting and taking every emulator and function down with it. Never for deployed
 * code: there the platform restarts a crashed instance.
 */
export function surviveUnexpectedErrors(log: (line: string) => void = (line) => console.error(line)): void {
  const report = (what: string) => (err: unknown) =>
    log(`${what}, still running: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.on('uncaughtException', report('unexpected error'));
  process.on('unhandledRejection', report('unhandled rejection'));
}
