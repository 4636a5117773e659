package dev.dumpcatcher;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * The SDK's entry point. Every method is safe to call at any time: before {@link #init} and
 * after {@link #close} they do nothing, and none of them ever throws into the app.
 */
public final class Dumpcatcher {
  private static volatile Client client;
  private static final MetricRegistry DETACHED = new MetricRegistry();

  private Dumpcatcher() {}

  /** Configures the SDK (replacing, after closing, any earlier configuration). */
  public static synchronized void init(DumpcatcherOptions options) {
    try {
      Client old = client;
      client = null;
      if (old != null) old.close();
      if (options == null) return;
      Client c = new Client(options);
      c.start();
      client = c;
    } catch (Throwable t) {
      // Never throws into the app, but a failed init means no handler and no report: say so.
      reportInitFailure(options, t);
    }
  }

  /** In debug mode, prints why init failed (with the stack trace); otherwise stays silent. */
  static void reportInitFailure(DumpcatcherOptions options, Throwable t) {
    try {
      if (options == null || !options.debug()) return;
      StringWriter trace = new StringWriter();
      t.printStackTrace(new PrintWriter(trace));
      new DebugLog(true).log("init failed; no crash or usage will be reported: " + trace);
    } catch (Throwable ignored) {
      // Printing failed too (no stderr, out of memory); nothing more can be done.
    }
  }

  /** Queues a crash report for this exception. */
  public static void captureException(Throwable error) {
    captureException(error, null);
  }

  /** Queues a crash report with a label, tags, extra data or fingerprint. */
  public static void captureException(Throwable error, CaptureContext context) {
    Client c = client;
    if (c != null) c.captureException(error, context);
  }

  /** Adds a breadcrumb (category and message, level info) to the ring sent with the next crash reports. */
  public static void addBreadcrumb(String category, String message) {
    addBreadcrumb(category, message, "info", null);
  }

  /**
   * Adds a breadcrumb: level is debug, info, warning, error or fatal; data values are strings,
   * numbers, booleans or null (docs/sdk-java.md#breadcrumbs). Never throws.
   */
  public static void addBreadcrumb(String category, String message, String level, java.util.Map<String, ?> data) {
    Client c = client;
    if (c != null) c.addBreadcrumb(category, message, level, data);
  }

  /** Starts a release health session, ending the running one first; for apps that define their own sessions. */
  public static void startSession() {
    Client c = client;
    if (c != null) c.startSession();
  }

  /** Ends the running session and queues its report. */
  public static void endSession() {
    Client c = client;
    if (c != null) c.endSession();
  }

  /**
   * Android lifecycle: the app went to the background. Call it from a ProcessLifecycleOwner
   * observer's onStop, or when an ActivityLifecycleCallbacks count of started activities drops to 0.
   */
  public static void onAppBackground() {
    Client c = client;
    if (c != null) c.onAppBackground();
  }

  /** Android lifecycle: the app is in the foreground again (after 30 s or more in the background, a new session starts). */
  public static void onAppForeground() {
    Client c = client;
    if (c != null) c.onAppForeground();
  }

  /** Collects every registered metric and queues one usage report. */
  public static void reportUsage() {
    Client c = client;
    if (c != null) c.reportUsage();
  }

  /** The metric registry of the current client (a detached one before init). */
  public static MetricRegistry metrics() {
    Client c = client;
    return c != null ? c.metrics() : DETACHED;
  }

  /** Waits until every queued report is delivered (true) or the timeout passes (false). */
  public static boolean flush(long timeoutMs) {
    Client c = client;
    return c == null || c.flush(timeoutMs);
  }

  /** Flushes for shutdownTimeoutMs, removes the hooks and turns every later call into a no-op. */
  public static synchronized void close() {
    Client c = client;
    client = null;
    if (c != null) {
      try {
        c.close();
      } catch (Throwable t) {
        // Never throws into the app.
      }
    }
  }

  /** Whether reports are currently being queued and sent. */
  public static boolean isActive() {
    Client c = client;
    return c != null && c.isActive();
  }

  /** The current client, for tests and advanced use; null before init and after close. */
  static Client client() {
    return client;
  }
}
