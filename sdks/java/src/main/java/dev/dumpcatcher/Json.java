package dev.dumpcatcher;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The small JSON writer and reader the SDK needs, so that it has no runtime dependencies. */
final class Json {
  private static final int MAX_DEPTH = 64;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Json() {}

  /** Serialises maps, collections, arrays, strings, numbers, booleans and null; other objects as their string. */
  static String write(Object value) {
    return write(value, 256);
  }

  /** Like {@link #write(Object)}, into a buffer of the given initial capacity (no regrowth for a typical report). */
  static String write(Object value, int capacity) {
    StringBuilder out = new StringBuilder(capacity);
    write(out, value, 0);
    return out.toString();
  }

  static void write(StringBuilder out, Object value, int depth) {
    if (depth > MAX_DEPTH) {
      out.append("null");
    } else if (value == null) {
      out.append("null");
    } else if (value instanceof String) {
      writeString(out, (String) value);
    } else if (value instanceof Boolean) {
      out.append(((Boolean) value).booleanValue() ? "true" : "false");
    } else if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      // JSON has no NaN or Infinity.
      out.append(Double.isNaN(d) || Double.isInfinite(d) ? "null" : Double.toString(d));
    } else if (value instanceof Number) {
      out.append(value.toString());
    } else if (value instanceof Map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
        if (!first) out.append(',');
        first = false;
        writeString(out, String.valueOf(e.getKey()));
        out.append(':');
        write(out, e.getValue(), depth + 1);
      }
      out.append('}');
    } else if (value instanceof Collection) {
      out.append('[');
      boolean first = true;
      for (Object item : (Collection<?>) value) {
        if (!first) out.append(',');
        first = false;
        write(out, item, depth + 1);
      }
      out.append(']');
    } else if (value instanceof Object[]) {
      out.append('[');
      Object[] items = (Object[]) value;
      for (int i = 0; i < items.length; i++) {
        if (i > 0) out.append(',');
        write(out, items[i], depth + 1);
      }
      out.append(']');
    } else {
      writeString(out, String.valueOf(value));
    }
  }

  static void writeString(StringBuilder out, String s) {
    out.append('"');
    int start = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\' && c != '\u2028' && c != '\u2029') continue;
      out.append(s, start, i);
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
          out.append("\\u").append(HEX[(c >> 12) & 15]).append(HEX[(c >> 8) & 15])
              .append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
      }
      start = i + 1;
    }
    out.append(s, start, n);
    out.append('"');
  }

  /** Parses one JSON value: objects become LinkedHashMap, arrays ArrayList, integers Long, other numbers Double. */
  static Object parse(String text) {
    Parser p = new Parser(text);
    p.skipSpace();
    Object value = p.value(0, null);
    p.skipSpace();
    if (p.pos != text.length()) throw p.error("trailing characters");
    return value;
  }

  /**
   * Parses a JSON object and also returns the exact source text of each top-level value, so that a
   * stored report body can be sent again byte for byte.
   */
  static Map<String, Object> parseObjectKeepingRaw(String text, Map<String, String> rawOut) {
    Parser p = new Parser(text);
    p.skipSpace();
    if (p.peek() != '{') throw p.error("expected an object");
    Object value = p.value(0, rawOut);
    p.skipSpace();
    if (p.pos != text.length()) throw p.error("trailing characters");
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) value;
    return map;
  }

  /** A malformed JSON text. */
  static final class ParseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ParseException(String message) {
      super(message);
    }
  }

  private static final class Parser {
    private final String s;
    int pos;

    Parser(String s) {
      this.s = s;
    }

    ParseException error(String what) {
      return new ParseException(what + " at " + pos);
    }

    char peek() {
      if (pos >= s.length()) throw error("unexpected end");
      return s.charAt(pos);
    }

    void skipSpace() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') pos++;
        else break;
      }
    }

    Object value(int depth, Map<String, String> rawOut) {
      if (depth > MAX_DEPTH) throw error("too deep");
      char c = peek();
      switch (c) {
        case '{': return object(depth, rawOut);
        case '[': return array(depth);
        case '"': return string();
        case 't': return literal("true", Boolean.TRUE);
        case 'f': return literal("false", Boolean.FALSE);
        case 'n': return literal("null", null);
        default:
          if (c == '-' || (c >= '0' && c <= '9')) return number();
          throw error("unexpected character");
      }
    }

    Object literal(String word, Object result) {
      if (!s.startsWith(word, pos)) throw error("bad literal");
      pos += word.length();
      return result;
    }

    Map<String, Object> object(int depth, Map<String, String> rawOut) {
      Map<String, Object> map = new LinkedHashMap<>();
      pos++;
      skipSpace();
      if (peek() == '}') {
        pos++;
        return map;
      }
      while (true) {
        skipSpace();
        if (peek() != '"') throw error("expected a key");
        String key = string();
        skipSpace();
        if (peek() != ':') throw error("expected ':'");
        pos++;
        skipSpace();
        int start = pos;
        map.put(key, value(depth + 1, null));
        if (rawOut != null) rawOut.put(key, s.substring(start, pos));
        skipSpace();
        char c = peek();
        pos++;
        if (c == '}') return map;
        if (c != ',') throw error("expected ',' or '}'");
      }
    }

    List<Object> array(int depth) {
      List<Object> list = new ArrayList<>();
      pos++;
      skipSpace();
      if (peek() == ']') {
        pos++;
        return list;
      }
      while (true) {
        skipSpace();
        list.add(value(depth + 1, null));
        skipSpace();
        char c = peek();
        pos++;
        if (c == ']') return list;
        if (c != ',') throw error("expected ',' or ']'");
      }
    }

    String string() {
      pos++;
      StringBuilder out = null;
      int start = pos;
      while (true) {
        if (pos >= s.length()) throw error("unterminated string");
        char c = s.charAt(pos);
        if (c == '"') {
          String result = out == null ? s.substring(start, pos) : out.append(s, start, pos).toString();
          pos++;
          return result;
        }
        if (c < 0x20) throw error("control character in string");
        if (c != '\\') {
          pos++;
          continue;
        }
        if (out == null) out = new StringBuilder();
        out.append(s, start, pos);
        if (pos + 1 >= s.length()) throw error("bad escape");
        char e = s.charAt(pos + 1);
        pos += 2;
        switch (e) {
          case '"': out.append('"'); break;
          case '\\': out.append('\\'); break;
          case '/': out.append('/'); break;
          case 'b': out.append('\b'); break;
          case 'f': out.append('\f'); break;
          case 'n': out.append('\n'); break;
          case 'r': out.append('\r'); break;
          case 't': out.append('\t'); break;
          case 'u':
            if (pos + 4 > s.length()) throw error("bad unicode escape");
            try {
              out.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
            } catch (NumberFormatException ex) {
              throw error("bad unicode escape");
            }
            pos += 4;
            break;
          default:
            throw error("bad escape");
        }
        start = pos;
      }
    }

    Number number() {
      int start = pos;
      if (s.charAt(pos) == '-') pos++;
      boolean integral = true;
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c >= '0' && c <= '9') {
          pos++;
        } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
          integral = false;
          pos++;
        } else {
          break;
        }
      }
      String text = s.substring(start, pos);
      try {
        if (integral && text.length() < 19) return Long.valueOf(text);
        return Double.valueOf(text);
      } catch (NumberFormatException ex) {
        throw error("bad number");
      }
    }
  }
}
