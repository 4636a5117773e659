package dev.dumpcatcher;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * The SDK's only output: lines on stderr. Debug lines are printed in debug mode alone; notices
 * (why a report is dropped or never sent, test/vectors/notices-v1.json) once per process per
 * reason, or every time in debug mode.
 */
final class DebugLog {
  /** Notice reasons of docs/sdks.md#no-silent-drop. */
  static final String CONFIG = "config";
  static final String UNAUTHENTICATED = "unauthenticated";
  static final String NOT_INGEST = "not-ingest";
  static final String REFUSED = "refused";
  static final String LIMITER = "limiter";
  static final String QUEUE_FULL = "queue-full";
  static final String SESSIONS_UNSUPPORTED = "sessions-unsupported";
  static final String OPT_OUT = "opt-out";

  // Reasons said in this process (ConcurrentHashMap.newKeySet is not on Android 21).
  private static final Set<String> SAID = Collections.synchronizedSet(new HashSet<String>());

  private final boolean enabled;

  DebugLog(boolean enabled) {
    this.enabled = enabled;
  }

  boolean enabled() {
    return enabled;
  }

  /** Forgets which notices were said (tests: each starts as a fresh process would). */
  static void forgetNotices() {
    SAID.clear();
  }

  /**
   * Says why reports are dropped or never sent: every time in debug mode; otherwise once per
   * process per reason, and an opt-out (the user's choice, not a problem) not at all.
   */
  void notice(String reason, String message) {
    if (!enabled && (OPT_OUT.equals(reason) || !SAID.add(reason))) return;
    print(message);
  }

  /** Prints one line prefixed with [dumpcatcher] when debug is on. */
  void log(String message) {
    if (!enabled) return;
    print(message);
  }

  private static void print(String message) {
    try {
      System.err.println("[dumpcatcher] " + message);
    } catch (RuntimeException e) {
      // stderr is gone; nothing else to tell.
    }
  }
}
