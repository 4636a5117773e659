package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  private static List<Map<String, Object>> cases(Map<String, Object> vectors) {
    return nonEmpty(vectors.get("cases"), "cases");
  }

  /** A list of cases; none at all fails the factory instead of making zero tests. */
  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> nonEmpty(Object list, String what) {
    List<Map<String, Object>> cases = (List<Map<String, Object>>) list;
    if (cases == null || cases.isEmpty()) throw new AssertionError("the vector file holds no " + what);
    return cases;
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
      // The error code as HttpTransport reads it from the answer's body.
      String errorCode = c.containsKey("body")
          ? HttpTransport.errorCode(((String) c.get("body")).getBytes(StandardCharsets.UTF_8)) : null;
      Answers.Decision d = Answers.classify((int) number(c.get("status")), retryAfter, date,
          number(c.get("nowMs")), number(c.get("clockOffsetMs")), errorCode);
      Map<String, Object> actual = new LinkedHashMap<>();
      switch (d.action) {
        case Answers.DELIVERED:
          actual.put("action", "delivered");
          break;
        case Answers.DROP:
          actual.put("action", "drop");
          actual.put("log", d.notice);
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
      // A case for other SDKs only: a value Java's typed builder cannot even express.
      if (c.containsKey("sdks") && !((List<?>) c.get("sdks")).contains("java")) continue;
      for (boolean debug : new boolean[] {false, true}) {
        tests.add(DynamicTest.dynamicTest(c.get("name") + " (debug: " + debug + ")", () -> {
          Map<String, Object> o = new LinkedHashMap<>(map(vectors.get("base")));
          if (c.containsKey("set")) o.putAll(map(c.get("set")));
          if (c.containsKey("unset")) {
            for (Object name : (List<?>) c.get("unset")) o.remove(name);
          }
          DumpcatcherOptions.Builder b = DumpcatcherOptions.builder()
              .queueDir(dir.toFile())
              .environment(TestSupport.env(envPairs(c)))
              .captureUncaught(false)
              .discoverMetrics(false)
              // Not started, so close() would wait this long for a sender pass (a case may set it).
              .shutdownTimeoutMs(50)
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
              case "sampleRate": b.sampleRate(((Number) v).doubleValue()); break;
              case "maxQueueFiles": b.maxQueueFiles((int) number(v)); break;
              case "maxQueueBytes": b.maxQueueBytes(number(v)); break;
              case "maxQueueAgeSeconds": b.maxQueueAgeSeconds(number(v)); break;
              case "gzipThresholdBytes": b.gzipThresholdBytes((int) number(v)); break;
              case "maxReportsPerFingerprint": b.maxReportsPerFingerprint((int) number(v)); break;
              case "limiterWindowSeconds": b.limiterWindowSeconds(number(v)); break;
              case "shutdownTimeoutMs": b.shutdownTimeoutMs(number(v)); break;
              case "requestTimeoutMs": b.requestTimeoutMs((int) number(v)); break;
              case "environment": b.environment((String) v); break;
              case "maxBreadcrumbs": b.maxBreadcrumbs((int) number(v)); break;
              case "autoBreadcrumbs":
                if (v instanceof Boolean) {
                  b.autoBreadcrumbs((Boolean) v);
                } else {
                  for (Map.Entry<String, Object> k : map(v).entrySet()) b.autoBreadcrumbs(k.getKey(), (Boolean) k.getValue());
                }
                break;
              default: throw new AssertionError("no builder method for option " + e.getKey());
            }
          }
          DebugLog.forgetNotices();
          DumpcatcherOptions built = b.build();
          Client[] made = new Client[1];
          String err = TestSupport.stderrOf(() -> made[0] = new Client(built));
          Client client = made[0];
          try {
            boolean valid = (Boolean) c.get("valid");
            Client.Mode expected = !valid ? Client.Mode.DISABLED : debug ? Client.Mode.DEBUG : Client.Mode.ACTIVE;
            assertEquals(expected, client.mode(), String.valueOf(client.disabledReason()));
            List<String> said = new ArrayList<>();
            for (String line : err.split("\n")) if (line.contains("SDK disabled")) said.add(line);
            if (valid) {
              assertEquals(0, said.size(), err);
              if (c.containsKey("environment")) assertEquals(c.get("environment"), client.environmentName());
            } else {
              assertNotNull(client.disabledReason());
              // Said once, naming the option, debug mode or not; and flush() says false.
              assertEquals(1, said.size(), err);
              assertTrue(said.get(0).startsWith("[dumpcatcher] "), said.get(0));
              assertTrue(said.get(0).contains((String) c.get("log")), said.get(0));
              assertFalse(client.flush(100));
            }
          } finally {
            client.close();
          }
        }));
      }
    }
    return tests.stream();
  }


  private static String[] envPairs(Map<String, Object> c) {
    List<String> pairs = new ArrayList<>();
    if (c.containsKey("env")) {
      for (Map.Entry<String, Object> e : map(c.get("env")).entrySet()) {
        pairs.add(e.getKey());
        pairs.add((String) e.getValue());
      }
    }
    return pairs.toArray(new String[0]);
  }

  @TestFactory
  Stream<DynamicTest> breadcrumbs() throws IOException {
    Map<String, Object> vectors = load("breadcrumbs-v1.json");
    Map<String, Object> context = map(vectors.get("context"));
    Map<String, Object> base = map(load("options-v1.json").get("base"));
    return cases(vectors).stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> {
      DumpcatcherOptions.Builder b = DumpcatcherOptions.builder()
          .endpoint((String) base.get("endpoint")).productKey((String) base.get("productKey"))
          .secret((String) context.get("secret")).appName((String) base.get("appName"))
          .appVersion((String) base.get("appVersion"));
      Map<String, Object> options = c.containsKey("options") ? map(c.get("options")) : new LinkedHashMap<>();
      if (options.containsKey("maxBreadcrumbs")) b.maxBreadcrumbs((int) number(options.get("maxBreadcrumbs")));
      DumpcatcherOptions o = b.build();
      // The vectors' home folder and user name, as the process's own would be.
      Scrubber scrubber = new Scrubber((String) context.get("secret"), (String) context.get("homeDir"),
          (String) context.get("userName"));
      Breadcrumbs ring = new Breadcrumbs(o.maxBreadcrumbs(), scrubber);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> adds = (List<Map<String, Object>>) c.get("add");
      for (Map<String, Object> a : adds) {
        @SuppressWarnings("unchecked")
        Map<String, ?> data = (Map<String, ?>) a.get("data");
        ring.add((String) a.get("category"), (String) a.get("message"), (String) a.get("level"), data, 1796601600123L);
      }
      Map<String, Object> report = Reports.crash(new IllegalStateException("vector"), null, o, scrubber, null,
          1796601600500L, "production", ring.snapshot());
      Object crumbs = report.get("breadcrumbs");
      if (c.get("expected") == null) {
        assertFalse(report.containsKey("breadcrumbs"), String.valueOf(crumbs));
        return;
      }
      List<Object> withoutTime = new ArrayList<>();
      for (Object crumb : (List<?>) crumbs) {
        Map<String, Object> m = new LinkedHashMap<>(map(crumb));
        assertEquals("2026-12-07T00:00:00.123Z", m.remove("timestamp"));
        withoutTime.add(m);
      }
      // Through the JSON writer and back, as the ingest reads it (numbers compare as JSON numbers).
      assertEquals(Json.parse(Json.write(c.get("expected"))), Json.parse(Json.write(withoutTime)));
    }));
  }

  @TestFactory
  Stream<DynamicTest> notices() throws IOException {
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> notices = (List<Map<String, Object>>) load("notices-v1.json").get("notices");
    List<DynamicTest> tests = new ArrayList<>();
    for (Map<String, Object> n : notices) {
      for (boolean debug : new boolean[] {false, true}) {
        tests.add(DynamicTest.dynamicTest(n.get("reason") + " (debug: " + debug + ")", () -> {
          DebugLog.forgetNotices();
          DebugLog log = new DebugLog(debug);
          String phrase = (String) n.get("phrase");
          String err = TestSupport.stderrOf(() -> {
            for (int i = 0; i < 3; i++) log.notice((String) n.get("reason"), phrase + " (time " + i + ")");
          });
          List<String> lines = new ArrayList<>();
          for (String line : err.split("\n")) if (!line.isEmpty()) lines.add(line);
          int expected = debug ? 3 : "warning".equals(n.get("level")) ? 1 : 0;
          assertEquals(expected, lines.size(), err);
          for (String line : lines) {
            assertTrue(line.startsWith("[dumpcatcher] "), line);
            assertTrue(line.contains(phrase), line);
          }
        }));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> locales() throws IOException {
    return cases(load("locale-v1.json")).stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> {
      List<String> pairs = new ArrayList<>();
      for (Map.Entry<String, Object> e : map(c.get("env")).entrySet()) {
        pairs.add(e.getKey());
        pairs.add((String) e.getValue());
      }
      Environment env = TestSupport.env(pairs.toArray(new String[0]));
      assertEquals(c.get("expected"), SystemInfo.locale(env, (String) c.get("default")));
    }));
  }

  @TestFactory
  Stream<DynamicTest> queueReads() throws IOException {
    Map<String, Object> queue = map(load("files-v1.json").get("queue"));
    List<Map<String, Object>> reads = nonEmpty(queue.get("read"), "queue.read");
    return reads.stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> {
      Path folder = Files.createTempDirectory(dir, "q");
      Path file = folder.resolve((String) c.get("fileName"));
      Files.write(file, ((String) c.get("content")).getBytes(StandardCharsets.UTF_8));
      QueuedReport report = new DiskQueue(folder.toFile(), 100, 10L << 20, 7L * 24 * 3600).read(file.toFile());
      if ((Boolean) c.get("valid")) {
        assertNotNull(report);
        Map<String, Object> expect = map(c.get("expect"));
        assertEquals(expect.get("path"), report.path());
        assertEquals(expect.get("clientId"), report.clientId());
        assertEquals(number(expect.get("counter")), report.counter());
        assertEquals(expect.get("body"), Json.parse(report.bodyJson()));
        assertTrue(Files.exists(file));
      } else {
        assertNull(report);
        assertFalse(Files.exists(file));
      }
    }));
  }

  @org.junit.jupiter.api.Test
  void queueWritesTheSharedLayout() throws IOException {
    Map<String, Object> written = map(map(load("files-v1.json").get("queue")).get("written"));
    long createdAt = 1795334400000L;
    String body = "{\"reportId\":\"r1\",\"nested\":{\"a\":[1,\"b\"]}}";
    Path file = new DiskQueue(dir.toFile(), 100, 10L << 20, 7L * 24 * 3600)
        .write(new QueuedReport("/v1/usage", "AbCdEfGh_123", 12, createdAt, body), true).toPath();
    Matcher m = Pattern.compile((String) written.get("fileNamePattern")).matcher(file.getFileName().toString());
    assertTrue(m.matches(), file.getFileName().toString());
    assertEquals(String.valueOf(createdAt), m.group(1));
    assertEquals("AbCdEfGh_123", m.group(2));
    assertEquals("12", m.group(3));
    Map<String, Object> content = map(Json.parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8)));
    assertEquals(new TreeSet<>((List<?>) written.get("keys")), new TreeSet<>(content.keySet()));
    assertEquals(number(written.get("v")), number(content.get("v")));
    assertEquals("/v1/usage", content.get("path"));
    assertEquals("AbCdEfGh_123", content.get("clientId"));
    assertEquals(12L, number(content.get("counter")));
    assertTrue(((String) content.get("createdAt")).startsWith("2026-11-22T08:00:00"), (String) content.get("createdAt"));
    assertEquals(Json.parse(body), content.get("body"));
  }

  @org.junit.jupiter.api.Test
  void limiterKeepsAtMostMaxEntriesDroppingTheWindowThatStartedFirst() throws IOException {
    Map<String, Object> c = map(map(load("files-v1.json").get("limiter")).get("maxEntries"));
    long now = number(c.get("nowMs"));
    int entries = (int) number(c.get("entries"));
    StringBuilder json = new StringBuilder("{\"v\":1,\"windows\":{");
    for (int i = 0; i < entries; i++) {
      if (i > 0) json.append(',');
      json.append("\"fp-").append(i).append("\":{\"start\":").append(now - entries + i).append(",\"count\":1}");
    }
    Files.write(dir.resolve("limiter.json"), json.append("}}").toString().getBytes(StandardCharsets.UTF_8));
    Limiter l = new Limiter(dir.toFile(), (int) number(c.get("max")), number(c.get("windowSeconds")));
    assertTrue(l.tryAcquire((String) c.get("fingerprint"), now));
    l.persist();
    Map<String, Object> after =
        map(map(Json.parse(new String(Files.readAllBytes(dir.resolve("limiter.json")), StandardCharsets.UTF_8))).get("windows"));
    assertEquals(entries, after.size());
    assertFalse(after.containsKey("fp-0"));
    assertEquals(now - entries + 1, number(map(after.get("fp-1")).get("start")));
    assertEquals(now, number(map(after.get(c.get("fingerprint"))).get("start")));
  }

  @TestFactory
  Stream<DynamicTest> limiter() throws IOException {
    Map<String, Object> limiter = map(load("files-v1.json").get("limiter"));
    List<DynamicTest> tests = new ArrayList<>();
    for (Map<String, Object> c : cases(limiter)) {
      tests.add(DynamicTest.dynamicTest((String) c.get("name"), () -> {
        Path folder = Files.createTempDirectory(dir, "l");
        Path file = folder.resolve("limiter.json");
        if (c.get("file") != null) Files.write(file, ((String) c.get("file")).getBytes(StandardCharsets.UTF_8));
        Limiter l = new Limiter(folder.toFile(), (int) number(c.get("max")), number(c.get("windowSeconds")));
        assertEquals(c.get("allowed"), l.tryAcquire((String) c.get("fingerprint"), number(c.get("nowMs"))));
        l.persist();
        Map<String, Object> after = map(Json.parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8)));
        assertEquals(c.get("windowsAfter"), after.get("windows"));
      }));
    }
    List<Map<String, Object>> fingerprints = nonEmpty(limiter.get("fingerprints"), "limiter.fingerprints");
    for (Map<String, Object> c : fingerprints) {
      tests.add(DynamicTest.dynamicTest("fingerprint: " + c.get("name"), () -> assertEquals(c.get("expected"),
          Limiter.localFingerprint((String) c.get("type"), (String) c.get("stacktrace"), (String) c.get("given")))));
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> arch() throws IOException {
    return cases(load("arch-v1.json")).stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"),
        () -> assertEquals(c.get("arch"), SystemInfo.archName((String) c.get("machine")))));
  }

  @TestFactory
  Stream<DynamicTest> sessions() throws IOException {
    Map<String, Object> vectors = load("sessions-v1.json");
    assertFalse(cases(vectors).isEmpty(), "sessions-v1.json holds cases");
    assertEquals(number(vectors.get("backgroundSessionMs")), SessionBook.BACKGROUND_SESSION_MS);
    return cases(vectors).stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> {
      Map<String, Object> app = map(c.get("app"));
      SessionBook book = new SessionBook(
          new SessionBook.Owner((String) app.get("name"), (String) app.get("version"), (String) c.get("installId"),
              "production"));
      List<Map<String, Object>> reports = new ArrayList<>();
      java.util.function.Consumer<Map<String, Object>> out = r -> {
        if (r != null) reports.add(r);
      };
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> events = (List<Map<String, Object>>) c.get("events");
      for (Map<String, Object> e : events) {
        Long at = e.containsKey("at") ? Text.parseRfc3339((String) e.get("at")) : null;
        switch ((String) e.get("event")) {
          case "init": {
            if (Boolean.TRUE.equals(c.get("autoSessionTracking"))) out.accept(book.start(at));
            List<SessionBook.Found> found = new ArrayList<>();
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> given = (List<Map<String, Object>>) e.getOrDefault("found", new ArrayList<>());
            // Read as the marker files they stand for, through the SDK's own marker parser.
            for (Map<String, Object> f : given) {
              Map<String, Object> marker = new LinkedHashMap<>(f);
              marker.put("v", 1L);
              marker.put("writer", new LinkedHashMap<String, Object>());
              SessionBook.Found parsed = SessionMarker.parse(Json.parse(Json.write(marker)));
              assertNotNull(parsed, "found " + f + " is a marker");
              found.add(parsed);
            }
            reports.addAll(book.found(found));
            break;
          }
          case "capture":
            book.markErrored();
            break;
          case "uncaught":
            out.accept(book.end("crashed"));
            break;
          case "exit":
          case "endSession":
            out.accept(book.end("ok"));
            break;
          case "startSession":
            out.accept(book.start(at));
            break;
          case "background":
            book.background(at);
            break;
          case "foreground":
            out.accept(book.foreground(at));
            break;
          default:
            throw new AssertionError("unknown event " + e.get("event"));
        }
      }
      assertEquals(c.get("reports"), reports);
    }));
  }

  private static String repeat(String s, long times) {
    StringBuilder out = new StringBuilder((int) (s.length() * times));
    for (long i = 0; i < times; i++) out.append(s);
    return out.toString();
  }

  /** The report a fit-v1.json case describes, built by the rules of the file's description. */
  private static Map<String, Object> fitReport(Map<String, Object> base, Map<String, Object> parts) {
    @SuppressWarnings("unchecked")
    Map<String, Object> report = (Map<String, Object>) Json.parse(Json.write(base));
    Map<String, Object> exception = map(report.get("exception"));
    String ch = parts.containsKey("stacktraceChar") ? (String) parts.get("stacktraceChar") : "s";
    exception.put("stacktrace", repeat(ch, number(parts.get("stacktraceBytes")) / BodyFit.utf8Length(ch)));
    if (parts.containsKey("messageChars")) exception.put("message", repeat("m", number(parts.get("messageChars"))));
    long entries = parts.containsKey("sourceContextEntries") ? number(parts.get("sourceContextEntries")) : 0;
    List<Object> lines = new ArrayList<>();
    for (int j = 0; j < entries; j++) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("file", "/app/src/file-" + j + ".js");
      entry.put("line", (long) j + 1);
      entry.put("pre", java.util.Arrays.asList(repeat("p", 200), repeat("p", 200)));
      entry.put("context", repeat("c", 200));
      entry.put("post", java.util.Arrays.asList(repeat("q", 200), repeat("q", 200)));
      lines.add(entry);
    }
    if (!lines.isEmpty()) exception.put("sourceContext", lines);
    if (parts.containsKey("extraBytes")) {
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("blob", repeat("e", number(parts.get("extraBytes"))));
      report.put("extra", extra);
    }
    if (parts.containsKey("breadcrumbs")) {
      Map<String, Object> spec = map(parts.get("breadcrumbs"));
      String c = spec.containsKey("char") ? (String) spec.get("char") : "b";
      long messageChars = spec.containsKey("messageChars") ? number(spec.get("messageChars")) : 0;
      long dataValues = spec.containsKey("dataValues") ? number(spec.get("dataValues")) : 0;
      long dataChars = spec.containsKey("dataChars") ? number(spec.get("dataChars")) : 0;
      List<Object> crumbs = new ArrayList<>();
      for (int i = 0; i < number(spec.get("count")); i++) {
        Map<String, Object> crumb = new LinkedHashMap<>();
        crumb.put("timestamp", report.get("occurredAt"));
        crumb.put("category", "crumb-" + i);
        crumb.put("level", "info");
        if (messageChars > 0) crumb.put("message", repeat(c, messageChars));
        if (dataValues > 0) {
          Map<String, Object> data = new LinkedHashMap<>();
          for (int k = 0; k < dataValues; k++) data.put("d" + k, repeat(c, dataChars));
          crumb.put("data", data);
        }
        crumbs.add(crumb);
      }
      if (!crumbs.isEmpty()) report.put("breadcrumbs", crumbs);
    }
    return report;
  }

  @TestFactory
  Stream<DynamicTest> fit() throws IOException {
    Map<String, Object> vectors = load("fit-v1.json");
    long limit = number(vectors.get("limitBytes"));
    assertEquals(limit, BodyFit.MAX_BODY_BYTES);
    return cases(vectors).stream().map(c -> DynamicTest.dynamicTest((String) c.get("name"), () -> {
      Map<String, Object> parts = map(c.get("report"));
      Map<String, Object> expected = map(c.get("expected"));
      Map<String, Object> report = fitReport(map(vectors.get("base")), parts);
      String original = Json.write(report);
      BodyFit.Fitted fitted = BodyFit.fit(report, original, new DebugLog(false));
      assertEquals(original, Json.write(report), "the caller's report is not changed");
      assertEquals(Json.write(fitted.report), fitted.json);
      assertEquals(expected.get("fits"), fitted.json.getBytes(StandardCharsets.UTF_8).length <= limit);
      assertEquals(expected.get("extra"), fitted.report.containsKey("extra"));
      Map<String, Object> exception = map(fitted.report.get("exception"));
      assertEquals(expected.get("sourceContext"), exception.containsKey("sourceContext"));
      long count = parts.containsKey("breadcrumbs") ? number(map(parts.get("breadcrumbs")).get("count")) : 0;
      long keep = number(expected.get("breadcrumbs"));
      List<String> want = new ArrayList<>();
      for (long i = count - keep; i < count; i++) want.add("crumb-" + i);
      List<String> got = new ArrayList<>();
      Object crumbs = fitted.report.get("breadcrumbs");
      assertEquals(keep == 0, crumbs == null);
      if (crumbs != null) for (Object crumb : (List<?>) crumbs) got.add((String) map(crumb).get("category"));
      assertEquals(want, got);
      String trace = (String) map(report.get("exception")).get("stacktrace");
      String cut = (String) exception.get("stacktrace");
      if ("whole".equals(expected.get("stacktrace"))) {
        assertEquals(trace, cut);
        return;
      }
      int at = cut.lastIndexOf("\n\u2026 [truncated by dumpcatcher: ");
      assertTrue(at >= 0, "the marker ends the cut trace");
      String head = cut.substring(0, at);
      assertTrue(trace.startsWith(head) && !head.equals(trace));
      int omitted = trace.getBytes(StandardCharsets.UTF_8).length - head.getBytes(StandardCharsets.UTF_8).length;
      assertEquals(((String) vectors.get("marker")).replace("%d", String.valueOf(omitted)), cut.substring(at));
      assertEquals(number(expected.get("stacktraceBytes")), cut.getBytes(StandardCharsets.UTF_8).length);
      assertTrue(cut.getBytes(StandardCharsets.UTF_8).length <= number(vectors.get("maxStacktraceBytes")));
    }));
  }
}
