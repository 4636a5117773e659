package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {
  @TempDir Path dir;

  private static Metric metric(final String name, final Object value) {
    return new Metric() {
      @Override public String name() { return name; }
      @Override public Object collect() { return value; }
    };
  }

  @Test
  void theBuiltInMetricsAreExactlyTheDocumentedEight() {
    MetricRegistry r = new MetricRegistry();
    for (Metric m : BuiltinMetrics.all("9.9.9")) assertTrue(r.register(m));
    assertEquals(Arrays.asList("os.name", "os.version", "os.arch", "runtime.name", "runtime.version",
        "app.version", "locale", "cpu.count"), new ArrayList<>(r.names()));
    Map<String, Object> values = r.collect();
    assertEquals("java", values.get("runtime.name"));
    assertEquals("9.9.9", values.get("app.version"));
    assertEquals(System.getProperty("java.version"), values.get("runtime.version"));
    assertEquals((long) Runtime.getRuntime().availableProcessors(), values.get("cpu.count"));
    assertEquals(SystemInfo.osName(), values.get("os.name"));
    if (System.getProperty("os.name").startsWith("Linux")) assertEquals("linux", values.get("os.name"));
    assertEquals(SystemInfo.archName(System.getProperty("os.arch")), values.get("os.arch"));
  }

  @Test
  void rejectsInvalidNamesAndLeavesOutBadValues() {
    MetricRegistry r = new MetricRegistry();
    assertFalse(r.register(metric("Bad-Name", 1)));
    assertFalse(r.register(metric("", 1)));
    assertTrue(r.register(metric("ok.string", "s")));
    assertTrue(r.register(metric("ok.number", 2.5)));
    assertTrue(r.register(metric("ok.bool", true)));
    assertTrue(r.register(metric("bad.null", null)));
    assertTrue(r.register(metric("bad.nan", Double.NaN)));
    assertTrue(r.register(metric("bad.type", new Object())));
    assertTrue(r.register(new Metric() {
      @Override public String name() { return "bad.throws"; }
      @Override public Object collect() { throw new IllegalStateException("broken collector"); }
    }));
    Map<String, Object> values = r.collect();
    assertEquals(3, values.size(), values.toString());
    assertEquals(2.5, values.get("ok.number"));
    assertTrue(r.unregister("ok.bool"));
    assertFalse(r.collect().containsKey("ok.bool"));
  }

  @Test
  void discoversMetricsThroughServiceLoader() {
    MetricRegistry r = new MetricRegistry();
    assertEquals(1, r.discover(getClass().getClassLoader()));
    assertEquals("from-service-loader", r.collect().get("test.discovered"));
  }

  @Test
  void reportUsageSendsBuiltInDiscoveredAndRegisteredMetrics() throws Exception {
    try (FakeIngest ingest = new FakeIngest()) {
      Client client = start(options(ingest.url(), dir).metric(metric("feature.export_used", true)).installId(true).build());
      try {
        client.metrics().register(metric("late.registered", 7));
        client.reportUsage();
        assertTrue(client.flush(5000));
      } finally {
        client.close();
      }
      FakeIngest.Received r = ingest.received().get(0);
      assertEquals("/v1/usage", r.path);
      assertEquals(202, r.status);
      assertTrue(r.signatureValid);
      Map<String, Object> body = r.json();
      Map<?, ?> metrics = (Map<?, ?>) body.get("metrics");
      assertEquals("java", metrics.get("runtime.name"));
      assertEquals("1.2.3", metrics.get("app.version"));
      assertEquals("from-service-loader", metrics.get("test.discovered"));
      assertEquals(true, metrics.get("feature.export_used"));
      assertEquals(7L, metrics.get("late.registered"));
      assertTrue(String.valueOf(body.get("installId")).matches("[A-Za-z0-9_-]{22}"));
      assertEquals("java-sdk-tests", ((Map<?, ?>) body.get("app")).get("name"));
    }
  }
}
