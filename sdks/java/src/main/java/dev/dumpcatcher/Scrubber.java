package dev.dumpcatcher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes personal data and secrets from report text before it touches disk or stderr: the rules
 * of docs/privacy.md#scrubbing, in the table's order (secret, home folder, e-mail addresses, user
 * name, Bearer/Basic credentials, JWTs, name=value secrets, long tokens). Every rule runs in
 * linear time: reports are scrubbed inside the app, where a hostile message must not stall it.
 */
final class Scrubber {
  // The e-mail rule is [\w.+-]+@[\w-]+(\.[\w-]+)+ with the contract's \w: a letter, mark or
  // number of any script, or _ (docs/privacy.md), so josé@example.com is an address too. Applied
  // literally by java.util.regex it is quadratic on long runs of word characters, so each @domain
  // is found by this pattern and its local part by a walk to the left (same result, linear).
  private static final Pattern EMAIL_DOMAIN =
      Pattern.compile("@[\\p{L}\\p{M}\\p{N}_-]+(?:\\.[\\p{L}\\p{M}\\p{N}_-]+)+");
  /** The name is kept; a quoted value keeps its quotes. The optional quote after the name catches "token": "x". */
  static final Pattern KEY_VALUE = Pattern.compile(
      "(?i)(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)([\"']?\\s*[=:]\\s*)"
          + "(\"[^\"]*\"|'[^']*'|[^\\s\"',;&)}\\]]+)");
  private static final Pattern AUTH_SCHEME =
      // ASCII word boundary and white space, as in the JWT and name=value rules (docs/privacy.md);
      // java.util.regex's \b counts non-ASCII letters as word characters before JDK 19.
      Pattern.compile("(?<![A-Za-z0-9_])(Bearer|Basic)[ \\t\\n\\x0B\\f\\r]+(?!<redacted>)[A-Za-z0-9._~+/=-]+");
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
    String folder = home == null ? null : stripSlash(home);
    this.home = folder == null || folder.length() < 2 ? null : folder;
    this.userName = userName;
    this.user = userName == null || userName.length() < 3 ? null
        : Pattern.compile("(?<![\\p{L}\\p{M}\\p{N}_])" + Pattern.quote(userName) + "(?![\\p{L}\\p{M}\\p{N}_])");
  }

  /** The scrubber for this process. */
  static Scrubber forProcess(String secret) {
    return new Scrubber(secret, SystemInfo.prop("user.home"), SystemInfo.prop("user.name"));
  }

  private static String stripSlash(String path) {
    int end = path.length();
    while (end > 0 && (path.charAt(end - 1) == '/' || path.charAt(end - 1) == '\\')) end--;
    return path.substring(0, end);
  }

  /** Scrubs one string; null stays null. */
  String scrub(String s) {
    if (s == null || s.isEmpty()) return s;
    // The secret goes first so that no later rule leaves part of it behind.
    if (secret != null && s.contains(secret)) s = s.replace(secret, "<redacted>");
    // The home folder goes before the user name, which it usually contains.
    if (home != null) s = replaceHome(s);
    // E-mail before the user name, so that alice@example.com becomes <email>, not <user>@....
    if (s.indexOf('@') >= 0) s = replaceEmails(s);
    if (user != null && s.contains(userName)) s = user.matcher(s).replaceAll("<user>");
    if (s.contains("Bearer") || s.contains("Basic")) s = AUTH_SCHEME.matcher(s).replaceAll("$1 <redacted>");
    if (s.contains("eyJ")) s = replaceJwts(s);
    if (mayHaveKeyValue(s)) s = replaceKeyValues(s);
    return replaceLongTokens(s);
  }

  /**
   * The home folder becomes ~ only where a file name cannot go on after it (a separator, the end,
   * or a character like a quote or a colon): home /home/al leaves /home/alice/x alone.
   */
  private String replaceHome(String s) {
    StringBuilder out = null;
    int last = 0;
    int at = s.indexOf(home);
    while (at >= 0) {
      int after = at + home.length();
      if (after < s.length() && isFileNameChar(s.codePointAt(after))) {
        at = s.indexOf(home, at + 1);
        continue;
      }
      if (out == null) out = new StringBuilder(s.length());
      out.append(s, last, at).append('~');
      last = after;
      at = s.indexOf(home, after);
    }
    if (out == null) return s;
    return out.append(s, last, s.length()).toString();
  }

  /** What may continue a folder name: the contract's \\w, '.' and '-'. */
  private static boolean isFileNameChar(int c) {
    return isUnicodeWordChar(c) || c == '.' || c == '-';
  }

  /** The contract's \\w (docs/privacy.md): a letter, mark or number of any script, or '_'. */
  static boolean isUnicodeWordChar(int c) {
    // Character's general categories 1 to 11 are exactly the letters, marks and numbers.
    int type = Character.getType(c);
    return c == '_' || (type >= Character.UPPERCASE_LETTER && type <= Character.OTHER_NUMBER);
  }

  /**
   * The e-mail rule in linear time: each @domain, then its local part found by walking left
   * (never past the previous address); an @domain with no local part is not an address.
   */
  static String replaceEmails(String s) {
    Matcher m = EMAIL_DOMAIN.matcher(s);
    StringBuilder out = null;
    int last = 0;
    while (m.find()) {
      int at = m.start();
      int begin = at;
      while (begin > last) {
        int c = s.codePointBefore(begin);
        if (!isLocalPartChar(c)) break;
        begin -= Character.charCount(c);
      }
      if (begin == at) continue;
      if (out == null) out = new StringBuilder(s.length());
      out.append(s, last, begin).append("<email>");
      last = m.end();
    }
    if (out == null) return s;
    return out.append(s, last, s.length()).toString();
  }

  /** [\\w.+-] with the contract's \\w. */
  private static boolean isLocalPartChar(int c) {
    return c == '.' || c == '+' || c == '-' || isUnicodeWordChar(c);
  }

  private static boolean isWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  /** [A-Za-z0-9_-], the characters of a JWT's three parts. */
  private static boolean isJwtChar(char c) {
    return isWordChar(c) || c == '-';
  }

  private static int jwtRunEnd(String s, int from) {
    int i = from;
    while (i < s.length() && isJwtChar(s.charAt(i))) i++;
    return i;
  }

  /**
   * \\beyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]* becomes <token>, in linear time: as a
   * regex, every "eyJ" after a '-' in a long run ("eyJ-eyJ-...") rescans the run to its end.
   */
  static String replaceJwts(String s) {
    int n = s.length();
    StringBuilder out = null;
    int last = 0;
    int at = s.indexOf("eyJ");
    while (at >= 0) {
      if (at > 0 && isWordChar(s.charAt(at - 1))) {
        at = s.indexOf("eyJ", at + 1);
        continue;
      }
      int header = jwtRunEnd(s, at + 3);
      if (header < n && s.charAt(header) == '.') {
        int payload = jwtRunEnd(s, header + 1);
        if (payload > header + 1 && payload < n && s.charAt(payload) == '.') {
          int end = jwtRunEnd(s, payload + 1);
          if (out == null) out = new StringBuilder(n);
          out.append(s, last, at).append("<token>");
          last = end;
          at = s.indexOf("eyJ", end);
          continue;
        }
      }
      // Any later "eyJ" inside the same header run ends where this one did, and fails the same way.
      at = s.indexOf("eyJ", header);
    }
    if (out == null) return s;
    return out.append(s, last, n).toString();
  }

  /** KEY_VALUE with the name kept, and the quotes of a quoted value. */
  private static String replaceKeyValues(String s) {
    Matcher m = KEY_VALUE.matcher(s);
    if (!m.find()) return s;
    StringBuilder out = new StringBuilder(s.length());
    int last = 0;
    do {
      String value = m.group(3);
      char first = value.charAt(0);
      String quote = first == '"' || first == '\'' ? String.valueOf(first) : "";
      out.append(s, last, m.start()).append(m.group(1)).append(m.group(2))
          .append(quote).append("<redacted>").append(quote);
      last = m.end();
    } while (m.find());
    return out.append(s, last, s.length()).toString();
  }

  /**
   * Whether some '=' or ':' follows (after an optional quote and whitespace) one of the names
   * KEY_VALUE looks for: true whenever KEY_VALUE can match, without lowercasing a copy of the text.
   */
  static boolean mayHaveKeyValue(String s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c != '=' && c != ':') continue;
      int end = i;
      while (end > 0 && isRegexSpace(s.charAt(end - 1))) end--;
      if (end > 0 && (s.charAt(end - 1) == '"' || s.charAt(end - 1) == '\'')) end--;
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

  /**
   * Runs of 32+ chars of [A-Za-z0-9+/_=-] with both a letter and a digit become <token>; a run that
   * starts with '/' is a file path (stack traces are full of them), so each of its segments is
   * judged on its own instead (a token inside a URL path is still caught).
   */
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
      if (i - start < LONG_TOKEN_MIN) continue;
      if (s.charAt(start) != '/') {
        if (!hasLetterAndDigit(s, start, i)) continue;
        if (out == null) out = new StringBuilder(n);
        out.append(s, last, start).append("<token>");
        last = i;
        continue;
      }
      for (int segment = start + 1; segment < i; ) {
        int end = segment;
        while (end < i && s.charAt(end) != '/') end++;
        if (end - segment >= LONG_TOKEN_MIN && hasLetterAndDigit(s, segment, end)) {
          if (out == null) out = new StringBuilder(n);
          out.append(s, last, segment).append("<token>");
          last = end;
        }
        segment = end + 1;
      }
    }
    if (out == null) return s;
    return out.append(s, last, n).toString();
  }

  /**
   * key, or the first of key#2, key#3... that taken does not have: two keys that scrub to the same
   * text (two addresses both become &lt;email&gt;) must not lose a value. nextNumber remembers where
   * each search stopped, so that many equal keys cost linear time.
   */
  static String uniqueKey(Map<String, ?> taken, String key, Map<String, Integer> nextNumber) {
    if (!taken.containsKey(key)) return key;
    // Not Map.getOrDefault: Android has it from API 24 only.
    Integer next = nextNumber.get(key);
    int number = next == null ? 2 : next;
    while (taken.containsKey(key + "#" + number)) number++;
    nextNumber.put(key, number + 1);
    return key + "#" + number;
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

  /**
   * Scrubs every string in a JSON-like value, keys of maps too, recursively; returns a copy. Keys
   * that scrub alike are kept apart by {@link #uniqueKey}, so no value is lost.
   */
  Object scrubDeep(Object value) {
    if (value instanceof String) return scrub((String) value);
    if (value instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      Map<String, Integer> nextNumber = new HashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        out.put(uniqueKey(out, scrub(String.valueOf(e.getKey())), nextNumber), scrubDeep(e.getValue()));
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
