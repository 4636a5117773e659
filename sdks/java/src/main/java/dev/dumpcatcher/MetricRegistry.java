package dev.dumpcatcher;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/** The metrics a usage report collects: explicit registrations plus ServiceLoader discovery. */
public final class MetricRegistry {
  /** At most this many metrics go into one usage report (protocol limit). */
  public static final int MAX_METRICS = 100;

  private static final Pattern NAME = Pattern.compile("[a-z0-9_.]{1,64}");
  private static final int MAX_STRING = 256;

  private final Map<String, Metric> metrics = new LinkedHashMap<>();

  /** Adds or replaces a metric by name; returns false (and registers nothing) for an invalid name. */
  public synchronized boolean register(Metric metric) {
    if (metric == null) return false;
    String name;
    try {
      name = metric.name();
    } catch (RuntimeException e) {
      return false;
    }
    if (name == null || !NAME.matcher(name).matches()) return false;
    metrics.put(name, metric);
    return true;
  }

  /** Removes the metric with this name; returns whether one was registered. */
  public synchronized boolean unregister(String name) {
    return metrics.remove(name) != null;
  }

  /** Names of the registered metrics, in registration order. */
  public synchronized java.util.Set<String> names() {
    return new java.util.LinkedHashSet<>(metrics.keySet());
  }

  /**
   * Registers every {@link Metric} listed in {@code META-INF/services/dev.dumpcatcher.Metric}
   * visible to the class loader; broken providers are skipped. Returns how many were added.
   */
  public int discover(ClassLoader loader) {
    int added = 0;
    try {
      Iterator<Metric> it = ServiceLoader.load(Metric.class, loader).iterator();
      while (true) {
        Metric m;
        try {
          if (!it.hasNext()) break;
          m = it.next();
        } catch (ServiceConfigurationError e) {
          continue;
        }
        if (register(m)) added++;
      }
    } catch (RuntimeException | ServiceConfigurationError e) {
      // Discovery is best effort: a broken provider must not break the app.
    }
    return added;
  }

  /**
   * Collects every metric. A metric whose collector throws, returns null, a non-finite number or
   * another type is left out; strings are cut to 256 chars.
   */
  public Map<String, Object> collect() {
    Metric[] snapshot;
    synchronized (this) {
      snapshot = metrics.values().toArray(new Metric[0]);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Metric m : snapshot) {
      if (out.size() >= MAX_METRICS) break;
      Object value;
      try {
        value = m.collect();
      } catch (Throwable t) {
        if (t instanceof VirtualMachineError) throw (VirtualMachineError) t;
        continue;
      }
      Object normal = normalise(value);
      if (normal != null) out.put(m.name(), normal);
    }
    return out;
  }

  private static Object normalise(Object value) {
    if (value instanceof String) return Text.cut((String) value, MAX_STRING);
    if (value instanceof Boolean) return value;
    if (value instanceof Number) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) return null;
      if (value instanceof Integer || value instanceof Long || value instanceof Short
          || value instanceof Byte) {
        return ((Number) value).longValue();
      }
      return d;
    }
    return null;
  }
}
