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
  private static final int BATCH = 25;

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
    long processCpuNanos;
    long wallNanos;
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
    long wall0 = System.nanoTime();
    long proc0 = processCpuNanos();
    long thread = 0;
    for (int i = 0; i < errors.length; i += BATCH) {
      long t0 = threads.getCurrentThreadCpuTime();
      int end = Math.min(errors.length, i + BATCH);
      for (int j = i; j < end; j++) sdk.capture(errors[j]);
      thread += threads.getCurrentThreadCpuTime() - t0;
      // Flushing per batch keeps sentry's bounded in-memory queue from dropping events.
      if (!sdk.flush()) System.err.println(sdk.name() + ": flush timed out");
    }
    r.captures = errors.length;
    r.threadCpuNanos = thread;
    r.processCpuNanos = processCpuNanos() - proc0;
    r.wallNanos = System.nanoTime() - wall0;
    return r;
  }

  public static void main(String[] args) throws Exception {
    int captures = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    int warmup = Math.max(500, captures / 2);
    Path queueDir = Files.createTempDirectory("dumpcatcher-bench");
    try (Sink dcSink = new Sink(202, "{\"id\":\"x\"}"); Sink sentrySink = new Sink(200, "{}")) {
      Dumpcatcher.init(DumpcatcherOptions.builder()
          .endpoint("http://127.0.0.1:" + dcSink.port())
          .productKey("pk_bench_0001")
          .secret("bench-secret-0123456789")
          .appName("bench")
          .appVersion("1.0.0")
          .queueDir(queueDir)
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
      Sentry.init(o -> {
        o.setDsn("http://0123456789abcdef0123456789abcdef@127.0.0.1:" + sentrySink.port() + "/1");
        o.setEnableUncaughtExceptionHandler(false);
        o.setEnableShutdownHook(false);
        o.setSendClientReports(false);
        o.setRelease("bench@1.0.0");
      });
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

      System.out.println("warm-up: " + warmup + " captures each");
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

      System.out.println(String.format(Locale.ROOT, "%-12s %10s %18s %18s %12s", "sdk", "captures",
          "caller CPU us/op", "process CPU us/op", "delivered"));
      print("dumpcatcher", dc, dcDelivered);
      print("sentry-java", se, seDelivered);
      System.out.println(String.format(Locale.ROOT, "ratio dumpcatcher/sentry: caller CPU %.2f, process CPU %.2f (target <= 0.5)",
          (double) dc.threadCpuNanos / se.threadCpuNanos, (double) dc.processCpuNanos / se.processCpuNanos));
      System.out.println("java " + System.getProperty("java.version") + ", sentry "
          + io.sentry.BuildConfig.VERSION_NAME + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
      Sentry.close();
      Dumpcatcher.close();
    } finally {
      deleteTree(queueDir);
    }
  }

  private static void add(Result total, Result r) {
    total.captures += r.captures;
    total.threadCpuNanos += r.threadCpuNanos;
    total.processCpuNanos += r.processCpuNanos;
    total.wallNanos += r.wallNanos;
  }

  private static void print(String name, Result r, long delivered) {
    System.out.println(String.format(Locale.ROOT, "%-12s %10d %18.1f %18.1f %12d", name, r.captures,
        r.threadCpuNanos / 1000.0 / r.captures, r.processCpuNanos / 1000.0 / r.captures, delivered));
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
