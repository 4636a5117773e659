package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.queueFiles;
import static dev.dumpcatcher.TestSupport.readJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What stands in for a device here: Android's regex limits, its system properties, init failures,
 * and the foreground/background signals of the session rule.
 */
class AndroidTest {
  @TempDir Path tmp;

  // Android's java.util.regex (ICU) throws IllegalArgumentException for these flags.
  private static final int ANDROID_REJECTS = Pattern.UNICODE_CHARACTER_CLASS | Pattern.CANON_EQ;

  @Test
  void noPatternOfTheSdkUsesAFlagAndroidRejects() throws Exception {
    List<String> offenders = new ArrayList<>();
    int patterns = 0;
    for (Class<?> cls : sdkClasses()) {
      for (Field f : cls.getDeclaredFields()) {
        if (!Modifier.isStatic(f.getModifiers()) || f.getType() != Pattern.class) continue;
        f.setAccessible(true);
        Pattern p = (Pattern) f.get(null);
        patterns++;
        if ((p.flags() & ANDROID_REJECTS) != 0 || p.pattern().contains("(?U")) offenders.add(cls.getName() + "." + f.getName());
      }
    }
    assertTrue(patterns >= 5, "found the SDK's compiled patterns (" + patterns + ")");
    assertEquals(new ArrayList<String>(), offenders);
  }

  @Test
  void noSourceFileNamesAFlagAndroidRejects() throws Exception {
    List<String> offenders;
    try (Stream<Path> files = Files.walk(Paths.get("src/main/java"))) {
      offenders = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
        try {
          String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
          return text.contains("Pattern.UNICODE_CHARACTER_CLASS") || text.contains("Pattern.CANON_EQ")
              || text.contains("(?U");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).map(Path::toString).collect(Collectors.toList());
    }
    assertEquals(new ArrayList<String>(), offenders);
  }

  @Test
  void noSourceFileUsesJavaNioFile() throws Exception {
    // Android has java.nio.file from API 26 only; the build's animal-sniffer check (API 21) says the same.
    List<String> offenders;
    try (Stream<Path> files = Files.walk(Paths.get("src/main/java"))) {
      offenders = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
        try {
          return new String(Files.readAllBytes(f), StandardCharsets.UTF_8).contains("import java.nio.file.");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).map(Path::toString).collect(Collectors.toList());
    }
    assertEquals(new ArrayList<String>(), offenders);
  }

  @Test
  void anInitFailureIsPrintedInDebugModeAndOnlyThen() {
    // What Android did with UNICODE_CHARACTER_CLASS: a class of the SDK failed to initialise.
    Environment failing = name -> {
      throw new ExceptionInInitializerError(new IllegalArgumentException("Unsupported flags: 256"));
    };
    String debugOut = stderrOf(() -> Dumpcatcher.init(options(failing, true)));
    assertNull(Dumpcatcher.client());
    assertTrue(debugOut.contains("[dumpcatcher] init failed; no crash or usage will be reported"), debugOut);
    assertTrue(debugOut.contains("Unsupported flags: 256"), debugOut);
    String quietOut = stderrOf(() -> Dumpcatcher.init(options(failing, false)));
    assertNull(Dumpcatcher.client());
    assertEquals("", quietOut);
  }

  @Test
  void withAndroidsSystemPropertiesACrashIsQueuedWithTheDevicesFactsAndTheSystemHandlerStillRuns() throws Exception {
    Path queueDir = tmp.resolve("queue");
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    String cp = "target/classes" + File.pathSeparator + "target/test-classes";
    Path out = tmp.resolve("out");
    Path err = tmp.resolve("err");
    Process p = new ProcessBuilder(Arrays.asList(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", cp,
        "dev.dumpcatcher.AndroidApp", "crash", queueDir.toString(), "http://127.0.0.1:9"))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child JVM finished");
    String stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
    String stderr = new String(Files.readAllBytes(err), StandardCharsets.UTF_8);
    // The previous handler ran after the report was written: the process died of the exception.
    assertEquals(1, p.exitValue(), stderr);
    assertTrue(stderr.contains("Exception in thread \"main\" java.lang.IllegalStateException: child crash"), stderr);
    assertTrue(stdout.contains("discoverMetrics=false"), "ServiceLoader discovery is off by default: " + stdout);
    List<Path> files = queueFiles(queueDir);
    assertEquals(1, files.size(), "the crash is on disk, to be sent on the next launch");
    @SuppressWarnings("unchecked")
    Map<String, Object> body = (Map<String, Object>) readJson(files.get(0)).get("body");
    assertEquals(map("name", "android", "version", "34"), body.get("runtime"));
    assertEquals(map("name", "android", "version", "14", "arch", "arm64"), body.get("os"));
    @SuppressWarnings("unchecked")
    Map<String, Object> tags = (Map<String, Object>) body.get("tags");
    assertEquals("Pixel 8", tags.get("device.model"));
    assertEquals("Google", tags.get("device.manufacturer"));
  }

  @Test
  void backInTheForegroundAfter30SecondsOrMoreStartsANewSessionAndAShorterBackgroundDoesNot() throws Exception {
    Path queueDir = tmp.resolve("lifecycle");
    AtomicLong now = new AtomicLong(Text.parseRfc3339("2026-12-07T10:59:20Z"));
    Client c = TestSupport.start(TestSupport.options("http://127.0.0.1:9", queueDir).autoSessionTracking(true)
        .clock(now::get).build());
    Path marker = queueDir.resolve("session-" + c.clientId() + ".json");
    try {
      c.onAppBackground();
      assertEquals("2026-12-07T10:59:20.000Z", readJson(marker).get("backgroundSince"),
          "killed in the background, the session counts as ended normally");
      now.addAndGet(29_999);
      c.onAppForeground();
      assertEquals(new ArrayList<Object>(), sessionReports(queueDir), "a shorter background keeps the session");
      assertFalse(readJson(marker).containsKey("backgroundSince"));

      c.onAppBackground();
      now.addAndGet(30_000);
      c.onAppForeground(); // 10:59:49.999 + 30 s
      assertEquals(Arrays.asList(Arrays.asList(bucket("2026-12-07T10:00:00Z"))), sessionReports(queueDir),
          "after 30 s the first session ended ok");
      assertEquals("2026-12-07T11:00:19.999Z", readJson(marker).get("started"), "and a new one started");
      c.endSession();
      assertEquals(Arrays.asList(Arrays.asList(bucket("2026-12-07T10:00:00Z")), Arrays.asList(bucket("2026-12-07T11:00:00Z"))),
          sessionReports(queueDir));
    } finally {
      c.close();
    }
  }

  private static Map<String, Object> bucket(String started) {
    return map("started", started, "ok", 1L, "errored", 0L, "crashed", 0L, "abnormal", 0L);
  }

  /** The sessions of each queued /v1/sessions report, oldest first. */
  private static List<Object> sessionReports(Path queueDir) throws Exception {
    List<Object> out = new ArrayList<>();
    for (Path f : queueFiles(queueDir)) {
      Map<String, Object> entry = readJson(f);
      @SuppressWarnings("unchecked")
      Map<String, Object> body = (Map<String, Object>) entry.get("body");
      if ("/v1/sessions".equals(entry.get("path"))) out.add(body.get("sessions"));
    }
    return out;
  }

  @Test
  void offAndroidNothingChanges() {
    assertFalse(SystemInfo.isAndroid());
    assertEquals("java", SystemInfo.runtimeName());
    assertEquals(System.getProperty("java.version"), SystemInfo.runtimeVersion());
    assertEquals("", SystemInfo.deviceModel());
  }

  private static DumpcatcherOptions options(Environment env, boolean debug) {
    return DumpcatcherOptions.builder().endpoint("http://127.0.0.1:9").productKey(FakeIngest.KEY)
        .secret(FakeIngest.SECRET).appName("android-test").appVersion("1.0").environment(env).debug(debug).build();
  }

  private static String stderrOf(Runnable r) {
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true));
    try {
      r.run();
    } finally {
      System.setErr(old);
    }
    return new String(buf.toByteArray(), StandardCharsets.UTF_8);
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  private static List<Class<?>> sdkClasses() throws Exception {
    List<Class<?>> out = new ArrayList<>();
    Path root = Paths.get("target/classes");
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(x -> x.toString().endsWith(".class")).collect(Collectors.toList())) {
        String name = root.relativize(f).toString().replace(File.separatorChar, '.').replaceAll("\\.class$", "");
        out.add(Class.forName(name, true, AndroidTest.class.getClassLoader()));
      }
    }
    return out;
  }
}
