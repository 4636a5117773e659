package dev.dumpcatcher;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Removes personal data and secrets from report text before it touches disk or stderr. */
final class Scrubber {
  private static final Pattern EMAIL = Pattern.compile("[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+");
  private static final Pattern KEY_VALUE = Pattern.compile(
      "(?i)(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)(\\s*[=:]\\s*)"
          + "(?!<redacted>)(\"[^\"]*\"|'[^']*'|[^\\s,;&\"'<>]+)");
  private static final Pattern AUTH_SCHEME =
      Pattern.compile("\\b(Bearer|Basic)\\s+(?!<redacted>)[A-Za-z0-9._~+/=-]+");
  private static final Pattern JWT =
      Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");
  private static final Pattern LONG_TOKEN =
      Pattern.compile("(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{32,}(?![A-Za-z0-9+/_=-])");

  private final String secret;
  private final String home;
  private final Pattern user;

  /** home and userName come from user.home and user.name in production; tests pass their own. */
  Scrubber(String secret, String home, String userName) {
    this.secret = secret == null || secret.isEmpty() ? null : secret;
    this.home = home == null || home.length() < 2 ? null : stripSlash(home);
    this.user = userName == null || userName.length() < 3 ? null
        : Pattern.compile("(?<![\\w])" + Pattern.quote(userName) + "(?![\\w])");
  }

  /** The scrubber for this process. */
  static Scrubber forProcess(String secret) {
    return new Scrubber(secret, SystemInfo.prop("user.home"), SystemInfo.prop("user.name"));
  }

  private static String stripSlash(String path) {
    while (path.length() > 1 && (path.endsWith("/") || path.endsWith("\\"))) {
      path = path.substring(0, path.length() - 1);
    }
    return path;
  }

  /** Scrubs one string; null stays null. */
  String scrub(String s) {
    if (s == null || s.isEmpty()) return s;
    if (secret != null && s.contains(secret)) s = s.replace(secret, "<redacted>");
    if (home != null && s.contains(home)) s = s.replace(home, "~");
    if (user != null) s = user.matcher(s).replaceAll("<user>");
    if (s.indexOf('@') >= 0) s = EMAIL.matcher(s).replaceAll("<email>");
    s = KEY_VALUE.matcher(s).replaceAll("$1$2<redacted>");
    s = AUTH_SCHEME.matcher(s).replaceAll("$1 <redacted>");
    if (s.contains("eyJ")) s = JWT.matcher(s).replaceAll("<token>");
    return replaceLongTokens(s);
  }

  private static String replaceLongTokens(String s) {
    Matcher m = LONG_TOKEN.matcher(s);
    StringBuilder out = null;
    int last = 0;
    while (m.find()) {
      if (!hasLetterAndDigit(s, m.start(), m.end())) continue;
      if (out == null) out = new StringBuilder(s.length());
      out.append(s, last, m.start()).append("<token>");
      last = m.end();
    }
    if (out == null) return s;
    return out.append(s, last, s.length()).toString();
  }

  private static boolean hasLetterAndDigit(String s, int from, int to) {
    boolean letter = false;
    boolean digit = false;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') digit = true;
      else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) letter = true;
      if (letter && digit) return true;
    }
    return false;
  }

  /** Scrubs every string in a JSON-like value, recursively; returns a copy. */
  Object scrubDeep(Object value) {
    if (value instanceof String) return scrub((String) value);
    if (value instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        out.put(String.valueOf(e.getKey()), scrubDeep(e.getValue()));
      }
      return out;
    }
    if (value instanceof Iterable) {
      List<Object> out = new ArrayList<>();
      for (Object item : (Iterable<?>) value) out.add(scrubDeep(item));
      return out;
    }
    if (value instanceof Object[]) {
      List<Object> out = new ArrayList<>();
      for (Object item : (Object[]) value) out.add(scrubDeep(item));
      return out;
    }
    if (value == null || value instanceof Number || value instanceof Boolean) return value;
    return scrub(String.valueOf(value));
  }
}
