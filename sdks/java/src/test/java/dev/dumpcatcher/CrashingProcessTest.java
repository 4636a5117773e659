package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.queueFiles;
import static dev.dumpcatcher.TestSupport.readJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrashingProcessTest {
  @TempDir Path tmp;

  /** Runs CrashingApp in a fresh JVM; returns {exit code, stdout, stderr}. */
  private String[] runChild(String mode, Path queueDir, String endpoint) throws Exception {
    String java = Paths.javaBinary();
    String cp = "target/classes" + File.pathSeparator + "target/test-classes";
    Path out = tmp.resolve(mode + ".out");
    Path err = tmp.resolve(mode + ".err");
    Process p = new ProcessBuilder(Arrays.asList(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", cp,
        "dev.dumpcatcher.CrashingApp", mode, queueDir.toString(), endpoint))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child JVM finished");
    return new String[] {String.valueOf(p.exitValue()),
        new String(Files.readAllBytes(out), StandardCharsets.UTF_8),
        new String(Files.readAllBytes(err), StandardCharsets.UTF_8)};
  }

  @Test
  void aCrashedProcessLeavesOneQueueFileThatTheNextRunSendsWithTheSameIdentity() throws Exception {
    Path queueDir = tmp.resolve("queue");
    String[] crash = runChild("crash", queueDir, "http://127.0.0.1:9");
    assertEquals("1", crash[0], "the JVM died of the uncaught exception: " + crash[2]);
    assertTrue(crash[2].contains("Exception in thread \"main\" java.lang.IllegalStateException: child crash"),
        "the JVM's own report is still printed: " + crash[2]);
    List<Path> files = queueFiles(queueDir);
    assertEquals(1, files.size(), "exactly one queue file");
    Map<String, Object> queued = readJson(files.get(0));
    String clientId = (String) queued.get("clientId");
    Object counter = queued.get("counter");
    assertEquals(1L, counter);
    @SuppressWarnings("unchecked")
    Map<String, Object> exception = (Map<String, Object>) ((Map<String, Object>) queued.get("body")).get("exception");
    assertTrue(String.valueOf(exception.get("stacktrace")).contains("Caused by: java.lang.IllegalArgumentException: bad input"));

    try (FakeIngest ingest = new FakeIngest()) {
      String[] send = runChild("send", queueDir, ingest.url());
      assertEquals("0", send[0], send[2]);
      assertTrue(send[1].contains("flushed=true"), send[1] + send[2]);
      List<FakeIngest.Received> got = ingest.received();
      assertEquals(1, got.size());
      FakeIngest.Received r = got.get(0);
      assertEquals(202, r.status);
      assertTrue(r.signatureValid);
      assertEquals(clientId, r.header("X-Dumpcatcher-Client"), "the crashed process's client id");
      assertEquals("1", r.header("X-Dumpcatcher-Counter"), "the crashed process's counter");
      assertEquals(queued.get("body"), r.json());
    }
    assertTrue(queueFiles(queueDir).isEmpty());
  }

  /** Where the running JVM's java launcher is. */
  private static final class Paths {
    static String javaBinary() {
      return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
  }
}
