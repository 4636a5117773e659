package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.queueFiles;
import static dev.dumpcatcher.TestSupport.readJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Release health sessions: real JVMs against the fake ingest, markers and their locks, a 404. */
class SessionsTest {
  @TempDir Path tmp;

  private static final String JAVA = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
  private static final String CP = "target/classes" + File.pathSeparator + "target/test-classes";

  private ProcessBuilder child(String mode, Path queueDir, String endpoint) {
    return new ProcessBuilder(Arrays.asList(JAVA, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", CP,
        "dev.dumpcatcher.CrashingApp", mode, queueDir.toString(), endpoint, "sessions"));
  }

  /** Runs CrashingApp with sessions on; returns {exit code, stderr}. */
  private String[] run(String mode, Path queueDir, String endpoint) throws Exception {
    Path err = tmp.resolve(mode + "-" + System.nanoTime() + ".err");
    Process p = child(mode, queueDir, endpoint).redirectOutput(tmp.resolve(mode + "-" + System.nanoTime() + ".out").toFile())
        .redirectError(err.toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child JVM finished");
    return new String[] {String.valueOf(p.exitValue()), new String(Files.readAllBytes(err), StandardCharsets.UTF_8)};
  }

  /** Starts CrashingApp hang; returns once its session has started. */
  private Process startHanging(Path queueDir, String endpoint) throws Exception {
    Process p = child("hang", queueDir, endpoint).redirectError(tmp.resolve("hang-" + System.nanoTime() + ".err").toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("running", out.readLine());
    return p;
  }

  private static void killHard(Process p) throws InterruptedException {
    p.destroyForcibly(); // SIGKILL on Linux and macOS: no shutdown hook runs
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> sessionBodies(FakeIngest ingest) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (FakeIngest.Received r : ingest.delivered()) {
      if (!r.path.equals("/v1/sessions")) continue;
      assertTrue(r.signatureValid);
      out.add(r.json());
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Long> totals(Map<String, Object> body) {
    Map<String, Long> t = new LinkedHashMap<>();
    for (String s : SessionBook.STATUSES) t.put(s, 0L);
    for (Map<String, Object> b : (List<Map<String, Object>>) body.get("sessions")) {
      for (String s : SessionBook.STATUSES) t.put(s, t.get(s) + ((Number) b.get(s)).longValue());
    }
    return t;
  }

  private static Map<String, Long> counts(long ok, long errored, long crashed, long abnormal) {
    Map<String, Long> t = new LinkedHashMap<>();
    t.put("ok", ok);
    t.put("errored", errored);
    t.put("crashed", crashed);
    t.put("abnormal", abnormal);
    return t;
  }

  private static String installId(Path queueDir) throws Exception {
    return new String(Files.readAllBytes(queueDir.resolve("install-id")), StandardCharsets.UTF_8).trim();
  }

  private static List<String> markers(Path queueDir) {
    List<String> out = new ArrayList<>();
    String[] names = queueDir.toFile().list();
    if (names != null) for (String n : names) if (n.startsWith("session-") && n.endsWith(".json")) out.add(n);
    return out;
  }

  @Test
  void aCleanRunSendsOneSignedOkSessionOfItsReleaseAndInstallAtExit() throws Exception {
    Path queueDir = tmp.resolve("queue");
    long before = System.currentTimeMillis();
    try (FakeIngest ingest = new FakeIngest()) {
      String[] r = run("clean", queueDir, ingest.url());
      assertEquals("0", r[0], r[1]);
      List<Map<String, Object>> bodies = sessionBodies(ingest);
      assertEquals(1, bodies.size());
      Map<String, Object> body = bodies.get(0);
      assertEquals(Arrays.asList("reportId", "occurredAt", "app", "installId", "environment", "sessions"), new ArrayList<>(body.keySet()));
      Map<String, Object> app = new LinkedHashMap<>();
      app.put("name", "crashing-app");
      app.put("version", "0.0.1");
      assertEquals(app, body.get("app"));
      assertEquals(installId(queueDir), body.get("installId"));
      assertEquals(counts(1, 0, 0, 0), totals(body));
      if (SessionBook.hourStart(before).equals(SessionBook.hourStart(System.currentTimeMillis()))) {
        @SuppressWarnings("unchecked")
        Map<String, Object> bucket = ((List<Map<String, Object>>) body.get("sessions")).get(0);
        assertEquals(SessionBook.hourStart(before), bucket.get("started"));
      }
      assertEquals(new ArrayList<String>(), markers(queueDir));
    }
  }

  @Test
  void aRunThatCapturedAHandledErrorSendsAnErroredSession() throws Exception {
    Path queueDir = tmp.resolve("queue");
    try (FakeIngest ingest = new FakeIngest()) {
      String[] r = run("capture", queueDir, ingest.url());
      assertEquals("0", r[0], r[1]);
      List<Map<String, Object>> bodies = sessionBodies(ingest);
      assertEquals(1, bodies.size());
      assertEquals(counts(0, 1, 0, 0), totals(bodies.get(0)));
    }
  }

  @Test
  void anUncaughtCrashLeavesACrashedSessionBesideTheCrashReportAndTheNextRunSendsBoth() throws Exception {
    Path queueDir = tmp.resolve("queue");
    String[] crash = run("crash", queueDir, "http://127.0.0.1:9");
    assertEquals("1", crash[0], crash[1]);
    List<String> paths = new ArrayList<>();
    for (Path f : queueFiles(queueDir)) paths.add((String) readJson(f).get("path"));
    assertEquals(Arrays.asList("/v1/crashes", "/v1/sessions"), paths);
    assertEquals(new ArrayList<String>(), markers(queueDir));
    try (FakeIngest ingest = new FakeIngest()) {
      String[] send = new String[] {"", ""};
      Process p = new ProcessBuilder(Arrays.asList(JAVA, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", CP,
          "dev.dumpcatcher.CrashingApp", "send", queueDir.toString(), ingest.url())).start();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      send[0] = String.valueOf(p.exitValue());
      assertEquals("0", send[0]);
      List<Map<String, Object>> bodies = sessionBodies(ingest);
      assertEquals(1, bodies.size());
      assertEquals(counts(0, 0, 1, 0), totals(bodies.get(0)));
      assertEquals(installId(queueDir), bodies.get(0).get("installId"));
    }
  }

  @Test
  void aKilledRunIsFoundAbnormalAtTheNextStartAndSentWithItsSessionInOneReport() throws Exception {
    Path queueDir = tmp.resolve("queue");
    try (FakeIngest ingest = new FakeIngest()) {
      Process victim = startHanging(queueDir, ingest.url());
      assertEquals(1, markers(queueDir).size());
      killHard(victim);
      String[] r = run("clean", queueDir, ingest.url());
      assertEquals("0", r[0], r[1]);
      List<Map<String, Object>> bodies = sessionBodies(ingest);
      assertEquals(1, bodies.size());
      assertEquals(counts(1, 0, 0, 1), totals(bodies.get(0)));
      assertEquals(new ArrayList<String>(), markers(queueDir));
    }
  }

  @Test
  void aRunningProcessIsNotFoundAbnormalByAnotherSharingItsFolder() throws Exception {
    Path queueDir = tmp.resolve("queue");
    try (FakeIngest ingest = new FakeIngest()) {
      Process live = startHanging(queueDir, ingest.url());
      try {
        String[] r = run("clean", queueDir, ingest.url());
        assertEquals("0", r[0], r[1]);
        List<Map<String, Object>> bodies = sessionBodies(ingest);
        assertEquals(1, bodies.size());
        assertEquals(counts(1, 0, 0, 0), totals(bodies.get(0)));
        assertEquals(1, markers(queueDir).size());
      } finally {
        killHard(live);
      }
    }
  }

  @Test
  void aLockHeldInThisJvmIsNotClaimedAndTheMarkerLivesAsLongAsTheSession() throws Exception {
    Path queueDir = tmp.resolve("queue");
    Client a = TestSupport.start(TestSupport.options("http://127.0.0.1:9", queueDir).autoSessionTracking(true).build());
    Client b = TestSupport.start(TestSupport.options("http://127.0.0.1:9", queueDir).autoSessionTracking(true).build());
    try {
      assertEquals(2, markers(queueDir).size());
      assertTrue(new SessionMarker(queueDir.toFile(), "another-client-01").claimDead(new ArrayList<File>()).isEmpty());
      a.captureException(new RuntimeException("handled"), null);
      assertEquals(Boolean.TRUE, readJson(queueDir.resolve("session-" + a.clientId() + ".json")).get("errored"));
      a.endSession();
      assertEquals(Arrays.asList("session-" + b.clientId() + ".json"), markers(queueDir));
      assertFalse(queueDir.resolve("session-" + a.clientId() + ".lock").toFile().exists());
    } finally {
      a.close();
      b.close();
    }
    assertEquals(new ArrayList<String>(), markers(queueDir));
  }

  @Test
  void afterA404OnSessionsItSaysSoOnceDropsItAndSendsNoMoreSessions() throws Exception {
    Path queueDir = tmp.resolve("queue");
    try (FakeIngest ingest = new FakeIngest()) {
      ingest.script.add(404);
      DebugLog.forgetNotices();
      String err = TestSupport.stderrOf(() -> {
        Client c = TestSupport.start(TestSupport.options(ingest.url(), queueDir).autoSessionTracking(true).build());
        try {
          c.endSession();
          assertTrue(c.flush(5000));
          c.startSession();
          c.endSession();
          c.captureException(new RuntimeException("still reported"), null);
          assertTrue(c.flush(5000));
        } finally {
          c.close();
        }
      });
      assertEquals(1, err.split("does not know /v1/sessions", -1).length - 1, err);
      // An older server, not a wrong URL.
      assertFalse(err.contains("is this the ingest URL?"), err);
      List<String> seen = new ArrayList<>();
      for (FakeIngest.Received r : ingest.received()) seen.add(r.path + " " + r.status);
      assertEquals(Arrays.asList("/v1/sessions 404", "/v1/crashes 202"), seen);
      assertEquals(new ArrayList<String>(), markers(queueDir));
    }
  }
}
