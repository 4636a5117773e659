package dev.dumpcatcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

/** The background daemon thread that sends queued reports, oldest first, with retries. */
final class Sender implements Runnable {
  /** Attempts per report in one process; after that it waits in the queue for the next start. */
  static final int MAX_ATTEMPTS = 8;
  private static final String USER_AGENT = "dumpcatcher-java/0.1.0";

  private final DiskQueue queue;
  private final Transport transport;
  private final DumpcatcherOptions options;
  private final DebugLog log;
  private final Random random = new Random();
  private final Object lock = new Object();
  private final Map<String, State> states = new ConcurrentHashMap<>();
  private final long maxAgeMillis;
  private static final long RESCAN_EVERY_MS = 60_000L;
  private static final long LIMITER_WRITE_EVERY_MS = 5_000L;
  private long lastLimiterWrite;
  private javax.crypto.Mac mac;
  private final Limiter limiter;
  private boolean wakeup;
  private long rescanRequested;
  private long rescanDone = -1;
  private long lastRescanAt;
  private long passToken = -1;
  private boolean passFoundEmpty;
  private boolean passOnlyExhausted;
  private volatile boolean stopped;
  private volatile long pausedUntil;
  private volatile long clockOffsetMs;
  // An ingest older than /v1/sessions answers 404 there: no more sessions from this process.
  private volatile boolean sessionsRefused;
  private volatile Runnable onSessionsRefused;
  // Reports dropped unsent since the last flush: that flush must not say all went well.
  private final AtomicInteger dropped = new AtomicInteger();
  private Thread thread;

  Sender(DiskQueue queue, Limiter limiter, Transport transport, DumpcatcherOptions options, DebugLog log) {
    this.queue = queue;
    this.limiter = limiter;
    this.transport = transport;
    this.options = options;
    this.log = log;
    this.maxAgeMillis = options.maxQueueAgeSeconds() * 1000L;
  }

  /** Called once when the ingest answers 404 to /v1/sessions (an older server). */
  void onSessionsRefused(Runnable callback) {
    this.onSessionsRefused = callback;
  }

  boolean sessionsRefused() {
    return sessionsRefused;
  }

  void start() {
    thread = new Thread(this, "dumpcatcher-sender");
    thread.setDaemon(true);
    thread.start();
  }

  /** Asks the thread to look at the queue again (a new report). */
  void wake() {
    synchronized (lock) {
      wakeup = true;
      lock.notifyAll();
    }
  }

  /** Asks for a pass that first rescans the folder (init, flush); returns the request's token. */
  long requestRescan() {
    synchronized (lock) {
      long token = ++rescanRequested;
      wakeup = true;
      lock.notifyAll();
      return token;
    }
  }

  void stop() {
    stopped = true;
    wake();
  }

  /** How many reports were dropped unsent since the last call (flush's truth), and starts counting afresh. */
  int takeDropped() {
    return dropped.getAndSet(0);
  }

  /** The queue's bounds dropped {@code count} unsent reports. */
  void queueDropped(int count) {
    if (count <= 0) return;
    dropped.addAndGet(count);
    log.notice(DebugLog.QUEUE_FULL, "queue full: " + count + " unsent report(s) dropped (maxQueueFiles "
        + options.maxQueueFiles() + ", maxQueueBytes " + options.maxQueueBytes() + ")");
  }

  /** The clock correction learned from a 401's Date header, in ms. */
  long clockOffsetMs() {
    return clockOffsetMs;
  }

  /**
   * Waits for a pass that started after the rescan request {@code token}: TRUE when it found the
   * queue empty, FALSE when all that is left has used up its attempts, null on timeout.
   */
  Boolean awaitPass(long token, long timeoutMs) throws InterruptedException {
    // A timeout beyond what nanoTime arithmetic holds (flush(Long.MAX_VALUE)) means "no limit",
    // not a deadline that overflowed into the past.
    long nanos = timeoutMs >= Long.MAX_VALUE / 4_000_000L ? Long.MAX_VALUE / 4 : timeoutMs * 1_000_000L;
    long deadline = System.nanoTime() + nanos;
    synchronized (lock) {
      while (true) {
        if (passToken >= token) {
          if (passFoundEmpty) return Boolean.TRUE;
          if (passOnlyExhausted) return Boolean.FALSE;
        }
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0 || stopped) return null;
        lock.wait(left);
      }
    }
  }

  private void publishPass(long token, boolean empty, boolean onlyExhausted) {
    synchronized (lock) {
      passToken = token;
      passFoundEmpty = empty;
      passOnlyExhausted = onlyExhausted;
      lock.notifyAll();
    }
  }

  @Override
  public void run() {
    while (!stopped) {
      long waitMs;
      try {
        waitMs = sendPending();
      } catch (Throwable t) {
        log.log("sender error: " + t);
        waitMs = 1000;
      }
      if (waitMs < 0) continue;
      synchronized (lock) {
        try {
          if (!wakeup && !stopped) lock.wait(waitMs);
        } catch (InterruptedException e) {
          return;
        }
        wakeup = false;
      }
    }
  }

  /**
   * One pass: sends what is due, oldest first. Returns how long to wait before the next pass
   * (0: until woken), or -1 to run another pass at once (to confirm the queue is now empty).
   */
  long sendPending() {
    long token;
    synchronized (lock) {
      token = rescanRequested;
      wakeup = false;
    }
    long now = System.currentTimeMillis();
    if (token != rescanDone || now - lastRescanAt >= RESCAN_EVERY_MS) {
      queue.removeLeftoverTemp(now);
      queueDropped(queue.enforceBounds(now));
      rescanDone = token;
      lastRescanAt = now;
    }
    if (limiter != null && now - lastLimiterWrite >= LIMITER_WRITE_EVERY_MS) {
      // Coalesced: a burst of captures costs one write; close and the uncaught path write at once.
      limiter.persist();
      lastLimiterWrite = now;
    }
    if (now < pausedUntil) {
      publishPass(token, false, false);
      return pausedUntil - now;
    }
    List<DiskQueue.Entry> pending = queue.pending();
    boolean onlyExhausted = !pending.isEmpty();
    for (DiskQueue.Entry entry : pending) {
      State s = states.get(entry.path.getName());
      if (s == null || s.failures < MAX_ATTEMPTS) onlyExhausted = false;
    }
    publishPass(token, pending.isEmpty(), onlyExhausted);
    if (pending.isEmpty() || onlyExhausted) return 0;
    for (DiskQueue.Entry entry : pending) {
      if (stopped) return 0;
      File file = entry.path;
      String name = file.getName();
      State state = states.get(name);
      if (state != null && state.failures >= MAX_ATTEMPTS) continue;
      QueuedReport report = queue.read(entry);
      if (report == null) continue;
      if (sessionsRefused && "/v1/sessions".equals(report.path())) {
        queue.delete(file);
        continue;
      }
      if (System.currentTimeMillis() - report.createdAtMillis() > maxAgeMillis) {
        log.log("dropping " + name + ": older than maxQueueAgeSeconds");
        queue.delete(file);
        dropped.incrementAndGet();
        continue;
      }
      if (state == null) {
        state = new State();
        states.put(name, state);
      }
      Outcome outcome = attempt(report, state);
      if (outcome.kind == Outcome.DONE) {
        queue.delivered(entry);
        states.remove(name);
        continue;
      }
      state.failures++;
      long delay = Backoff.delayMs(state.failures, options.retryBaseMs(), options.retryCapMs(), random);
      if (outcome.retryAfterMs > delay) delay = outcome.retryAfterMs;
      if (state.failures >= MAX_ATTEMPTS) {
        log.log("giving up on " + name + " for this process after " + MAX_ATTEMPTS + " attempts");
      }
      pausedUntil = System.currentTimeMillis() + delay;
      publishPass(token, false, false);
      return Math.max(1, delay);
    }
    // Every entry was sent, dropped or skipped as exhausted: one more pass tells flush the result.
    return -1;
  }

  /** One report: one attempt, or two when a 401 shows our clock is off. */
  Outcome attempt(QueuedReport report, State state) {
    byte[] json = report.bodyJson().getBytes(StandardCharsets.UTF_8);
    boolean gzip = json.length >= options.gzipThresholdBytes();
    byte[] body = gzip ? gzip(json) : json;
    String encoding = gzip ? "gzip" : "identity";
    String counter = Long.toString(report.counter());
    while (true) {
      long signedAt = options.clock().nowMillis() + clockOffsetMs;
      String timestamp = Long.toString(Math.max(0, signedAt / 1000L));
      String sts = Signer.stringToSign("POST", report.path(), options.productKey(), report.clientId(),
          counter, timestamp, encoding, body);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", gzip ? "application/octet-stream" : "application/json");
      headers.put("User-Agent", USER_AGENT);
      headers.put("X-Dumpcatcher-Key", options.productKey());
      headers.put("X-Dumpcatcher-Client", report.clientId());
      headers.put("X-Dumpcatcher-Counter", counter);
      headers.put("X-Dumpcatcher-Timestamp", timestamp);
      headers.put("X-Dumpcatcher-Body-Encoding", encoding);
      if (mac == null) mac = Signer.newMac(options.secret());
      headers.put("X-Dumpcatcher-Signature", Signer.sign(mac, sts));
      Transport.Response response;
      try {
        response = transport.send(new Transport.Request(url(report.path()), headers, body,
            options.requestTimeoutMs()));
      } catch (IOException | RuntimeException e) {
        log.log("send failed (" + e.getClass().getSimpleName() + "), will retry");
        return Outcome.retry(-1);
      }
      int status = response.status();
      long now = options.clock().nowMillis();
      Answers.Decision decision = Answers.classify(status, response.retryAfter(), response.date(), now, clockOffsetMs,
          response.errorCode());
      switch (decision.action) {
        case Answers.DELIVERED:
          return Outcome.DONE_OUTCOME;
        case Answers.CLOCK_FIX:
          if (!state.skewRetried) {
            state.skewRetried = true;
            clockOffsetMs = decision.clockOffsetMs;
            log.log("clock is " + (clockOffsetMs / 1000) + " s off the server's; retrying once");
            continue;
          }
          refused(decision, status, response.errorCode());
          return Outcome.DONE_OUTCOME;
        case Answers.DROP:
          if (status == 404 && "/v1/sessions".equals(report.path())) {
            // An ingest older than sessions, not a wrong URL: said once, and not a refusal that
            // makes flush() false (docs/sdks.md "Sessions").
            log.log("dropping session report: the ingest has no /v1/sessions");
            if (!sessionsRefused) {
              sessionsRefused = true;
              log.notice(DebugLog.SESSIONS_UNSUPPORTED, "the ingest does not know /v1/sessions (an older server):"
                  + " session reports are dropped from now on");
              Runnable callback = onSessionsRefused;
              if (callback != null) callback.run();
            }
            return Outcome.DONE_OUTCOME;
          }
          refused(decision, status, response.errorCode());
          return Outcome.DONE_OUTCOME;
        default:
          log.log("ingest answered " + status + ", will retry");
          return Outcome.retry(decision.retryAfterMs);
      }
    }
  }

  /** A report the endpoint refused for good: counted for flush, and said (docs/sdks.md#no-silent-drop). */
  private void refused(Answers.Decision decision, int status, String errorCode) {
    dropped.incrementAndGet();
    if (DebugLog.UNAUTHENTICATED.equals(decision.notice)) {
      log.notice(decision.notice,
          "a report was dropped: the ingest answered 401, it does not know this productKey or secret");
    } else if (DebugLog.NOT_INGEST.equals(decision.notice)) {
      log.notice(decision.notice, "a report was dropped: the endpoint answered HTTP " + status
          + "; is this the ingest URL?");
    } else {
      log.notice(DebugLog.REFUSED, "a report was dropped: refused by the ingest (HTTP " + status
          + (errorCode != null ? " " + errorCode : "") + ")");
    }
  }

  private String url(String path) {
    String base = options.endpoint();
    while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
    return base + path;
  }

  static byte[] gzip(byte[] data) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(data.length / 4 + 64);
      GZIPOutputStream out = new GZIPOutputStream(bytes);
      out.write(data);
      out.close();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Per-report retry state, kept for this process only. */
  static final class State {
    volatile int failures;
    volatile boolean skewRetried;
  }

  /** What one report's attempt came to: done (delivered or dropped) or retry. */
  static final class Outcome {
    static final int DONE = 0;
    static final int RETRY = 1;
    static final Outcome DONE_OUTCOME = new Outcome(DONE, -1);

    final int kind;
    final long retryAfterMs;

    private Outcome(int kind, long retryAfterMs) {
      this.kind = kind;
      this.retryAfterMs = retryAfterMs;
    }

    static Outcome retry(long retryAfterMs) {
      return new Outcome(RETRY, retryAfterMs);
    }
  }
}

