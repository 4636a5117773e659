package dev.dumpcatcher;

/** Found through META-INF/services/dev.dumpcatcher.Metric in the test resources. */
public final class TestMetric implements Metric {
  @Override
  public String name() {
    return "test.discovered";
  }

  @Override
  public Object collect() {
    return "from-service-loader";
  }
}
