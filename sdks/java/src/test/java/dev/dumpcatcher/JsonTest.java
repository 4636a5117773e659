package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void escapesControlCharactersQuotesAndLineSeparators() {
    assertEquals("\"a\\\"b\\\\c\\n\\t\\u0001\\u2028\u00e9\"", Json.write("a\"b\\c\n\t\u0001\u2028\u00e9"));
  }

  @Test
  void roundTripsNestedValues() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "x\ud83d\ude00y");
    m.put("n", 42L);
    m.put("d", 1.5);
    m.put("b", true);
    m.put("z", null);
    m.put("l", Arrays.asList(1L, "two", Arrays.asList()));
    String text = Json.write(m);
    assertEquals("{\"s\":\"x\ud83d\ude00y\",\"n\":42,\"d\":1.5,\"b\":true,\"z\":null,\"l\":[1,\"two\",[]]}", text);
    assertEquals(m, Json.parse(text));
  }

  @Test
  void writesNonFiniteNumbersAsNull() {
    assertEquals("[null,null]", Json.write(Arrays.asList(Double.NaN, Double.POSITIVE_INFINITY)));
  }

  @Test
  void parsesEscapesIncludingSurrogatePairs() {
    assertEquals("\u00e9\ud83d\ude00/\n", Json.parse("\"\\u00e9\\ud83d\\ude00\\/\\n\""));
  }

  @Test
  void keepsTheRawTextOfTopLevelValues() {
    Map<String, String> raw = new LinkedHashMap<>();
    Json.parseObjectKeepingRaw("{ \"a\" : {\"x\": 1.50e1, \"y\":[ 1 ]} , \"b\":2}", raw);
    assertEquals("{\"x\": 1.50e1, \"y\":[ 1 ]}", raw.get("a"));
    assertEquals("2", raw.get("b"));
  }

  @Test
  void refusesMalformedText() {
    for (String bad : new String[] {"{", "{\"a\":}", "[1,]", "\"unterminated", "tru", "{} x", "{\"a\":1,}"}) {
      assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad);
    }
  }
}
