package dev.dumpcatcher;

/**
 * The default uncaught-exception handler: queues the crash synchronously (the file is on disk
 * before the thread dies), then hands over to the handler that was installed before it.
 */
final class UncaughtHandler implements Thread.UncaughtExceptionHandler {
  private final Client client;
  private final Thread.UncaughtExceptionHandler previous;
  private volatile boolean attached = true;

  UncaughtHandler(Client client, Thread.UncaughtExceptionHandler previous) {
    this.client = client;
    this.previous = previous;
  }

  Thread.UncaughtExceptionHandler previous() {
    return previous;
  }

  /** After close the handler only delegates, in case another one was installed over it. */
  void detach() {
    attached = false;
  }

  @Override
  public void uncaughtException(Thread thread, Throwable error) {
    if (attached) {
      try {
        client.captureUncaught(error);
      } catch (Throwable t) {
        // Never let reporting hide the original crash.
      }
    }
    if (previous != null) {
      previous.uncaughtException(thread, error);
    } else {
      // What ThreadGroup.uncaughtException prints when no default handler is set.
      if (!(error instanceof ThreadDeath)) {
        System.err.print("Exception in thread \"" + thread.getName() + "\" ");
        error.printStackTrace(System.err);
      }
    }
  }
}
