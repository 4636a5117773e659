package dev.dumpcatcher;

/**
 * A usage metric: a name ({@code [a-z0-9_.]{1,64}}) and a collector. Register one with
 * {@link MetricRegistry#register(Metric)} or list it in
 * {@code META-INF/services/dev.dumpcatcher.Metric} for {@link java.util.ServiceLoader}.
 */
public interface Metric {
  /** The metric's name, e.g. {@code feature.export_used}. */
  String name();

  /**
   * The current value: a String (up to 256 chars), a finite Number or a Boolean. Returning null
   * or throwing leaves the metric out of that usage report.
   */
  Object collect();
}
