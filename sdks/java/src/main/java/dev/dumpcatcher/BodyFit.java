package dev.dumpcatcher;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Fits a crash body under the size limit the SDKs keep (docs/sdks.md#size, test/vectors/fit-v1.json). */
final class BodyFit {
  /** Largest crash body the SDKs send: the ingest refuses more than 1 MiB (1,048,576 bytes). */
  static final int MAX_BODY_BYTES = 1_000_000;
  // The server's stored limit for a stack trace; a trace cut to fit keeps no more than it would store.
  static final int MAX_CUT_STACKTRACE_BYTES = 256 * 1024;
  private static final String MARKER_START = "\n\u2026 [truncated by dumpcatcher: ";
  private static final String MARKER_END = " bytes omitted]";

  private BodyFit() {}

  /** A crash report and its JSON text, the exact text queued and sent. */
  static final class Fitted {
    final Map<String, Object> report;
    final String json;

    Fitted(Map<String, Object> report, String json) {
      this.report = report;
      this.json = json;
    }
  }

  /** The UTF-8 length of s as String.getBytes(UTF_8) encodes it (a lone surrogate becomes '?'). */
  static int utf8Length(String s) {
    int n = 0;
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += Character.isSurrogate(c) ? 1 : 3;
      }
    }
    return n;
  }

  // Every UTF-16 unit is at most three bytes of UTF-8, so a body of up to a third of the limit in
  // characters (nearly all of them) needs no count at all.
  private static boolean fits(String json) {
    return (long) json.length() * 3 <= MAX_BODY_BYTES || utf8Length(json) <= MAX_BODY_BYTES;
  }

  private static int jsonLength(String s) {
    StringBuilder out = new StringBuilder(s.length() + 16);
    Json.writeString(out, s);
    return utf8Length(out.toString());
  }

  /**
   * The longest head of trace, followed by the marker, whose JSON is at most budget bytes and whose
   * UTF-8 is at most 256 KiB; null when not even the marker alone fits.
   */
  static String cutStacktrace(String trace, long budget) {
    int total = utf8Length(trace);
    if (!cutFits(trace, total, 0, budget)) return null;
    // Each unit is at least one byte, so no head longer than 256 Ki units fits.
    int low = 0;
    int high = Math.min(trace.length(), MAX_CUT_STACKTRACE_BYTES);
    while (low < high) {
      int middle = (low + high + 1) >>> 1;
      if (cutFits(trace, total, middle, budget)) low = middle;
      else high = middle - 1;
    }
    return cutPiece(trace, total, low);
  }

  private static String cutPiece(String trace, int total, int k) {
    // Never split a surrogate pair.
    int end = k > 0 && Character.isHighSurrogate(trace.charAt(k - 1)) ? k - 1 : k;
    String head = trace.substring(0, end);
    return head + MARKER_START + (total - utf8Length(head)) + MARKER_END;
  }

  private static boolean cutFits(String trace, int total, int k, long budget) {
    String piece = cutPiece(trace, total, k);
    return utf8Length(piece) <= MAX_CUT_STACKTRACE_BYTES && jsonLength(piece) <= budget;
  }

  /**
   * Makes a crash body fit MAX_BODY_BYTES: while it is over, leaves out extra, then the older half
   * of the breadcrumbs again and again, then the source context, then cuts the stack trace. json is
   * the report's JSON; when it fits (nearly always) nothing else is serialised. The caller's maps
   * are not changed. A body that still does not fit (a beforeSend put more than the limit elsewhere)
   * is returned as it is.
   */
  static Fitted fit(Map<String, Object> report, String json, DebugLog log) {
    if (fits(json)) return new Fitted(report, json);
    String id = String.valueOf(report.get("reportId"));
    log.log("report " + id + " is " + utf8Length(json) + " bytes, over the limit of " + MAX_BODY_BYTES
        + ": making it fit");
    Map<String, Object> out = new LinkedHashMap<String, Object>(report);
    String text = json;
    if (out.containsKey("extra")) {
      out.remove("extra");
      text = Json.write(out, json.length());
      log.log(said(id, "extra left out", text));
      if (fits(text)) return new Fitted(out, text);
    }
    Object crumbs = out.get("breadcrumbs");
    if (crumbs instanceof List && !((List<?>) crumbs).isEmpty()) {
      List<?> kept = (List<?>) crumbs;
      int had = kept.size();
      boolean done = false;
      while (!kept.isEmpty() && !done) {
        kept = kept.subList(kept.size() - kept.size() / 2, kept.size());
        if (kept.isEmpty()) out.remove("breadcrumbs");
        else out.put("breadcrumbs", kept);
        text = Json.write(out, text.length());
        done = fits(text);
      }
      log.log(said(id, "kept the newest " + kept.size() + " of " + had + " breadcrumbs", text));
      if (done) return new Fitted(out, text);
    }
    Map<String, Object> exception = null;
    if (out.get("exception") instanceof Map) {
      @SuppressWarnings("unchecked")
      Map<String, Object> copy = new LinkedHashMap<String, Object>((Map<String, Object>) out.get("exception"));
      exception = copy;
      out.put("exception", exception);
    }
    if (exception != null && exception.containsKey("sourceContext")) {
      exception.remove("sourceContext");
      text = Json.write(out, text.length());
      log.log(said(id, "source context left out", text));
      if (fits(text)) return new Fitted(out, text);
    }
    Object trace = exception == null ? null : exception.get("stacktrace");
    if (trace instanceof String) {
      long budget = MAX_BODY_BYTES - ((long) utf8Length(text) - jsonLength((String) trace));
      String cut = cutStacktrace((String) trace, budget);
      if (cut != null) {
        exception.put("stacktrace", cut);
        text = Json.write(out, text.length());
        log.log(said(id, "stack trace cut to " + utf8Length(cut) + " bytes", text));
        return new Fitted(out, text);
      }
    }
    log.log("report " + id + " is still " + utf8Length(text) + " bytes after every step; sent as it is");
    return new Fitted(out, text);
  }

  private static String said(String id, String what, String json) {
    return "report " + id + ": " + what + " (now " + utf8Length(json) + " bytes)";
  }
}
