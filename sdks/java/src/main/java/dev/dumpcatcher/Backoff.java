package dev.dumpcatcher;

import java.text.ParseException;
import java.text.SimpleDateFormat;
import java.util.Locale;
import java.util.Random;
import java.util.TimeZone;

/** Retry delays: exponential backoff with full jitter, and the HTTP headers that bound them. */
final class Backoff {
  private Backoff() {}

  /** Full jitter: uniform in [0, min(cap, base * 2^(failures-1))]. */
  static long delayMs(int failures, long baseMs, long capMs, Random random) {
    int shift = Math.max(0, Math.min(failures - 1, 30));
    long ceiling = Math.min(capMs, baseMs << shift);
    if (ceiling <= 0) return 0;
    return (long) (random.nextDouble() * (ceiling + 1));
  }

  /** The longest wait a Retry-After can ask for (docs/sdks.md): one hour. */
  static final long MAX_RETRY_AFTER_MS = 3_600_000L;

  /**
   * Retry-After in seconds or as an HTTP date (counted from nowMillis: the answer's own Date
   * when it has one), at most MAX_RETRY_AFTER_MS; -1 when absent or unreadable.
   */
  static long retryAfterMs(String value, long nowMillis) {
    if (value == null) return -1;
    String v = value.trim();
    if (v.isEmpty()) return -1;
    boolean digits = true;
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) < '0' || v.charAt(i) > '9') digits = false;
    }
    if (digits) {
      int first = 0;
      while (first < v.length() - 1 && v.charAt(first) == '0') first++;
      // More digits than a long holds is still just "a long time".
      if (v.length() - first > 12) return MAX_RETRY_AFTER_MS;
      return Math.min(Long.parseLong(v.substring(first)) * 1000L, MAX_RETRY_AFTER_MS);
    }
    long at = httpDateMillis(v);
    return at < 0 ? -1 : Math.min(Math.max(0, at - nowMillis), MAX_RETRY_AFTER_MS);
  }

  /** Parses an RFC 1123 date (the Date header); -1 when unreadable. */
  static long httpDateMillis(String value) {
    if (value == null) return -1;
    SimpleDateFormat f = new SimpleDateFormat("EEE, dd MMM yyyy HH:mm:ss zzz", Locale.US);
    f.setTimeZone(TimeZone.getTimeZone("GMT"));
    f.setLenient(false);
    try {
      return f.parse(value.trim()).getTime();
    } catch (ParseException | RuntimeException e) {
      return -1;
    }
  }
}
