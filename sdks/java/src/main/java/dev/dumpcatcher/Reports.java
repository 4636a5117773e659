package dev.dumpcatcher;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/** Builds crash and usage report bodies (docs/protocol.md) from a Throwable or the metric registry. */
final class Reports {
  static final int MAX_MESSAGE = 8192;
  static final int MAX_STACKTRACE_BYTES = 256 * 1024;
  private static final Pattern TAG_KEY = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  private Reports() {}

  /** The text printStackTrace prints, with Caused by and Suppressed sections. */
  static String stacktraceOf(Throwable t) {
    try {
      StringWriter sw = new StringWriter(2048);
      PrintWriter pw = new PrintWriter(sw);
      t.printStackTrace(pw);
      pw.flush();
      String s = sw.toString();
      return s.isEmpty() ? t.getClass().getName() : s;
    } catch (RuntimeException e) {
      return t.getClass().getName();
    }
  }

  static String messageOf(Throwable t) {
    try {
      return t.getMessage();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Builds a scrubbed crash report body; label, tags and extra of ctx are merged over the defaults. */
  static Map<String, Object> crash(Throwable t, CaptureContext ctx, DumpcatcherOptions o,
      Scrubber scrubber, String installId, long nowMillis, String environment, List<Map<String, Object>> breadcrumbs) {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("reportId", UUID.randomUUID().toString());
    report.put("occurredAt", Text.rfc3339(nowMillis));
    Map<String, Object> exception = new LinkedHashMap<>();
    exception.put("type", Text.cut(t.getClass().getName(), 512));
    String message = messageOf(t);
    if (message != null) exception.put("message", Text.cut(scrubber.scrub(message), MAX_MESSAGE));
    exception.put("stacktrace", cutStacktrace(scrubber.scrub(stacktraceOf(t))));
    report.put("exception", exception);
    report.put("app", app(o));
    String label = ctx != null && ctx.label() != null ? ctx.label() : o.label();
    if (label != null && !label.isEmpty()) report.put("label", Text.cut(scrubber.scrub(label), 128));
    Map<String, Object> runtime = new LinkedHashMap<>();
    runtime.put("name", SystemInfo.runtimeName());
    runtime.put("version", nonEmpty(Text.cut(SystemInfo.runtimeVersion(), 64)));
    report.put("runtime", runtime);
    Map<String, Object> os = new LinkedHashMap<>();
    os.put("name", nonEmpty(Text.cut(SystemInfo.osName(), 64)));
    String osVersion = Text.cut(SystemInfo.osVersion(), 64);
    if (!osVersion.isEmpty()) os.put("version", osVersion);
    String arch = Text.cut(SystemInfo.osArch(), 64);
    if (!arch.isEmpty()) os.put("arch", arch);
    report.put("os", os);
    Map<String, Object> tags = tags(withDevice(o.tags()), ctx == null ? null : ctx.tags(), scrubber);
    if (!tags.isEmpty()) report.put("tags", tags);
    if (ctx != null && !ctx.extra().isEmpty()) report.put("extra", scrubber.scrubDeep(ctx.extra()));
    String fingerprint = ctx == null ? null : ctx.fingerprint();
    if (fingerprint != null && !fingerprint.isEmpty()) report.put("fingerprint", Text.cut(fingerprint, 256));
    if (installId != null) report.put("installId", installId);
    report.put("environment", environment);
    if (breadcrumbs != null && !breadcrumbs.isEmpty()) report.put("breadcrumbs", breadcrumbs);
    return report;
  }

  /** Builds a usage report body, or null when no metric produced a value. */
  static Map<String, Object> usage(Map<String, Object> metrics, DumpcatcherOptions o, Scrubber scrubber,
      String installId, long nowMillis, String environment) {
    if (metrics.isEmpty()) return null;
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("reportId", UUID.randomUUID().toString());
    report.put("occurredAt", Text.rfc3339(nowMillis));
    report.put("app", app(o));
    if (installId != null) report.put("installId", installId);
    if (o.label() != null && !o.label().isEmpty()) report.put("label", Text.cut(scrubber.scrub(o.label()), 128));
    report.put("environment", environment);
    report.put("metrics", metrics);
    return report;
  }

  private static Map<String, Object> app(DumpcatcherOptions o) {
    Map<String, Object> app = new LinkedHashMap<>();
    app.put("name", Text.cut(o.appName(), 128));
    app.put("version", Text.cut(o.appVersion(), 64));
    return app;
  }

  /** The protocol has no device field: on Android the model and maker go in as tags, under the app's own. */
  private static Map<String, String> withDevice(Map<String, String> defaults) {
    String model = SystemInfo.deviceModel();
    String maker = SystemInfo.deviceManufacturer();
    if (model.isEmpty() && maker.isEmpty()) return defaults;
    Map<String, String> merged = new LinkedHashMap<>();
    if (!maker.isEmpty()) merged.put("device.manufacturer", maker);
    if (!model.isEmpty()) merged.put("device.model", model);
    merged.putAll(defaults);
    return merged;
  }

  private static Map<String, Object> tags(Map<String, String> defaults, Map<String, String> given, Scrubber scrubber) {
    Map<String, String> merged = new LinkedHashMap<>(defaults);
    if (given != null) merged.putAll(given);
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : merged.entrySet()) {
      if (out.size() >= 50) break;
      // Invalid tags would make the ingest refuse the whole report, so they are left out here.
      if (e.getKey() == null || !TAG_KEY.matcher(e.getKey()).matches() || e.getValue() == null) continue;
      out.put(e.getKey(), Text.cut(scrubber.scrub(e.getValue()), 256));
    }
    return out;
  }

  private static String nonEmpty(String s) {
    return s == null || s.isEmpty() ? "unknown" : s;
  }

  /** Keeps the head of a trace within the server's stored limit, marked the way the server marks it. */
  static String cutStacktrace(String s) {
    if (s.length() * 3 <= MAX_STACKTRACE_BYTES) return s;
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_STACKTRACE_BYTES) return s;
    int bytesSoFar = 0;
    int end = 0;
    int limit = MAX_STACKTRACE_BYTES - 80;
    while (end < s.length()) {
      int cp = s.codePointAt(end);
      int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytesSoFar + n > limit) break;
      bytesSoFar += n;
      end += Character.charCount(cp);
    }
    return s.substring(0, end) + "\n\u2026 [truncated by dumpcatcher: " + (bytes.length - bytesSoFar) + " bytes omitted]";
  }
}
