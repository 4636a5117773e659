package dev.dumpcatcher;

/** String helpers shared by report building and scrubbing. */
final class Text {
  private Text() {}

  /** Cuts to at most max UTF-16 units without splitting a surrogate pair. */
  static String cut(String s, int max) {
    if (s == null || s.length() <= max) return s;
    int end = max;
    if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) end--;
    return s.substring(0, end);
  }

  /** Base64url without padding. */
  static String base64Url(byte[] bytes) {
    final String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    StringBuilder out = new StringBuilder((bytes.length * 4 + 2) / 3);
    int i = 0;
    for (; i + 2 < bytes.length; i += 3) {
      int n = ((bytes[i] & 255) << 16) | ((bytes[i + 1] & 255) << 8) | (bytes[i + 2] & 255);
      out.append(alphabet.charAt(n >>> 18)).append(alphabet.charAt((n >>> 12) & 63))
          .append(alphabet.charAt((n >>> 6) & 63)).append(alphabet.charAt(n & 63));
    }
    int rest = bytes.length - i;
    if (rest == 1) {
      int n = (bytes[i] & 255) << 16;
      out.append(alphabet.charAt(n >>> 18)).append(alphabet.charAt((n >>> 12) & 63));
    } else if (rest == 2) {
      int n = ((bytes[i] & 255) << 16) | ((bytes[i + 1] & 255) << 8);
      out.append(alphabet.charAt(n >>> 18)).append(alphabet.charAt((n >>> 12) & 63))
          .append(alphabet.charAt((n >>> 6) & 63));
    }
    return out.toString();
  }

  /** RFC 3339 UTC date-time with milliseconds, e.g. 2026-11-22T08:00:00.000Z. */
  static String rfc3339(long epochMillis) {
    long days = Math.floorDiv(epochMillis, 86_400_000L);
    long msOfDay = Math.floorMod(epochMillis, 86_400_000L);
    // Civil-from-days (H. Hinnant), avoiding java.time for older Android.
    long z = days + 719468;
    long era = Math.floorDiv(z, 146097);
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    StringBuilder out = new StringBuilder(24);
    pad(out, y, 4).append('-');
    pad(out, m, 2).append('-');
    pad(out, d, 2).append('T');
    pad(out, msOfDay / 3_600_000, 2).append(':');
    pad(out, (msOfDay / 60_000) % 60, 2).append(':');
    pad(out, (msOfDay / 1000) % 60, 2).append('.');
    pad(out, msOfDay % 1000, 3).append('Z');
    return out.toString();
  }

  private static final java.util.regex.Pattern RFC3339 = java.util.regex.Pattern.compile(
      "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?Z");

  /** Epoch milliseconds of a UTC RFC 3339 date-time (Z only, as the SDKs write them), or null. */
  static Long parseRfc3339(String text) {
    if (text == null) return null;
    java.util.regex.Matcher m = RFC3339.matcher(text);
    if (!m.matches()) return null;
    long y = Long.parseLong(m.group(1));
    long mo = Long.parseLong(m.group(2));
    long d = Long.parseLong(m.group(3));
    long h = Long.parseLong(m.group(4));
    long mi = Long.parseLong(m.group(5));
    long sec = Long.parseLong(m.group(6));
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return null;
    String frac = m.group(7) == null ? "" : m.group(7);
    long ms = frac.isEmpty() ? 0 : Long.parseLong((frac + "00").substring(0, 3));
    // Days-from-civil (H. Hinnant), the inverse of rfc3339 above.
    long yy = mo <= 2 ? y - 1 : y;
    long era = Math.floorDiv(yy, 400);
    long yoe = yy - era * 400;
    long doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    return days * 86_400_000L + h * 3_600_000L + mi * 60_000L + sec * 1000L + ms;
  }

  private static StringBuilder pad(StringBuilder out, long value, int width) {
    String s = Long.toString(value);
    for (int i = s.length(); i < width; i++) out.append('0');
    return out.append(s);
  }
}
