package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.queueFiles;
import static dev.dumpcatcher.TestSupport.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LimiterTest {
  @TempDir Path dir;

  @Test
  void allowsNPerFingerprintPerWindowThenDropsUntilTheWindowRolls() {
    Limiter limiter = new Limiter(dir.toFile(), 3, 60);
    long t = 1_000_000L;
    for (int i = 0; i < 3; i++) assertTrue(limiter.tryAcquire("fp", t + i));
    assertFalse(limiter.tryAcquire("fp", t + 10));
    assertTrue(limiter.tryAcquire("other", t + 10), "another fingerprint has its own count");
    assertTrue(limiter.tryAcquire("fp", t + 60_000), "a new window");
  }

  @Test
  void itsCountSurvivesARestart() {
    long t = 5_000_000L;
    Limiter first = new Limiter(dir.toFile(), 2, 3600);
    assertTrue(first.tryAcquire("loop", t));
    assertTrue(first.tryAcquire("loop", t + 1));
    first.persist();
    assertTrue(Files.exists(dir.resolve("limiter.json")));
    Limiter afterRestart = new Limiter(dir.toFile(), 2, 3600);
    assertFalse(afterRestart.tryAcquire("loop", t + 2));
  }

  @Test
  void sharesLimiterJsonWithTheNodeAndPythonSdks() throws Exception {
    long t = System.currentTimeMillis();
    // What the Node and Python SDKs write: their fingerprints must survive a Java write.
    Files.write(
        dir.resolve("limiter.json"),
        ("{\"v\":1,\"windows\":{\"py-fp\":{\"start\":" + t + ",\"count\":2}}}").getBytes("UTF-8"));
    Limiter limiter = new Limiter(dir.toFile(), 2, 3600);
    assertFalse(limiter.tryAcquire("py-fp", t + 1), "the Python SDK's count is honoured");
    assertTrue(limiter.tryAcquire("java-fp", t + 1));
    limiter.persist();
    String written = new String(Files.readAllBytes(dir.resolve("limiter.json")), "UTF-8");
    assertEquals(
        "{\"v\":1,\"windows\":{\"py-fp\":{\"start\":" + t + ",\"count\":2},\"java-fp\":{\"start\":" + (t + 1) + ",\"count\":1}}}",
        written);
  }

  @Test
  void fingerprintsIgnoreLineNumbersButNotTheFrames() {
    String a = "java.lang.X: m\n\tat a.B.c(B.java:10)\n\tat a.B.d(B.java:20)\n";
    String b = "java.lang.X: other message\n\tat a.B.c(B.java:11)\n\tat a.B.d(B.java:29)\n";
    String c = "java.lang.X: m\n\tat a.B.e(B.java:10)\n\tat a.B.d(B.java:20)\n";
    assertEquals(Limiter.localFingerprint("java.lang.X", a, null), Limiter.localFingerprint("java.lang.X", b, null));
    assertNotEquals(Limiter.localFingerprint("java.lang.X", a, null), Limiter.localFingerprint("java.lang.X", c, null));
    assertNotEquals(Limiter.localFingerprint("java.lang.X", a, null), Limiter.localFingerprint("java.lang.Y", a, null));
    assertNotEquals(Limiter.localFingerprint("java.lang.X", a, null), Limiter.localFingerprint("java.lang.X", a, "given"));
  }

  @Test
  void aCrashLoopQueuesAtMostTheLimitAndUsageIsNotLimited() throws Exception {
    Client client = start(options("http://127.0.0.1:9", dir).maxReportsPerFingerprint(3).build());
    try {
      for (int i = 0; i < 10; i++) client.captureException(sameException(), null);
      client.captureException(new IllegalStateException("different place"), null);
      for (int i = 0; i < 5; i++) client.reportUsage();
      long crashes = 0;
      long usage = 0;
      for (Path p : queueFiles(dir)) {
        if ("/v1/usage".equals(TestSupport.readJson(p).get("path"))) usage++;
        else crashes++;
      }
      assertEquals(4, crashes);
      assertEquals(5, usage);
    } finally {
      client.close();
    }
  }

  private static RuntimeException sameException() {
    return new RuntimeException("loop " + System.nanoTime());
  }
}
