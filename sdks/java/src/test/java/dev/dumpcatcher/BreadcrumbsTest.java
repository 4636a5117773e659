package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Breadcrumbs and the environment as a real client sends them to a real (local) HTTP ingest. */
class BreadcrumbsTest {
  @TempDir Path dir;
  private Client client;

  @AfterEach
  void closeClient() {
    if (client != null) client.close();
  }

  private FakeIngest.Received crashOf(FakeIngest ingest) {
    for (FakeIngest.Received r : ingest.delivered()) if (r.path.endsWith("/v1/crashes")) return r;
    throw new AssertionError("no crash report arrived: " + ingest.received().size() + " requests");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> crumbs(FakeIngest.Received crash) {
    return (List<Map<String, Object>>) crash.json().get("breadcrumbs");
  }

  @Test
  void manualBreadcrumbsRideWithTheCrashOldestFirst() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      client = TestSupport.start(options(ingest.url(), dir).autoBreadcrumbs(false).maxBreadcrumbs(2).build());
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("items", 3);
      data.put("card", new Object());
      client.addBreadcrumb("checkout", "cart opened", "info", null);
      client.addBreadcrumb("checkout", "coupon applied", "warning", data);
      client.addBreadcrumb("checkout", "paying " + FakeIngest.SECRET, "verbose", null);
      client.captureException(new IllegalStateException("declined"), null);
      assertTrue(client.flush(5000));
      List<Map<String, Object>> sent = crumbs(crashOf(ingest));
      assertEquals(2, sent.size(), String.valueOf(sent));
      assertEquals("coupon applied", sent.get(0).get("message"));
      assertEquals("warning", sent.get(0).get("level"));
      Map<String, Object> kept = new LinkedHashMap<>();
      kept.put("items", 3L);
      assertEquals(kept, sent.get(0).get("data"));
      assertEquals("paying <redacted>", sent.get(1).get("message"));
      assertEquals("info", sent.get(1).get("level"));
      assertTrue(((String) sent.get(1).get("timestamp")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
    }
  }

  @Test
  void javaUtilLoggingRecordsAtInfoAndAboveBecomeBreadcrumbs() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      client = TestSupport.start(options(ingest.url(), dir).build());
      Logger app = Logger.getLogger("shop.checkout");
      app.fine("too chatty to keep");
      app.log(Level.INFO, "paid {0} items", 12);
      app.warning("card expires soon");
      app.severe("gateway down");
      Logger.getLogger("dev.dumpcatcher.internal").info("the SDK's own line");
      client.captureException(new IllegalStateException("declined"), null);
      assertTrue(client.flush(5000));
      List<String> seen = new ArrayList<>();
      for (Map<String, Object> c : crumbs(crashOf(ingest))) {
        assertEquals("log", c.get("category"));
        assertEquals("shop.checkout", ((Map<?, ?>) c.get("data")).get("logger"));
        seen.add(c.get("level") + ": " + c.get("message"));
      }
      assertEquals(java.util.Arrays.asList("info: paid 12 items", "warning: card expires soon", "error: gateway down"), seen);
    }
  }

  @Test
  void theLoggingKindTurnsOffAndTheHandlerLeavesAtClose() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      Logger root = Logger.getLogger("");
      int before = root.getHandlers().length;
      client = TestSupport.start(options(ingest.url(), dir).autoBreadcrumbs("logging", false).build());
      assertEquals(before, root.getHandlers().length);
      Logger.getLogger("shop.checkout").warning("not kept");
      client.captureException(new IllegalStateException("declined"), null);
      assertTrue(client.flush(5000));
      assertNull(crumbs(crashOf(ingest)));
      client.close();

      Client other = TestSupport.start(options(ingest.url(), dir).build());
      assertEquals(before + 1, root.getHandlers().length);
      other.close();
      assertEquals(before, root.getHandlers().length);
      for (Handler h : root.getHandlers()) assertFalse(h instanceof LogBreadcrumbs);
    }
  }

  @Test
  void everyKindOfReportCarriesTheEnvironment() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      client = TestSupport.start(options(ingest.url(), dir)
          .environment(TestSupport.env("DUMPCATCHER_ENVIRONMENT", "staging")).autoSessionTracking(true)
          .metric(new TestMetric()).build());
      client.captureException(new IllegalStateException("x"), null);
      client.reportUsage();
      client.endSession();
      assertTrue(client.flush(5000));
      List<String> paths = new ArrayList<>();
      for (FakeIngest.Received r : ingest.delivered()) {
        paths.add(r.path.substring(r.path.lastIndexOf('/') + 1));
        assertEquals("staging", r.json().get("environment"), r.path);
      }
      paths.sort(null);
      assertEquals(java.util.Arrays.asList("crashes", "sessions", "usage"), paths);
    }
  }

  @Test
  void theEnvironmentOptionWinsOverTheVariable() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      client = TestSupport.start(options(ingest.url(), dir)
          .environment(TestSupport.env("DUMPCATCHER_ENVIRONMENT", "staging")).environment("qa").build());
      client.captureException(new IllegalStateException("x"), null);
      assertTrue(client.flush(5000));
      assertEquals("qa", crashOf(ingest).json().get("environment"));
    }
  }
}
