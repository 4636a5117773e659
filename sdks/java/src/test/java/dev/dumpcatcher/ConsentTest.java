package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.env;
import static dev.dumpcatcher.TestSupport.fileCount;
import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsentTest {
  @TempDir Path tmp;
  Path queueDir;
  FakeIngest ingest;

  @BeforeEach
  void setUp() throws Exception {
    ingest = new FakeIngest();
    queueDir = tmp.resolve("queue");
  }

  @AfterEach
  void tearDown() {
    ingest.close();
  }

  /** Captures, reports usage and flushes, then proves nothing reached the wire or the disk. */
  private void assertSilent(DumpcatcherOptions options) throws Exception {
    assertSilent(options, true);
  }

  /** As above; {@code flushes} is what flush() says (false while invalid options disabled the SDK). */
  private void assertSilent(DumpcatcherOptions options, boolean flushes) throws Exception {
    Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
    Client client = start(options);
    try {
      assertFalse(client.isActive());
      assertNotNull(client.disabledReason());
      assertTrue(before == Thread.getDefaultUncaughtExceptionHandler(), "no handler installed");
      client.captureException(new RuntimeException("should not leave"), null);
      client.reportUsage();
      assertEquals(flushes, client.flush(500));
    } finally {
      client.close();
    }
    Thread.sleep(200);
    assertEquals(0, ingest.received().size(), "zero requests");
    assertEquals(0, fileCount(queueDir), "zero queue files");
  }

  @Test
  void enabledFalseSendsAndWritesNothing() throws Exception {
    assertSilent(options(ingest.url(), queueDir).enabled(false).captureUncaught(true).build());
  }

  @Test
  void doNotTrackSendsAndWritesNothing() throws Exception {
    assertSilent(options(ingest.url(), queueDir).environment(env("DO_NOT_TRACK", "1")).captureUncaught(true).build());
  }

  @Test
  void dumpcatcherDisabledSendsAndWritesNothing() throws Exception {
    assertSilent(options(ingest.url(), queueDir).environment(env("DUMPCATCHER_DISABLED", "yes")).build());
  }

  @Test
  void aConfigFileSayingDisabledSendsAndWritesNothing() throws Exception {
    Path config = tmp.resolve("config.json");
    Files.write(config, "{\"enabled\": false}".getBytes(StandardCharsets.UTF_8));
    assertSilent(options(ingest.url(), queueDir).environment(env("DUMPCATCHER_CONFIG", config.toString())).build());
  }

  @Test
  void theXdgConfigHomeFileIsReadWhenNoExplicitConfigIsGiven() throws Exception {
    Path xdg = tmp.resolve("xdg");
    Files.createDirectories(xdg.resolve("dumpcatcher"));
    Files.write(xdg.resolve("dumpcatcher/config.json"), "{\"enabled\":false}".getBytes(StandardCharsets.UTF_8));
    assertSilent(options(ingest.url(), queueDir).environment(env("XDG_CONFIG_HOME", xdg.toString())).build());
  }

  @Test
  void falsyValuesAndAMissingOrBrokenConfigDoNotOptOut() throws Exception {
    Path broken = tmp.resolve("broken.json");
    Files.write(broken, "{not json".getBytes(StandardCharsets.UTF_8));
    DumpcatcherOptions o = options(ingest.url(), queueDir).environment(env("DO_NOT_TRACK", "0",
        "DUMPCATCHER_DISABLED", "false", "DUMPCATCHER_CONFIG", broken.toString())).build();
    assertEquals(null, Consent.optOutReason(o, o.environment()));
    assertEquals(null, Consent.optOutReason(o, env("DO_NOT_TRACK", "", "DUMPCATCHER_CONFIG", tmp.resolve("missing.json").toString())));
    Client client = start(o);
    try {
      assertTrue(client.isActive());
      client.captureException(new RuntimeException("allowed"), null);
      assertTrue(client.flush(5000));
    } finally {
      client.close();
    }
    assertEquals(1, ingest.received().size());
  }

  @Test
  void invalidOptionsDisableTheSdkInsteadOfThrowing() throws Exception {
    assertSilent(options(ingest.url(), queueDir).productKey("bad key").build(), false);
    assertSilent(options("ftp://nowhere", queueDir).build(), false);
    assertSilent(options(ingest.url(), queueDir).secret(null).build(), false);
  }
}
