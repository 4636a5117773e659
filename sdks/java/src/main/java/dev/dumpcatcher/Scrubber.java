package dev.dumpcatcher;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Removes personal data and secrets from report text before it touches disk or stderr. */
final class Scrubber {
  private static final Pattern EMAIL = Pattern.compile("[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+");
  static final Pattern KEY_VALUE = Pattern.compile(
      "(?i)(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)(\\s*[=:]\\s*)"
          + "(?!<redacted>)(\"[^\"]*\"|'[^']*'|[^\\s,;&\"'<>]+)");
  private static final Pattern AUTH_SCHEME =
      Pattern.compile("\\b(Bearer|Basic)\\s+(?!<redacted>)[A-Za-z0-9._~+/=-]+");
  private static final Pattern JWT =
      Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");
  /**
   * Cheap pre-check so that ordinary text (most stack traces) skips the costlier pattern: what
   * KEY_VALUE's names end with ("api_key" and "access-key" end with "key").
   */
  private static final String[] KEY_NAME_ENDS = {"password", "passwd", "pwd", "secret", "token", "key", "auth"};
  private static final int LONG_TOKEN_MIN = 32;
  /** [A-Za-z0-9+/_=-], the characters of a long token. */
  private static final boolean[] TOKEN_CHAR = new boolean[128];

  static {
    for (char c = 'a'; c <= 'z'; c++) TOKEN_CHAR[c] = true;
    for (char c = 'A'; c <= 'Z'; c++) TOKEN_CHAR[c] = true;
    for (char c = '0'; c <= '9'; c++) TOKEN_CHAR[c] = true;
    for (char c : "+/_=-".toCharArray()) TOKEN_CHAR[c] = true;
  }

  private final String secret;
  private final String home;
  private final Pattern user;
  private final String userName;

  /** home and userName come from user.home and user.name in production; tests pass their own. */
  Scrubber(String secret, String home, String userName) {
    this.secret = secret == null || secret.isEmpty() ? null : secret;
    this.home = home == null || home.length() < 2 ? null : stripSlash(home);
    this.userName = userName;
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
    if (user != null && s.contains(userName)) s = user.matcher(s).replaceAll("<user>");
    if (s.indexOf('@') >= 0) s = EMAIL.matcher(s).replaceAll("<email>");
    if (mayHaveKeyValue(s)) s = KEY_VALUE.matcher(s).replaceAll("$1$2<redacted>");
    if (s.contains("Bearer") || s.contains("Basic")) s = AUTH_SCHEME.matcher(s).replaceAll("$1 <redacted>");
    if (s.contains("eyJ")) s = JWT.matcher(s).replaceAll("<token>");
    return replaceLongTokens(s);
  }

  /**
   * Whether some '=' or ':' follows (after optional whitespace) one of the names KEY_VALUE looks
   * for: true whenever KEY_VALUE can match, without lowercasing a copy of the whole text.
   */
  static boolean mayHaveKeyValue(String s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c != '=' && c != ':') continue;
      int end = i;
      while (end > 0 && isRegexSpace(s.charAt(end - 1))) end--;
      if (end == 0) continue;
      // Every name ends with d, t, n, y or h (in either case): most colons are after "java".
      char last = (char) (s.charAt(end - 1) | 0x20);
      if (last != 'd' && last != 't' && last != 'n' && last != 'y' && last != 'h') continue;
      for (String w : KEY_NAME_ENDS) {
        int start = end - w.length();
        if (start >= 0 && s.regionMatches(true, start, w, 0, w.length())) return true;
      }
    }
    return false;
  }

  /** \\s of java.util.regex without UNICODE_CHARACTER_CLASS. */
  private static boolean isRegexSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\013' || c == '\f' || c == '\r';
  }

  private static boolean isTokenChar(char c) {
    return c < 128 && TOKEN_CHAR[c];
  }

  /** Runs of 32+ chars of [A-Za-z0-9+/_=-] with both a letter and a digit become <token>. */
  private static String replaceLongTokens(String s) {
    StringBuilder out = null;
    int last = 0;
    int n = s.length();
    int i = 0;
    while (i < n) {
      if (!isTokenChar(s.charAt(i))) {
        i++;
        continue;
      }
      int start = i;
      while (i < n && isTokenChar(s.charAt(i))) i++;
      if (i - start >= LONG_TOKEN_MIN && hasLetterAndDigit(s, start, i)) {
        if (out == null) out = new StringBuilder(n);
        out.append(s, last, start).append("<token>");
        last = i;
      }
    }
    if (out == null) return s;
    return out.append(s, last, n).toString();
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
