package dev.dumpcatcher;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ring of the last breadcrumbs (docs/sdks.md#breadcrumbs; test/vectors/breadcrumbs-v1.json):
 * each one scrubbed and cut when it is added, a copy of the ring sent with every crash report.
 * Thread-safe; never throws.
 */
final class Breadcrumbs {
  static final int MAX_CATEGORY = 64;
  static final int MAX_MESSAGE = 1024;
  static final int MAX_DATA_ENTRIES = 20;
  static final int MAX_DATA_KEY = 64;
  static final int MAX_DATA_VALUE = 256;
  static final Set<String> LEVELS =
      Collections.unmodifiableSet(new HashSet<String>(Arrays.asList("debug", "info", "warning", "error", "fatal")));

  private final int capacity;
  private final Scrubber scrubber;
  private final ArrayDeque<Map<String, Object>> ring;

  Breadcrumbs(int capacity, Scrubber scrubber) {
    this.capacity = Math.max(0, capacity);
    this.scrubber = scrubber;
    this.ring = new ArrayDeque<Map<String, Object>>(Math.min(this.capacity, 100) + 1);
  }

  /** Adds one breadcrumb at nowMillis; a null or unknown level is info, a null category is default. */
  void add(String category, String message, String level, Map<String, ?> data, long nowMillis) {
    if (capacity == 0) return;
    Map<String, Object> crumb = new LinkedHashMap<String, Object>();
    crumb.put("timestamp", Text.rfc3339(nowMillis));
    crumb.put("category", category == null || category.isEmpty() ? "default" : Text.cut(category, MAX_CATEGORY));
    crumb.put("level", level != null && LEVELS.contains(level) ? level : "info");
    if (message != null && !message.isEmpty()) crumb.put("message", Text.cut(scrubber.scrub(message), MAX_MESSAGE));
    Map<String, Object> kept = data(data);
    if (!kept.isEmpty()) crumb.put("data", kept);
    synchronized (ring) {
      ring.addLast(crumb);
      while (ring.size() > capacity) ring.removeFirst();
    }
  }

  /** The ring's breadcrumbs, oldest first (empty when none). */
  List<Map<String, Object>> snapshot() {
    synchronized (ring) {
      return new ArrayList<Map<String, Object>>(ring);
    }
  }

  /** The first 20 entries whose values are strings, finite numbers, booleans or null; keys scrubbed like extra's. */
  private Map<String, Object> data(Map<String, ?> data) {
    Map<String, Object> out = new LinkedHashMap<String, Object>();
    if (data == null) return out;
    Map<String, Integer> nextNumber = new java.util.HashMap<String, Integer>();
    for (Map.Entry<String, ?> e : data.entrySet()) {
      if (out.size() >= MAX_DATA_ENTRIES) break;
      if (e.getKey() == null) continue;
      Object v = e.getValue();
      Object value;
      if (v == null || v instanceof Boolean) {
        value = v;
      } else if (v instanceof Number) {
        double d = ((Number) v).doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) continue;
        value = v;
      } else if (v instanceof CharSequence || v instanceof Character) {
        value = Text.cut(scrubber.scrub(v.toString()), MAX_DATA_VALUE);
      } else {
        continue;
      }
      String key = Scrubber.uniqueKey(out, Text.cut(scrubber.scrub(e.getKey()), MAX_DATA_KEY), nextNumber);
      out.put(key, value);
    }
    return out;
  }
}
