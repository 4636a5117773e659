package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.fileCount;
import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebugModeTest {
  @TempDir Path tmp;

  @Test
  void printsTheScrubbedReportToStderrAndSendsAndWritesNothing() throws Exception {
    Path queueDir = tmp.resolve("queue");
    PrintStream realErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (FakeIngest ingest = new FakeIngest()) {
      System.setErr(new PrintStream(captured, true, "UTF-8"));
      Client client = start(options(ingest.url(), queueDir).debug(true).build());
      try {
        client.captureException(new RuntimeException("mail alice@example.com token=abc123 "
            + FakeIngest.SECRET), CaptureContext.builder().label("debug-label").build());
        client.reportUsage();
        assertTrue(client.flush(500));
      } finally {
        client.close();
        System.setErr(realErr);
      }
      Thread.sleep(200);
      String err = new String(captured.toByteArray(), StandardCharsets.UTF_8);
      assertTrue(err.contains("would POST /v1/crashes {"), err);
      assertTrue(err.contains("would POST /v1/usage {"), err);
      assertTrue(err.contains("\"label\":\"debug-label\""), err);
      assertTrue(err.contains("mail <email> token=<redacted> <redacted>"), err);
      assertFalse(err.contains("alice@example.com"));
      assertFalse(err.contains(FakeIngest.SECRET));
      assertEquals(0, ingest.received().size(), "zero requests");
      assertEquals(0, fileCount(queueDir), "zero files");
    }
  }
}
