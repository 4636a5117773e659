package dev.dumpcatcher.bench;

import com.sun.net.httpserver.HttpServer;
import dev.dumpcatcher.Dumpcatcher;
import dev.dumpcatcher.DumpcatcherOptions;
import dev.dumpcatcher.Environment;
import io.sentry.Sentry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CPU time per captured exception, Dumpcatcher vs sentry-java, in one JVM. Both capture the same
 * pre-built exceptions (same type and stack, one instance per capture, so that neither SDK's
 * duplicate detection short-cuts the work) and deliver every report to a loopback HTTP sink.
 * Measured after warm-up: the capturing thread's CPU time (ThreadMXBean) and the whole process's
 * CPU time including background delivery (and the sinks, the same for both).
 */
public final class CaptureBench {
  /** Captures between flushes; a third argument changes it. */
  private static int batch = 25;

  private CaptureBench() {}

  /** A loopback HTTP server that answers every request and counts them. */
  static final class Sink implements AutoCloseable {
    final HttpServer server;
    final AtomicLong requests = new AtomicLong();

    Sink(final int status, final String body) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", ex -> {
        drain(ex.getRequestBody());
        requests.incrementAndGet();
        byte[] answer = body.getBytes("UTF-8");
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, answer.length);
        OutputStream out = ex.getResponseBody();
        out.write(answer);
        out.close();
      });
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  static void drain(InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    ByteArrayOutputStream ignored = new ByteArrayOutputStream();
    int n;
    while ((n = in.read(buf)) != -1) ignored.write(buf, 0, n);
    in.close();
  }

  /** One SDK under test. */
  interface Sdk {
    String name();

    void capture(Throwable t);

    boolean flush();

    long delivered();
  }

  static final class Result {
    long captures;
    long threadCpuNanos;
    long sdkThreadsCpuNanos;
    long sinkCpuNanos;
    long processCpuNanos;
    long wallNanos;
    long gcMillis;
    long jitMillis;
    /** CPU per thread name (numbers folded), every Java thread that ran, whichever column it counts in. */
    final java.util.TreeMap<String, Long> perThread = new java.util.TreeMap<>();
    /** Threads that are neither the caller, a sink nor an SDK thread (JVM housekeeping, JFR, ...). */
    long otherCpuNanos;
  }

  static long gcMillis() {
    long total = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  static long jitMillis() {
    java.lang.management.CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit == null ? 0 : jit.getTotalCompilationTime();
  }

  /** CPU time so far of every live Java thread, by id, with names. */
  static java.util.Map<Long, long[]> threadCpu(java.util.Map<Long, String> names) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    java.util.Map<Long, long[]> out = new java.util.HashMap<>();
    for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) continue;
      long cpu = threads.getThreadCpuTime(info.getThreadId());
      if (cpu < 0) continue;
      out.put(info.getThreadId(), new long[] {cpu});
      names.put(info.getThreadId(), info.getThreadName());
    }
    return out;
  }

  static Throwable[] makeExceptions(int n) {
    Throwable[] out = new Throwable[n];
    for (int i = 0; i < n; i++) out[i] = deep(20);
    return out;
  }

  private static Throwable deep(int depth) {
    if (depth > 0) return deep(depth - 1);
    try {
      Integer.parseInt("not a number");
      return null;
    } catch (NumberFormatException cause) {
      return new IllegalStateException("could not parse the order quantity", cause);
    }
  }

  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return -1;
  }

  static Result run(Sdk sdk, Throwable[] errors) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Result r = new Result();
    java.util.Map<Long, String> names = new java.util.HashMap<>();
    java.util.Map<Long, long[]> before = threadCpu(names);
    long mainId = Thread.currentThread().getId();
    long wall0 = System.nanoTime();
    long gc0 = gcMillis();
    long jit0 = jitMillis();
    long proc0 = processCpuNanos();
    long thread = 0;
    for (int i = 0; i < errors.length; i += batch) {
      long t0 = threads.getCurrentThreadCpuTime();
      int end = Math.min(errors.length, i + batch);
      for (int j = i; j < end; j++) sdk.capture(errors[j]);
      thread += threads.getCurrentThreadCpuTime() - t0;
      // Flushing per batch keeps sentry's bounded in-memory queue from dropping events.
      if (!sdk.flush()) System.err.println(sdk.name() + ": flush timed out");
    }
    r.captures = errors.length;
    r.threadCpuNanos = thread;
    r.processCpuNanos = processCpuNanos() - proc0;
    r.wallNanos = System.nanoTime() - wall0;
    r.gcMillis = gcMillis() - gc0;
    r.jitMillis = jitMillis() - jit0;
    java.util.Map<Long, long[]> after = threadCpu(names);
    for (java.util.Map.Entry<Long, long[]> e : after.entrySet()) {
      if (e.getKey() == mainId) continue;
      long[] b = before.get(e.getKey());
      long used = e.getValue()[0] - (b == null ? 0 : b[0]);
      String name = names.get(e.getKey());
      if (used <= 0) continue;
      r.perThread.merge(name.replaceAll("[0-9]+", "#"), used, Long::sum);
      // The sinks stand in for the ingest; the SDKs' own threads (and the JDK's HTTP keep-alive
      // timer, which either SDK's HttpURLConnection starts) count as SDK threads; anything else is
      // shown as "other" so that no SDK work can hide in an unnamed thread.
      if (name.startsWith("HTTP-Dispatcher")) r.sinkCpuNanos += used;
      else if (name.startsWith("dumpcatcher") || name.startsWith("Sentry") || name.startsWith("Keep-Alive")) r.sdkThreadsCpuNanos += used;
      else r.otherCpuNanos += used;
    }
    return r;
  }

  public static void main(String[] args) throws Exception {
    // The sinks answer without waiting for a delayed ACK, for both SDKs alike.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    int captures = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    int warmup = Math.max(1000, captures);
    String only = args.length > 1 ? args[1] : "";
    if (args.length > 2) batch = Integer.parseInt(args[2]);
    Path queueDir = Files.createTempDirectory("dumpcatcher-bench");
    try (Sink dcSink = new Sink(202, "{\"id\":\"x\"}"); Sink sentrySink = new Sink(200, "{}")) {
      Dumpcatcher.init(DumpcatcherOptions.builder()
          .endpoint("http://127.0.0.1:" + dcSink.port())
          .productKey("pk_bench_0001")
          .secret("bench-secret-0123456789")
          .appName("bench")
          .appVersion("1.0.0")
          .queueDir(queueDir.toFile())
          .captureUncaught(false)
          // Every capture takes the full path: the crash limiter would otherwise drop repeats cheaply.
          .maxReportsPerFingerprint(Integer.MAX_VALUE)
          .environment(new Environment() {
            @Override
            public String get(String name) {
              return null;
            }
          })
          .build());
      initSentry(sentrySink.port(), null);
      Sdk dumpcatcher = new Sdk() {
        @Override public String name() { return "dumpcatcher"; }
        @Override public void capture(Throwable t) { Dumpcatcher.captureException(t); }
        @Override public boolean flush() { return Dumpcatcher.flush(30_000); }
        @Override public long delivered() { return dcSink.requests.get(); }
      };
      Sdk sentry = new Sdk() {
        @Override public String name() { return "sentry-java"; }
        @Override public void capture(Throwable t) { Sentry.captureException(t); }
        @Override public boolean flush() { Sentry.flush(30_000); return true; }
        @Override public long delivered() { return sentrySink.requests.get(); }
      };

      System.out.println("warm-up: " + warmup + " captures each; flush every " + batch + " captures");
      if (only.equals("dumpcatcher")) {
        run(dumpcatcher, makeExceptions(warmup));
        Result r = run(dumpcatcher, makeExceptions(captures));
        print("dumpcatcher", r, r.captures);
        printThreads("dumpcatcher", r);
        return;
      }
      run(dumpcatcher, makeExceptions(warmup));
      run(sentry, makeExceptions(warmup));
      long dcBefore = dumpcatcher.delivered();
      long sentryBefore = sentry.delivered();

      // Alternate the two so that neither gets a quieter machine.
      Result dc = new Result();
      Result se = new Result();
      for (int round = 0; round < 2; round++) {
        add(se, run(sentry, makeExceptions(captures / 2)));
        add(dc, run(dumpcatcher, makeExceptions(captures / 2)));
      }
      long dcDelivered = dumpcatcher.delivered() - dcBefore;
      long seDelivered = sentry.delivered() - sentryBefore;

      System.out.println(String.format(Locale.ROOT, "%-12s %8s %10s %12s %14s %10s %12s %9s", "sdk", "captures",
          "caller", "sdk threads", "caller+sdk", "sink", "process", "delivered"));
      System.out.println("(CPU microseconds per captured exception; process includes JIT and GC)");
      print("dumpcatcher", dc, dcDelivered);
      print("sentry-java", se, seDelivered);
      printThreads("dumpcatcher", dc);
      printThreads("sentry-java", se);
      System.out.println(String.format(Locale.ROOT,
          "ratio dumpcatcher/sentry: caller %.2f, caller+sdk threads %.2f, process %.2f (target <= 0.5)",
          (double) dc.threadCpuNanos / se.threadCpuNanos,
          (double) (dc.threadCpuNanos + dc.sdkThreadsCpuNanos) / (se.threadCpuNanos + se.sdkThreadsCpuNanos),
          (double) dc.processCpuNanos / se.processCpuNanos));
      // Like for like on durability: sentry-java with its disk cache writes each envelope to disk
      // before sending it, as Dumpcatcher's write-before-send queue does.
      Sentry.close();
      Path sentryCache = Files.createTempDirectory("sentry-bench-cache");
      initSentry(sentrySink.port(), sentryCache.toString());
      run(sentry, makeExceptions(warmup));
      long sdBefore = sentry.delivered();
      Result sd = run(sentry, makeExceptions(captures));
      print("sentry+cache", sd, sentry.delivered() - sdBefore);
      printThreads("sentry+cache", sd);
      System.out.println(String.format(Locale.ROOT,
          "ratio dumpcatcher/sentry+cache: caller %.2f, caller+sdk threads %.2f, process %.2f",
          (double) dc.threadCpuNanos / dc.captures / ((double) sd.threadCpuNanos / sd.captures),
          (double) (dc.threadCpuNanos + dc.sdkThreadsCpuNanos) / dc.captures
              / ((double) (sd.threadCpuNanos + sd.sdkThreadsCpuNanos) / sd.captures),
          (double) dc.processCpuNanos / dc.captures / ((double) sd.processCpuNanos / sd.captures)));
      deleteTree(sentryCache);
      System.out.println("java " + System.getProperty("java.version") + ", sentry "
          + io.sentry.BuildConfig.VERSION_NAME + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
      Sentry.close();
      Dumpcatcher.close();
    } finally {
      deleteTree(queueDir);
    }
  }

  private static void initSentry(final int port, final String cacheDir) {
    Sentry.init(o -> {
      o.setDsn("http://0123456789abcdef0123456789abcdef@127.0.0.1:" + port + "/1");
      o.setEnableUncaughtExceptionHandler(false);
      o.setEnableShutdownHook(false);
      o.setSendClientReports(false);
      o.setRelease("bench@1.0.0");
      if (cacheDir != null) o.setCacheDirPath(cacheDir);
    });
  }

  private static void add(Result total, Result r) {
    total.captures += r.captures;
    total.threadCpuNanos += r.threadCpuNanos;
    total.processCpuNanos += r.processCpuNanos;
    total.sdkThreadsCpuNanos += r.sdkThreadsCpuNanos;
    total.sinkCpuNanos += r.sinkCpuNanos;
    total.wallNanos += r.wallNanos;
    total.gcMillis += r.gcMillis;
    total.jitMillis += r.jitMillis;
    total.otherCpuNanos += r.otherCpuNanos;
    for (java.util.Map.Entry<String, Long> e : r.perThread.entrySet()) total.perThread.merge(e.getKey(), e.getValue(), Long::sum);
  }

  /** Every thread that used CPU during the measured captures, CPU microseconds per capture. */
  private static void printThreads(String name, Result r) {
    StringBuilder line = new StringBuilder("  " + name + " threads (µs/capture):");
    for (java.util.Map.Entry<String, Long> e : r.perThread.entrySet()) {
      line.append(String.format(Locale.ROOT, " %s=%.1f", e.getKey(), e.getValue() / 1000.0 / r.captures));
    }
    line.append(String.format(Locale.ROOT, "; other (counted in neither column) %.1f", r.otherCpuNanos / 1000.0 / r.captures));
    System.out.println(line);
  }

  private static void print(String name, Result r, long delivered) {
    double n = r.captures * 1000.0;
    System.out.println(String.format(Locale.ROOT, "%-12s %8d %10.1f %12.1f %14.1f %10.1f %12.1f %9d", name, r.captures,
        r.threadCpuNanos / n, r.sdkThreadsCpuNanos / n, (r.threadCpuNanos + r.sdkThreadsCpuNanos) / n,
        r.sinkCpuNanos / n, r.processCpuNanos / n, delivered)
        + String.format(Locale.ROOT, "   (wall %.1f s, GC pauses %d ms, JIT %d ms)", r.wallNanos / 1e9, r.gcMillis, r.jitMillis));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
