package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** The conformance vectors shared with the Node and Python SDKs (test/vectors/). */
class VectorsTest {
  private static final Path VECTORS = Paths.get("..", "..", "test", "vectors");

  @TempDir Path dir;

  @SuppressWarnings("unchecked")
  private static Map<String, Object> load(String name) throws IOException {
    return (Map<String, Object>) Json.parse(new String(Files.readAllBytes(VECTORS.resolve(name)), StandardCharsets.UTF_8));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> cases(Map<String, Object> vectors) {
    return (List<Map<String, Object>>) vectors.get("cases");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return (Map<String, Object>) value;
  }

  private static long number(Object value) {
    return ((Number) value).longValue();
  }

  @TestFactory
  Stream<DynamicTest> scrub() throws IOException {
    Map<String, Object> vectors = load("scrub-v1.json");
    return cases(vectors).stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> {
      Map<String, Object> context = map(c.containsKey("context") ? c.get("context") : vectors.get("context"));
      Scrubber scrubber = new Scrubber((String) context.get("secret"), (String) context.get("homeDir"),
          (String) context.get("userName"));
      assertEquals(c.get("expected"), scrubber.scrub((String) c.get("input")));
    }));
  }

  @TestFactory
  Stream<DynamicTest> answers() throws IOException {
    return cases(load("answers-v1.json")).stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> {
      String retryAfter = null;
      String date = null;
      for (Map.Entry<String, Object> h : map(c.get("headers")).entrySet()) {
        // HttpURLConnection looks header names up ignoring case.
        if (h.getKey().equalsIgnoreCase("Retry-After")) retryAfter = (String) h.getValue();
        if (h.getKey().equalsIgnoreCase("Date")) date = (String) h.getValue();
      }
      Answers.Decision d = Answers.classify((int) number(c.get("status")), retryAfter, date,
          number(c.get("nowMs")), number(c.get("clockOffsetMs")));
      Map<String, Object> actual = new LinkedHashMap<>();
      switch (d.action) {
        case Answers.DELIVERED:
          actual.put("action", "delivered");
          break;
        case Answers.DROP:
          actual.put("action", "drop");
          break;
        case Answers.RETRY:
          actual.put("action", "retry");
          actual.put("retryAfterMs", d.retryAfterMs < 0 ? null : d.retryAfterMs);
          break;
        default:
          actual.put("action", "clockFix");
          actual.put("clockOffsetMs", d.clockOffsetMs);
          break;
      }
      Map<String, Object> expected = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : map(c.get("expect")).entrySet()) {
        expected.put(e.getKey(), e.getValue() instanceof Number ? (Object) number(e.getValue()) : e.getValue());
      }
      assertEquals(expected, actual);
    }));
  }

  @TestFactory
  Stream<DynamicTest> options() throws IOException {
    Map<String, Object> vectors = load("options-v1.json");
    List<DynamicTest> tests = new ArrayList<>();
    for (Map<String, Object> c : cases(vectors)) {
      for (boolean debug : new boolean[] {false, true}) {
        tests.add(DynamicTest.dynamicTest(c.get("name") + " (debug: " + debug + ")", () -> {
          Map<String, Object> o = new LinkedHashMap<>(map(vectors.get("base")));
          if (c.containsKey("set")) o.putAll(map(c.get("set")));
          if (c.containsKey("unset")) {
            for (Object name : (List<?>) c.get("unset")) o.remove(name);
          }
          DumpcatcherOptions.Builder b = DumpcatcherOptions.builder()
              .queueDir(dir)
              .environment(TestSupport.env())
              .captureUncaught(false)
              .discoverMetrics(false)
              .debug(debug);
          for (Map.Entry<String, Object> e : o.entrySet()) {
            Object v = e.getValue();
            switch (e.getKey()) {
              case "endpoint": b.endpoint((String) v); break;
              case "productKey": b.productKey((String) v); break;
              case "secret": b.secret((String) v); break;
              case "appName": b.appName((String) v); break;
              case "appVersion": b.appVersion((String) v); break;
              case "label": b.label((String) v); break;
              case "tags": {
                Map<String, String> tags = new LinkedHashMap<>();
                for (Map.Entry<String, Object> t : map(v).entrySet()) tags.put(t.getKey(), (String) t.getValue());
                b.tags(tags);
                break;
              }
              default: throw new AssertionError("no builder method for option " + e.getKey());
            }
          }
          Client client = new Client(b.build());
          try {
            boolean valid = (Boolean) c.get("valid");
            Client.Mode expected = !valid ? Client.Mode.DISABLED : debug ? Client.Mode.DEBUG : Client.Mode.ACTIVE;
            assertEquals(expected, client.mode(), String.valueOf(client.disabledReason()));
            if (!valid) assertNotNull(client.disabledReason());
          } finally {
            client.close();
          }
        }));
      }
    }
    return tests.stream();
  }

}
