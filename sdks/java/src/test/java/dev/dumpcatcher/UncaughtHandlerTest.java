package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.queueFiles;
import static dev.dumpcatcher.TestSupport.readJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UncaughtHandlerTest {
  @TempDir Path dir;
  Thread.UncaughtExceptionHandler original;

  @BeforeEach
  void remember() {
    original = Thread.getDefaultUncaughtExceptionHandler();
  }

  @AfterEach
  void restore() {
    Dumpcatcher.close();
    Thread.setDefaultUncaughtExceptionHandler(original);
  }

  private static void dieInAThread(RuntimeException error) throws InterruptedException {
    Thread t = new Thread(() -> {
      throw error;
    }, "doomed-worker");
    t.start();
    t.join(5000);
  }

  @Test
  void chainsToTheExistingHandlerAndRestoresItOnClose() throws Exception {
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Thread.UncaughtExceptionHandler previous = (thread, e) -> seen.set(e);
    Thread.setDefaultUncaughtExceptionHandler(previous);
    Dumpcatcher.init(options("http://127.0.0.1:9", dir).captureUncaught(true).build());
    assertNotSame(previous, Thread.getDefaultUncaughtExceptionHandler());
    RuntimeException error = new IllegalStateException("worker died");
    dieInAThread(error);
    assertSame(error, seen.get(), "the previous handler still runs");
    List<Path> files = queueFiles(dir);
    assertEquals(1, files.size(), "the crash was queued synchronously");
    @SuppressWarnings("unchecked")
    Map<String, Object> exception = (Map<String, Object>) ((Map<String, Object>) readJson(files.get(0)).get("body")).get("exception");
    assertEquals("java.lang.IllegalStateException", exception.get("type"));
    Dumpcatcher.close();
    assertSame(previous, Thread.getDefaultUncaughtExceptionHandler(), "restored on close");
  }

  @Test
  void withoutAPreviousHandlerPrintsWhatTheJvmWouldPrint() throws Exception {
    Thread.setDefaultUncaughtExceptionHandler(null);
    Dumpcatcher.init(options("http://127.0.0.1:9", dir).captureUncaught(true).build());
    PrintStream realErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, "UTF-8"));
    try {
      dieInAThread(new IllegalArgumentException("nobody else listens"));
    } finally {
      System.setErr(realErr);
    }
    String err = new String(captured.toByteArray(), StandardCharsets.UTF_8);
    assertTrue(err.startsWith("Exception in thread \"doomed-worker\" java.lang.IllegalArgumentException: nobody else listens"), err);
    assertEquals(1, queueFiles(dir).size());
    Dumpcatcher.close();
    assertEquals(null, Thread.getDefaultUncaughtExceptionHandler());
  }

  @Test
  void captureUncaughtFalseInstallsNoHandler() {
    Thread.UncaughtExceptionHandler previous = (thread, e) -> { };
    Thread.setDefaultUncaughtExceptionHandler(previous);
    Dumpcatcher.init(options("http://127.0.0.1:9", dir).captureUncaught(false).build());
    assertSame(previous, Thread.getDefaultUncaughtExceptionHandler());
  }
}
