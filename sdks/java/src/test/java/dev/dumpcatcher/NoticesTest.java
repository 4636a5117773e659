package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No silent drop (docs/sdks.md#no-silent-drop): what the SDK says when it drops a report. */
class NoticesTest {
  // Nothing listens there: reports stay queued, nothing is delivered.
  private static final String NOWHERE = "http://127.0.0.1:9";
  private static final String NL = System.lineSeparator();

  @TempDir Path dir;
  private Client client;

  @BeforeEach
  void freshProcess() {
    DebugLog.forgetNotices();
  }

  @AfterEach
  void closeClient() {
    if (client != null) client.close();
  }

  private static RuntimeException sameCrash() {
    return new RuntimeException("same place");
  }

  @Test
  void theLimiterSaysOnceWithoutDebugMode() {
    String err = TestSupport.stderrOf(() -> {
      client = start(options(NOWHERE, dir).maxReportsPerFingerprint(2).shutdownTimeoutMs(50).build());
      for (int i = 0; i < 5; i++) client.captureException(sameCrash(), null);
    });
    assertEquals("[dumpcatcher] a crash report was dropped by the client-side limiter (more than 2 per 3600 s"
        + " with one fingerprint)" + NL, err);
  }

  @Test
  void aFullQueueSaysOnceAndFlushSaysFalse() {
    String err = TestSupport.stderrOf(() -> {
      client = start(options(NOWHERE, dir).maxQueueFiles(2).shutdownTimeoutMs(50).build());
      for (int i = 0; i < 5; i++) client.captureException(new RuntimeException("report " + i), null);
    });
    assertEquals("[dumpcatcher] queue full: 1 unsent report(s) dropped (maxQueueFiles 2, maxQueueBytes 10485760)" + NL,
        err);
    assertFalse(client.flush(200));
  }

  @Test
  void anOptOutIsSaidOnlyInDebugMode() {
    String quiet = TestSupport.stderrOf(() -> {
      client = start(options(NOWHERE, dir).environment(TestSupport.env("DO_NOT_TRACK", "1")).build());
    });
    assertEquals(Client.Mode.DISABLED, client.mode());
    assertEquals("", quiet);
    client.close();
    String told = TestSupport.stderrOf(() -> {
      client = start(options(NOWHERE, dir).environment(TestSupport.env("DO_NOT_TRACK", "1")).debug(true).build());
    });
    assertTrue(told.contains("opted out by"), told);
  }

  @Test
  void aMissingSecretIsSaidWithoutDebugModeAndFlushSaysFalse() {
    String err = TestSupport.stderrOf(() -> {
      client = start(options(NOWHERE, dir).secret(null).build());
    });
    assertEquals("[dumpcatcher] SDK disabled, nothing will be reported: secret is required" + NL, err);
    assertFalse(client.flush(100));
  }
}
