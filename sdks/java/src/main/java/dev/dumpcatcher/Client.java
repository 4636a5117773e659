package dev.dumpcatcher;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * One configured SDK instance: builds, scrubs, limits and queues reports, and owns the sender
 * thread and the process hooks. {@link Dumpcatcher} holds the process-wide one.
 */
public final class Client {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");
  private static final Pattern ENVIRONMENT = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  static final String DEFAULT_ENVIRONMENT = "production";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What init decided. */
  enum Mode { DISABLED, DEBUG, ACTIVE }

  private final DumpcatcherOptions options;
  private final Mode mode;
  private final String disabledReason;
  private final DebugLog log;
  private final Scrubber scrubber;
  private final MetricRegistry metrics = new MetricRegistry();
  private final String clientId;
  private final AtomicLong counter = new AtomicLong();
  private final DiskQueue queue;
  private final Limiter limiter;
  private final Sender sender;
  private final String installId;
  private final SessionBook sessions;
  private final SessionMarker marker;
  private final String environmentName;
  private final Breadcrumbs breadcrumbs;
  private LogBreadcrumbs logBreadcrumbs;
  private final Object sessionLock = new Object();
  private volatile boolean closed;
  // Invalid options disabled the SDK: flush() must not say all went well.
  private final boolean misconfigured;
  private UncaughtHandler uncaughtHandler;
  private Thread shutdownHook;

  /** Creates a client; never throws. Call {@link #start()} to install hooks and start sending. */
  public Client(DumpcatcherOptions options) {
    this.options = options;
    this.log = new DebugLog(options.debug());
    this.clientId = newId();
    String reason;
    boolean optedOut = false;
    boolean invalid = false;
    try {
      reason = Consent.optOutReason(options, options.environment() == null ? Environment.SYSTEM : options.environment());
      optedOut = reason != null;
      if (reason == null) {
        reason = invalidOptions(options);
        invalid = reason != null;
      }
    } catch (RuntimeException e) {
      reason = "init failed: " + e;
    }
    Mode m = reason != null ? Mode.DISABLED : options.debug() ? Mode.DEBUG : Mode.ACTIVE;
    this.scrubber = Scrubber.forProcess(options.secret());
    String env = null;
    try {
      env = environmentOf(options);
    } catch (RuntimeException e) {
      // Reported by invalidOptions already, or the SDK is disabled.
    }
    this.environmentName = env == null ? DEFAULT_ENVIRONMENT : env;
    this.breadcrumbs = new Breadcrumbs(Math.max(0, Math.min(100, options.maxBreadcrumbs())), scrubber);
    DiskQueue q = null;
    Limiter lim = null;
    Sender s = null;
    String install = null;
    if (m == Mode.ACTIVE) {
      try {
        File dir = options.queueDir() != null ? options.queueDir()
            : Consent.defaultQueueDir(options.environment() == null ? Environment.SYSTEM : options.environment(),
                options.productKey());
        DiskQueue.makeDirs(dir);
        q = new DiskQueue(dir, options.maxQueueFiles(), options.maxQueueBytes(), options.maxQueueAgeSeconds());
        lim = new Limiter(dir, options.maxReportsPerFingerprint(), options.limiterWindowSeconds());
        Transport t = options.transport() != null ? options.transport() : new HttpTransport();
        s = new Sender(q, lim, t, options, log);
        if (options.installId()) install = loadInstallId(dir);
      } catch (IOException | RuntimeException e) {
        reason = "queue folder unusable: " + e;
        m = Mode.DISABLED;
        q = null;
        lim = null;
        s = null;
      }
    }
    this.mode = m;
    this.disabledReason = reason;
    this.queue = q;
    this.limiter = lim;
    this.sender = s;
    this.installId = install;
    this.sessions = new SessionBook(new SessionBook.Owner(Text.cut(options.appName() == null ? "" : options.appName(), 128),
        Text.cut(options.appVersion() == null ? "" : options.appVersion(), 64), install, environmentName));
    this.marker = q != null ? new SessionMarker(q.dir(), clientId) : null;
    if (s != null) {
      s.onSessionsRefused(new Runnable() {
        @Override
        public void run() {
          synchronized (sessionLock) {
            if (marker != null) marker.remove();
          }
        }
      });
    }
    if (m != Mode.DISABLED) {
      for (Metric builtin : BuiltinMetrics.all(options.appVersion())) metrics.register(builtin);
      if (options.discoverMetrics()) metrics.discover(discoveryLoader());
      for (Metric extra : options.metrics()) metrics.register(extra);
    }
    this.misconfigured = invalid;
    if (optedOut) {
      log.notice(DebugLog.OPT_OUT, "SDK disabled: opted out by " + reason);
    } else if (m == Mode.DISABLED) {
      log.notice(DebugLog.CONFIG, "SDK disabled, nothing will be reported: " + reason);
    }
  }

  private static ClassLoader discoveryLoader() {
    ClassLoader l = Thread.currentThread().getContextClassLoader();
    return l != null ? l : Client.class.getClassLoader();
  }

  /**
   * Why the options cannot work, or null (test/vectors/options-v1.json). Debug mode checks the
   * same options although it sends nothing: a configuration tried in debug mode must work when
   * debug is turned off.
   */
  static String invalidOptions(DumpcatcherOptions o) {
    if (empty(o.endpoint()) || !(o.endpoint().startsWith("http://") || o.endpoint().startsWith("https://"))) {
      return "endpoint must be an http(s) URL";
    }
    if (o.productKey() == null || !ID.matcher(o.productKey()).matches()) return "productKey is missing or malformed";
    if (empty(o.secret())) return "secret is required";
    if (empty(o.appName()) || empty(o.appVersion())) return "appName and appVersion are required";
    if (!(o.sampleRate() >= 0 && o.sampleRate() <= 1)) return "sampleRate must be from 0 to 1";
    if (environmentOf(o) == null) {
      return "environment must match [A-Za-z0-9_.-]{1,64} (the environment option, else DUMPCATCHER_ENVIRONMENT)";
    }
    if (o.maxBreadcrumbs() < 0 || o.maxBreadcrumbs() > 100) return "maxBreadcrumbs must be from 0 to 100";
    for (String kind : o.autoBreadcrumbKinds().keySet()) {
      if (!LogBreadcrumbs.KIND.equals(kind)) {
        return "autoBreadcrumbs names an unknown kind (" + kind + "); the Java SDK has: " + LogBreadcrumbs.KIND;
      }
    }
    long[] numbers = {o.maxQueueFiles(), o.maxQueueBytes(), o.maxQueueAgeSeconds(), o.gzipThresholdBytes(),
        o.maxReportsPerFingerprint(), o.limiterWindowSeconds(), o.shutdownTimeoutMs(), o.requestTimeoutMs()};
    for (long n : numbers) {
      if (n < 0) return "maxQueueFiles, maxQueueBytes, maxQueueAgeSeconds, gzipThresholdBytes, "
          + "maxReportsPerFingerprint, limiterWindowSeconds, shutdownTimeoutMs and requestTimeoutMs must not be negative";
    }
    return null;
  }

  /**
   * The environment the options give: the option, else DUMPCATCHER_ENVIRONMENT (when set and not
   * empty), else production; null when the one that applies is malformed.
   */
  static String environmentOf(DumpcatcherOptions o) {
    String name = o.environmentName();
    if (name == null) {
      Environment env = o.environment() == null ? Environment.SYSTEM : o.environment();
      String fromEnv = env.get("DUMPCATCHER_ENVIRONMENT");
      name = fromEnv == null || fromEnv.isEmpty() ? DEFAULT_ENVIRONMENT : fromEnv;
    }
    return ENVIRONMENT.matcher(name).matches() ? name : null;
  }

  /** The environment every report of this client carries. */
  String environmentName() {
    return environmentName;
  }

  private static boolean empty(String s) {
    return s == null || s.isEmpty();
  }

  /** 16 random bytes, base64url without padding (22 chars). */
  static String newId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return Text.base64Url(bytes);
  }

  private static String loadInstallId(File dir) throws IOException {
    File file = new File(dir, "install-id");
    if (file.isFile()) {
      String existing = new String(DiskQueue.readAll(file), StandardCharsets.UTF_8).trim();
      if (ID.matcher(existing).matches()) return existing;
    }
    String id = newId();
    DiskQueue.writeAtomically(file, id.getBytes(StandardCharsets.UTF_8), true);
    return id;
  }

  /** Sends what earlier runs left, and installs the uncaught-exception handler and shutdown hook. */
  void start() {
    if (mode == Mode.DISABLED) return;
    if (mode == Mode.ACTIVE) {
      // The sender's first pass scans the folder and sends what earlier runs left.
      sender.start();
      sender.requestRescan();
    }
    startSessions(options.autoSessionTracking());
    if (options.maxBreadcrumbs() > 0 && options.autoBreadcrumbs(LogBreadcrumbs.KIND)) {
      logBreadcrumbs = LogBreadcrumbs.install(this);
    }
    if (options.captureUncaught()) {
      uncaughtHandler = new UncaughtHandler(this, Thread.getDefaultUncaughtExceptionHandler());
      Thread.setDefaultUncaughtExceptionHandler(uncaughtHandler);
    }
    if (mode == Mode.ACTIVE) {
      shutdownHook = new Thread(new Runnable() {
        @Override
        public void run() {
          finishSession("ok", false);
          flush(options.shutdownTimeoutMs());
          if (queue != null) queue.close();
        }
      }, "dumpcatcher-shutdown");
      try {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
      } catch (IllegalStateException | SecurityException e) {
        shutdownHook = null;
      }
    }
  }

  /** Whether reports are queued and sent (not disabled, not debug, not closed). */
  public boolean isActive() {
    return mode == Mode.ACTIVE && !closed;
  }

  Mode mode() {
    return mode;
  }

  /** Why init disabled the SDK, or null. */
  String disabledReason() {
    return disabledReason;
  }

  /** This process's client id. */
  public String clientId() {
    return clientId;
  }

  /** The registry that {@link #reportUsage()} collects. */
  public MetricRegistry metrics() {
    return metrics;
  }

  /** The disk queue, or null when not active. */
  DiskQueue queue() {
    return queue;
  }

  Sender sender() {
    return sender;
  }

  /**
   * Adds a breadcrumb to the ring sent with the next crash reports (docs/sdks.md#breadcrumbs):
   * level is debug, info, warning, error or fatal (anything else: info); data values that are not
   * strings, numbers, booleans or null are left out. Scrubbed now; never throws.
   */
  public void addBreadcrumb(String category, String message, String level, Map<String, ?> data) {
    if (closed || mode == Mode.DISABLED) return;
    try {
      breadcrumbs.add(category, message, level, data, System.currentTimeMillis());
    } catch (Throwable t) {
      log.log("addBreadcrumb failed: " + t);
    }
  }

  /** Builds, scrubs, limits and queues a crash report on the caller's thread; never throws. */
  public void captureException(Throwable error, CaptureContext context) {
    if (error != null) markErrored();
    capture(error, context, false);
  }

  /**
   * The uncaught-exception path: like captureException, and the limiter's count is written at
   * once; then the session ends as crashed, its report on disk before the thread dies.
   */
  void captureUncaught(Throwable error) {
    capture(error, null, true);
    finishSession("crashed", true);
  }

  // ---- sessions (docs/sdks.md#sessions) ------------------------------------------------------

  /** Starts a release health session, ending the running one first (its report is queued); never throws. */
  public void startSession() {
    if (closed || mode == Mode.DISABLED) return;
    try {
      synchronized (sessionLock) {
        Map<String, Object> ended = sessions.start(options.clock().nowMillis());
        if (ended != null) queueSessions(ended, false);
        saveMarker(false);
      }
    } catch (Throwable t) {
      log.log("startSession failed: " + t);
    }
  }

  /** Ends the running session and queues its report (ok, or errored after a handled error); never throws. */
  public void endSession() {
    if (closed) return;
    finishSession("ok", false);
  }

  /**
   * The app went to the background (Android: the last activity stopped, or
   * ProcessLifecycleOwner's ON_STOP). Never throws.
   */
  public void onAppBackground() {
    if (closed || mode == Mode.DISABLED) return;
    try {
      synchronized (sessionLock) {
        sessions.background(options.clock().nowMillis());
        saveMarker(false);
      }
    } catch (Throwable t) {
      log.log("onAppBackground failed: " + t);
    }
  }

  /**
   * The app came back to the foreground: after 30 s or more in the background the session ends
   * and a new one starts (Sentry's rule); a shorter background keeps it. Never throws.
   */
  public void onAppForeground() {
    if (closed || mode == Mode.DISABLED) return;
    try {
      synchronized (sessionLock) {
        Map<String, Object> ended = sessions.foreground(options.clock().nowMillis());
        if (ended != null) queueSessions(ended, false);
        saveMarker(false);
      }
    } catch (Throwable t) {
      log.log("onAppForeground failed: " + t);
    }
  }

  /**
   * At start: the process session begins (unless autoSessionTracking is off), and the sessions
   * earlier processes left without an end become reports (or ride with this one's).
   */
  private void startSessions(boolean auto) {
    try {
      synchronized (sessionLock) {
        if (auto) sessions.start(options.clock().nowMillis());
        if (marker == null) return;
        List<File> claimed = new ArrayList<File>();
        List<SessionBook.Found> found = marker.claimDead(claimed);
        for (Map<String, Object> other : sessions.found(found)) queueSessions(other, false);
        // The marker carries this release's found sessions before their own markers go.
        saveMarker(!claimed.isEmpty());
        for (File f : claimed) f.delete();
        if (!found.isEmpty()) log.log("found " + found.size() + " session(s) that ended without an end");
      }
    } catch (Throwable t) {
      log.log("could not start the session: " + t);
    }
  }

  private boolean sessionsOn() {
    return sender == null || !sender.sessionsRefused();
  }

  private void queueSessions(Map<String, Object> whole, boolean durable) throws IOException {
    if (!sessionsOn()) return;
    long now = options.clock().nowMillis();
    for (Map<String, Object> part : SessionBook.split(whole)) {
      Map<String, Object> report = new LinkedHashMap<String, Object>();
      report.put("reportId", UUID.randomUUID().toString());
      report.put("occurredAt", Text.rfc3339(now));
      report.putAll(part);
      if (mode == Mode.DEBUG) printDebug("/v1/sessions", report);
      else enqueue("/v1/sessions", report, System.currentTimeMillis(), durable);
    }
  }

  /** The marker says what runs now: written while a session runs, gone when none does. */
  private void saveMarker(boolean durable) {
    if (marker == null) return;
    try {
      if (sessions.current() != null && sessionsOn()) marker.write(sessions.owner, sessions.current(), sessions.carried(), durable);
      else marker.remove();
    } catch (IOException | RuntimeException e) {
      log.log("could not write the session marker: " + e);
    }
  }

  private void markErrored() {
    if (closed || mode == Mode.DISABLED) return;
    try {
      synchronized (sessionLock) {
        if (sessions.markErrored()) saveMarker(false);
      }
    } catch (Throwable t) {
      log.log("could not mark the session errored: " + t);
    }
  }

  private void finishSession(String status, boolean durable) {
    if (mode == Mode.DISABLED) return;
    try {
      synchronized (sessionLock) {
        Map<String, Object> ended = sessions.end(status);
        if (ended != null) queueSessions(ended, durable);
        saveMarker(durable);
      }
    } catch (Throwable t) {
      log.log("could not end the session: " + t);
    }
  }

  private void capture(Throwable error, CaptureContext context, boolean dying) {
    if (error == null || closed || mode == Mode.DISABLED) return;
    try {
      double rate = options.sampleRate();
      if (rate < 1.0 && RANDOM.nextDouble() >= rate) return;
      long now = System.currentTimeMillis();
      Map<String, Object> report = Reports.crash(error, context, options, scrubber, installId, now,
          environmentName, breadcrumbs.snapshot());
      if (options.beforeSend() != null) {
        report = options.beforeSend().apply(report);
        if (report == null) {
          log.log("beforeSend dropped a report");
          return;
        }
      }
      // Measured on the JSON the queue stores and the sender sends, after beforeSend.
      BodyFit.Fitted fitted = BodyFit.fit(report, Json.write(report, 4096), log);
      report = fitted.report;
      if (mode == Mode.DEBUG) {
        printDebugJson("/v1/crashes", fitted.json);
        return;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> exception = (Map<String, Object>) report.get("exception");
      String fingerprint = Limiter.localFingerprint(
          exception == null ? null : String.valueOf(exception.get("type")),
          exception == null ? null : String.valueOf(exception.get("stacktrace")),
          report.get("fingerprint") instanceof String ? (String) report.get("fingerprint") : null);
      if (!limiter.tryAcquire(fingerprint, now)) {
        log.notice(DebugLog.LIMITER, "a crash report was dropped by the client-side limiter (more than "
            + options.maxReportsPerFingerprint() + " per " + options.limiterWindowSeconds() + " s with one fingerprint)");
        return;
      }
      // Only the uncaught path syncs the file: docs/sdks.md lets a handled capture skip the fsync
      // (it guards against power loss, not against the process dying), which is most of its cost.
      enqueueJson("/v1/crashes", fitted.json, now, dying);
      // The process is about to die: the sender will not get to write the count.
      if (dying) limiter.persist(true);
    } catch (Throwable t) {
      log.log("captureException failed: " + t);
    }
  }

  /** Collects every registered metric and queues one usage report; never throws. */
  public void reportUsage() {
    if (closed || mode == Mode.DISABLED) return;
    try {
      long now = System.currentTimeMillis();
      Map<String, Object> report = Reports.usage(metrics.collect(), options, scrubber, installId, now,
          environmentName);
      if (report == null) {
        log.log("no metric produced a value; no usage report");
        return;
      }
      if (mode == Mode.DEBUG) {
        printDebug("/v1/usage", report);
        return;
      }
      enqueue("/v1/usage", report, now, false);
    } catch (Throwable t) {
      log.log("reportUsage failed: " + t);
    }
  }

  private void enqueue(String path, Map<String, Object> body, long now, boolean durable) throws IOException {
    enqueueJson(path, Json.write(body, 4096), now, durable);
  }

  private void enqueueJson(String path, String bodyJson, long now, boolean durable) throws IOException {
    QueuedReport queued = new QueuedReport(path, clientId, counter.incrementAndGet(), now, bodyJson);
    queue.write(queued, durable);
    sender.queueDropped(queue.enforceBoundsQuickly(now));
    sender.wake();
  }

  private void printDebug(String path, Map<String, Object> report) {
    printDebugJson(path, Json.write(report));
  }

  private void printDebugJson(String path, String json) {
    try {
      System.err.println("[dumpcatcher] debug: would POST " + path + " " + json);
    } catch (RuntimeException e) {
      // stderr is gone.
    }
  }

  /**
   * Waits until the queue is empty or the timeout passes; true only when it emptied and no report
   * was refused or dropped unsent since the last flush (false, too, while invalid options disabled
   * the SDK); never throws.
   */
  public boolean flush(long timeoutMs) {
    if (mode != Mode.ACTIVE) return !misconfigured;
    try {
      Boolean done = sender.awaitPass(sender.requestRescan(), Math.max(0, timeoutMs));
      return sender.takeDropped() == 0 && done != null && done;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Throwable t) {
      log.log("flush failed: " + t);
      return false;
    }
  }

  /** Flushes for shutdownTimeoutMs, stops the sender and removes the hooks; later calls do nothing. */
  public void close() {
    if (closed) return;
    try {
      finishSession("ok", false);
      flush(options.shutdownTimeoutMs());
      if (limiter != null) limiter.persist();
    } finally {
      closed = true;
      removeHooks();
      if (sender != null) sender.stop();
      if (queue != null) queue.close();
    }
  }

  private void removeHooks() {
    try {
      if (logBreadcrumbs != null) logBreadcrumbs.remove();
      if (uncaughtHandler != null) {
        uncaughtHandler.detach();
        if (Thread.getDefaultUncaughtExceptionHandler() == uncaughtHandler) {
          Thread.setDefaultUncaughtExceptionHandler(uncaughtHandler.previous());
        }
      }
      if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      }
    } catch (IllegalStateException | SecurityException e) {
      // The JVM is already shutting down; the hooks go with it.
    }
  }
}
