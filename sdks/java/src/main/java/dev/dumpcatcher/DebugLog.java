package dev.dumpcatcher;

/** The SDK's only output: lines on stderr, printed in debug mode alone. */
final class DebugLog {
  private final boolean enabled;

  DebugLog(boolean enabled) {
    this.enabled = enabled;
  }

  boolean enabled() {
    return enabled;
  }

  /** Prints one line prefixed with [dumpcatcher] when debug is on. */
  void log(String message) {
    if (!enabled) return;
    try {
      System.err.println("[dumpcatcher] " + message);
    } catch (RuntimeException e) {
      // stderr is gone; nothing else to tell.
    }
  }
}
