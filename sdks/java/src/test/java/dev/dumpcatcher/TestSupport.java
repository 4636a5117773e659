package dev.dumpcatcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Options and helpers shared by the tests. */
final class TestSupport {
  private TestSupport() {}

  /** An environment with exactly these variables (none of the real process's). */
  static Environment env(String... pairs) {
    final Map<String, String> map = new HashMap<>();
    for (int i = 0; i + 1 < pairs.length; i += 2) map.put(pairs[i], pairs[i + 1]);
    return new Environment() {
      @Override
      public String get(String name) {
        return map.get(name);
      }
    };
  }

  /** Options toward the fake ingest with a private queue folder, short retries, no hooks, no automatic session. */
  static DumpcatcherOptions.Builder options(String endpoint, Path queueDir) {
    return DumpcatcherOptions.builder()
        .endpoint(endpoint)
        .productKey(FakeIngest.KEY)
        .secret(FakeIngest.SECRET)
        .appName("java-sdk-tests")
        .appVersion("1.2.3")
        .queueDir(queueDir.toFile())
        .environment(env())
        .captureUncaught(false)
        // A session adds a report at close; SessionsTest and the vectors turn sessions on.
        .autoSessionTracking(false)
        .shutdownTimeoutMs(500)
        .retryBaseMs(50);
  }

  /** What {@code action} printed on System.err (the SDK's notices and debug lines). */
  static String stderrOf(Runnable action) {
    java.io.PrintStream real = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    try {
      System.setErr(new java.io.PrintStream(captured, true, "UTF-8"));
      action.run();
      return new String(captured.toByteArray(), StandardCharsets.UTF_8);
    } catch (java.io.UnsupportedEncodingException e) {
      throw new AssertionError(e);
    } finally {
      System.setErr(real);
    }
  }

  /** Starts a client the way Dumpcatcher.init does. */
  static Client start(DumpcatcherOptions options) {
    Client c = new Client(options);
    c.start();
    return c;
  }

  static List<Path> queueFiles(Path dir) {
    List<Path> out = new java.util.ArrayList<>();
    for (java.io.File f : new DiskQueue(dir.toFile(), 1000, Long.MAX_VALUE, Long.MAX_VALUE / 2000).list()) out.add(f.toPath());
    return out;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> readJson(Path file) throws IOException {
    return (Map<String, Object>) Json.parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
  }

  /** Counts every regular file under dir (queue files, temp files, limiter.json, install-id). */
  static long fileCount(Path dir) throws IOException {
    if (!Files.exists(dir)) return 0;
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  /** Polls until the condition holds or the timeout passes. */
  static boolean eventually(long timeoutMs, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (condition.getAsBoolean()) return true;
      Thread.sleep(10);
    }
    return condition.getAsBoolean();
  }
}
