/** What the process hooks call into; each must be synchronous and must not throw. */
export interface HookHandlers {
  /** The process is about to die of this error (or, if the app has its own handler, to run it). */
  onUncaught(error: unknown, origin: string): void;
  /** A rejection nobody handled, seen only when the app has its own `unhandledRejection` handler. */
  onUnhandledRejection(reason: unknown): void;
  /** The event loop ran dry: time for a last flush. */
  onBeforeExit(): void;
  /** The process is exiting (only synchronous work is possible). */
  onExit(): void;
}

type Listener = (...args: unknown[]) => void;

/**
 * Installs the hooks without changing how the process behaves:
 * - `uncaughtExceptionMonitor` observes every uncaught exception, and every unhandled rejection
 *   that Node is about to raise as one, before any `uncaughtException` handler and before Node's
 *   default print-and-exit. Adding it changes nothing else.
 * - An `unhandledRejection` listener would change Node's default (a listener means "handled",
 *   so the process would no longer die). So ours is attached only while the app has one of its
 *   own, and removed when the app removes its last one.
 * - `beforeExit` for the exit flush, `exit` to save the limiter's counts.
 * Returns a function that removes all of them.
 */
export function installHooks(proc: NodeJS.Process, handlers: HookHandlers, captureUncaught: boolean): () => void {
  const monitor: Listener = (error, origin) =>
    handlers.onUncaught(error, typeof origin === 'string' ? origin : 'uncaughtException');
  const rejection: Listener = (reason) => handlers.onUnhandledRejection(reason);
  const beforeExit: Listener = () => handlers.onBeforeExit();
  const exit: Listener = () => handlers.onExit();
  let rejectionAttached = false;

  const appRejectionListeners = (): number =>
    proc.listeners('unhandledRejection').filter((listener) => listener !== rejection).length;
  const attachRejection = (): void => {
    if (rejectionAttached) return;
    rejectionAttached = true;
    proc.prependListener('unhandledRejection', rejection);
  };
  const onNewListener: Listener = (event, listener) => {
    if (event === 'unhandledRejection' && listener !== rejection) attachRejection();
  };
  const onRemoveListener: Listener = (event, listener) => {
    if (event !== 'unhandledRejection' || listener === rejection || !rejectionAttached) return;
    if (appRejectionListeners() === 0) {
      rejectionAttached = false;
      proc.removeListener('unhandledRejection', rejection);
    }
  };

  if (captureUncaught) {
    proc.on('uncaughtExceptionMonitor', monitor);
    if (appRejectionListeners() > 0) attachRejection();
    proc.on('newListener', onNewListener);
    proc.on('removeListener', onRemoveListener);
  }
  proc.on('beforeExit', beforeExit);
  proc.on('exit', exit);

  return () => {
    proc.removeListener('beforeExit', beforeExit);
    proc.removeListener('exit', exit);
    if (!captureUncaught) return;
    proc.removeListener('uncaughtExceptionMonitor', monitor);
    proc.removeListener('newListener', onNewListener);
    proc.removeListener('removeListener', onRemoveListener);
    if (rejectionAttached) {
      rejectionAttached = false;
      proc.removeListener('unhandledRejection', rejection);
    }
  };
}
