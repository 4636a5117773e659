package dev.dumpcatcher;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Per-capture additions: a label, tags (merged over the default tags), extra data and a fingerprint. */
public final class CaptureContext {
  private final String label;
  private final Map<String, String> tags;
  private final Map<String, Object> extra;
  private final String fingerprint;

  private CaptureContext(Builder b) {
    this.label = b.label;
    this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(b.tags));
    this.extra = Collections.unmodifiableMap(new LinkedHashMap<>(b.extra));
    this.fingerprint = b.fingerprint;
  }

  /** Starts a context. */
  public static Builder builder() {
    return new Builder();
  }

  /** The custom label for this report, or null for the default label. */
  public String label() {
    return label;
  }

  /** Tags for this report. */
  public Map<String, String> tags() {
    return tags;
  }

  /** Extra JSON-like data (maps, lists, strings, numbers, booleans). */
  public Map<String, Object> extra() {
    return extra;
  }

  /** Overrides server-side grouping (and the local limiter's fingerprint), or null. */
  public String fingerprint() {
    return fingerprint;
  }

  /** Builds a {@link CaptureContext}. */
  public static final class Builder {
    private String label;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private String fingerprint;

    private Builder() {}

    /** Sets the custom label (1–128 chars). */
    public Builder label(String label) {
      this.label = label;
      return this;
    }

    /** Adds one tag. */
    public Builder tag(String key, String value) {
      if (key != null) tags.put(key, value);
      return this;
    }

    /** Adds tags. */
    public Builder tags(Map<String, String> tags) {
      if (tags != null) this.tags.putAll(tags);
      return this;
    }

    /** Adds one extra value. */
    public Builder extra(String key, Object value) {
      if (key != null) extra.put(key, value);
      return this;
    }

    /** Adds extra values. */
    public Builder extra(Map<String, ?> extra) {
      if (extra != null) this.extra.putAll(extra);
      return this;
    }

    /** Sets the fingerprint (1–256 chars). */
    public Builder fingerprint(String fingerprint) {
      this.fingerprint = fingerprint;
      return this;
    }

    /** Builds the context. */
    public CaptureContext build() {
      return new CaptureContext(this);
    }
  }
}
