package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.eventually;
import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.queueFiles;
import static dev.dumpcatcher.TestSupport.readJson;
import static dev.dumpcatcher.TestSupport.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveryTest {
  @TempDir Path dir;
  FakeIngest ingest;
  Client client;

  @BeforeEach
  void startIngest() throws Exception {
    ingest = new FakeIngest();
  }

  @AfterEach
  void stop() {
    if (client != null) client.close();
    ingest.close();
  }

  @Test
  void deliversASignedCrashReportAndDeletesItsFile() throws Exception {
    // Sent as JSON whatever the depth of the test runner's stack: gzip has its own test.
    client = start(options(ingest.url(), dir).gzipThresholdBytes(1 << 20).build());
    client.captureException(new IllegalStateException("boom"), null);
    assertTrue(client.flush(5000), "flush reports an empty queue");
    List<FakeIngest.Received> got = ingest.received();
    assertEquals(1, got.size());
    FakeIngest.Received r = got.get(0);
    assertTrue(r.signatureValid, "signature verified by the server");
    assertEquals(202, r.status);
    assertEquals("/v1/crashes", r.path);
    assertEquals("application/json", r.header("Content-Type"));
    assertEquals(client.clientId(), r.header("X-Dumpcatcher-Client"));
    assertEquals("1", r.header("X-Dumpcatcher-Counter"));
    Map<String, Object> body = r.json();
    @SuppressWarnings("unchecked")
    Map<String, Object> exception = (Map<String, Object>) body.get("exception");
    assertEquals("java.lang.IllegalStateException", exception.get("type"));
    assertEquals("boom", exception.get("message"));
    assertTrue(((String) exception.get("stacktrace")).startsWith("java.lang.IllegalStateException: boom\n\tat "));
    assertTrue(queueFiles(dir).isEmpty());
  }

  @Test
  void writesTheQueueFileBeforeTheFirstSendAttemptStarts() throws Exception {
    ingest.hold = new CountDownLatch(1);
    client = start(options(ingest.url(), dir).build());
    client.captureException(new RuntimeException("held"), null);
    // capture returned: the file must already be there, whatever the sender is doing.
    List<Path> files = queueFiles(dir);
    assertEquals(1, files.size());
    Map<String, Object> content = readJson(files.get(0));
    assertEquals(1L, content.get("v"));
    assertEquals("/v1/crashes", content.get("path"));
    assertEquals(client.clientId(), content.get("clientId"));
    assertEquals(1L, content.get("counter"));
    assertTrue(String.valueOf(content.get("createdAt")).endsWith("Z"));
    assertFalse(new String(Files.readAllBytes(files.get(0)), StandardCharsets.UTF_8).contains(FakeIngest.SECRET),
        "the secret is never written");
    assertTrue(files.get(0).getFileName().toString().matches("\\d+-" + client.clientId() + "-1\\.json"));
    // The request is in flight and held by the server: the file is still there.
    assertTrue(eventually(3000, () -> ingest.received().isEmpty() && queueFiles(dir).size() == 1));
    ingest.hold.countDown();
    assertTrue(client.flush(5000));
    assertEquals(1, ingest.delivered().size());
  }

  @Test
  void flushWithTheLargestTimeoutWaitsForTheReport() throws Exception {
    ingest.hold = new java.util.concurrent.CountDownLatch(1);
    client = start(options(ingest.url(), dir).build());
    client.captureException(new IllegalStateException("slow ingest"), null);
    Thread release = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ingest.hold.countDown();
    });
    release.start();
    // Long.MAX_VALUE ms must mean "as long as it takes", not a deadline that overflowed.
    assertTrue(client.flush(Long.MAX_VALUE), "flush waited for the delivery");
    assertEquals(1, ingest.delivered().size());
    release.join();
  }

  @Test
  void retriesAfter500WithTheSameClientIdCounterAndBody() throws Exception {
    ingest.script.add(500);
    ingest.script.add(500);
    client = start(options(ingest.url(), dir).build());
    client.captureException(new RuntimeException("flaky"), null);
    assertTrue(client.flush(10000));
    List<FakeIngest.Received> got = ingest.received();
    assertEquals(3, got.size());
    assertEquals(500, got.get(0).status);
    assertEquals(500, got.get(1).status);
    assertEquals(202, got.get(2).status);
    for (FakeIngest.Received r : got) {
      assertTrue(r.signatureValid);
      assertEquals(got.get(0).header("X-Dumpcatcher-Client"), r.header("X-Dumpcatcher-Client"));
      assertEquals("1", r.header("X-Dumpcatcher-Counter"));
      assertEquals(got.get(0).body, r.body);
    }
  }

  @Test
  void honoursRetryAfterOn429() throws Exception {
    ingest.script.add(429);
    ingest.retryAfter = "1";
    client = start(options(ingest.url(), dir).build());
    client.captureException(new RuntimeException("busy"), null);
    assertTrue(client.flush(10000));
    List<FakeIngest.Received> got = ingest.received();
    assertEquals(2, got.size());
    assertEquals(429, got.get(0).status);
    assertEquals(202, got.get(1).status);
    long waited = got.get(1).atMillis - got.get(0).atMillis;
    assertTrue(waited >= 950, "waited " + waited + " ms, Retry-After said 1 s");
  }

  @Test
  void treatsA200DuplicateAsDelivered() throws Exception {
    client = start(options(ingest.url(), dir).build());
    client.captureException(new RuntimeException("once"), null);
    assertTrue(client.flush(5000));
    // The same queue file again, as if the first answer had been lost.
    FakeIngest.Received first = ingest.received().get(0);
    QueuedReport again = new QueuedReport("/v1/crashes", first.header("X-Dumpcatcher-Client"), 1,
        System.currentTimeMillis(), first.body);
    client.queue().write(again);
    assertTrue(client.flush(5000));
    assertEquals(2, ingest.received().size());
    assertEquals(200, ingest.received().get(1).status);
    assertTrue(queueFiles(dir).isEmpty());
  }

  @Test
  void correctsASkewedClockOnceFromTheDateHeader() throws Exception {
    final long skew = -3_600_000L;
    client = start(options(ingest.url(), dir).clock(() -> System.currentTimeMillis() + skew).build());
    client.captureException(new RuntimeException("late clock"), null);
    assertTrue(client.flush(5000));
    List<FakeIngest.Received> got = ingest.received();
    assertEquals(2, got.size());
    assertEquals(401, got.get(0).status);
    assertEquals(202, got.get(1).status);
    assertEquals(got.get(0).header("X-Dumpcatcher-Counter"), got.get(1).header("X-Dumpcatcher-Counter"));
    long offset = client.sender().clockOffsetMs();
    assertTrue(Math.abs(offset + skew) < 5000, "learned offset " + offset);
    // A second report is signed with the corrected clock straight away.
    client.captureException(new RuntimeException("second"), null);
    assertTrue(client.flush(5000));
    assertEquals(3, ingest.received().size());
    assertEquals(202, ingest.received().get(2).status);
  }

  @Test
  void dropsA401ThatIsNotAboutTheClockSaysSoOnceAndFlushSaysFalse() throws Exception {
    DebugLog.forgetNotices();
    String err = TestSupport.stderrOf(() -> {
      client = start(options(ingest.url(), dir).secret("the-wrong-secret").build());
      client.captureException(new RuntimeException("bad secret"), null);
      client.captureException(new IllegalStateException("bad secret again"), null);
      assertFalse(client.flush(5000), "a refused report is not stored");
    });
    assertEquals(2, ingest.received().size());
    assertEquals(401, ingest.received().get(0).status);
    assertTrue(queueFiles(dir).isEmpty(), "dropped, not retried");
    assertEquals("[dumpcatcher] a report was dropped: the ingest answered 401, it does not know this productKey or secret"
        + System.lineSeparator(), err);
    assertTrue(client.flush(1000), "nothing refused since the last flush");
  }

  @Test
  void dropsAReportOnAPermanent400AndFlushSaysFalse() throws Exception {
    ingest.script.add(400);
    client = start(options(ingest.url(), dir).build());
    client.captureException(new RuntimeException("invalid"), null);
    assertFalse(client.flush(5000));
    assertEquals(1, ingest.received().size());
    assertTrue(queueFiles(dir).isEmpty());
  }

  @Test
  void a404AsksWhetherTheEndpointIsTheIngestAndFlushSaysFalse() throws Exception {
    // The Firestore emulator's port answers 404 to the SDK's POST.
    DebugLog.forgetNotices();
    ingest.script.add(404);
    String err = TestSupport.stderrOf(() -> {
      client = start(options(ingest.url(), dir).build());
      client.captureException(new RuntimeException("to the wrong port"), null);
      assertFalse(client.flush(5000));
    });
    assertEquals("[dumpcatcher] a report was dropped: the endpoint answered HTTP 404; is this the ingest URL?"
        + System.lineSeparator(), err);
  }

  @Test
  void gzipsBodiesAtTheThresholdAndSignsTheCompressedBytes() throws Exception {
    client = start(options(ingest.url(), dir).gzipThresholdBytes(16384).build());
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < 3000; i++) big.append("word ").append(i % 7).append(' ');
    client.captureException(new RuntimeException("small"), null);
    client.captureException(new RuntimeException("large"), CaptureContext.builder().extra("blob", big.toString()).build());
    assertTrue(client.flush(5000));
    // One request per report; a resend on a connection the server dropped repeats its counter
    // (the ingest answers it "200 duplicate"), so count reports by counter, not requests.
    List<FakeIngest.Received> got = new java.util.ArrayList<>();
    java.util.Set<String> counters = new java.util.HashSet<>();
    for (FakeIngest.Received r : ingest.received()) {
      if (counters.add(r.header("X-Dumpcatcher-Counter"))) got.add(r);
    }
    assertEquals(2, got.size());
    assertEquals("identity", got.get(0).header("X-Dumpcatcher-Body-Encoding"));
    assertEquals("gzip", got.get(1).header("X-Dumpcatcher-Body-Encoding"));
    assertEquals("application/octet-stream", got.get(1).header("Content-Type"));
    assertTrue(got.get(1).signatureValid);
    assertEquals(202, got.get(1).status);
    assertTrue(got.get(1).body.contains("word 3"));
  }

  @Test
  void aLaterProcessSendsWhatAnEarlierOneLeftWithItsIdentity() throws Exception {
    // First "process": the endpoint is unreachable, so the report stays queued.
    Client first = start(options("http://127.0.0.1:9", dir).build());
    first.captureException(new RuntimeException("left behind"), null);
    assertFalse(first.flush(300));
    first.close();
    List<Path> files = queueFiles(dir);
    assertEquals(1, files.size());
    client = start(options(ingest.url(), dir).build());
    assertNotEquals(first.clientId(), client.clientId());
    assertTrue(client.flush(5000));
    FakeIngest.Received r = ingest.received().get(0);
    assertEquals(first.clientId(), r.header("X-Dumpcatcher-Client"));
    assertEquals("1", r.header("X-Dumpcatcher-Counter"));
    assertEquals(202, r.status);
  }

  @Test
  void countersGoUpByOnePerReport() throws Exception {
    client = start(options(ingest.url(), dir).build());
    for (int i = 0; i < 3; i++) client.captureException(new RuntimeException("n" + i), null);
    client.reportUsage();
    assertTrue(client.flush(5000));
    java.util.Set<String> counters = new java.util.TreeSet<>();
    for (FakeIngest.Received r : ingest.received()) counters.add(r.header("X-Dumpcatcher-Counter"));
    assertEquals(new java.util.TreeSet<>(java.util.Arrays.asList("1", "2", "3", "4")), counters);
  }

  @Test
  void keepsCausedByAndSuppressedAsPrintStackTracePrintsThem() throws Exception {
    client = start(options(ingest.url(), dir).build());
    IllegalArgumentException cause = new IllegalArgumentException("inner problem");
    RuntimeException top = new RuntimeException("wrapper", cause);
    top.addSuppressed(new java.io.IOException("while closing"));
    client.captureException(top, null);
    assertTrue(client.flush(5000));
    @SuppressWarnings("unchecked")
    String trace = (String) ((Map<String, Object>) ingest.received().get(0).json().get("exception")).get("stacktrace");
    java.io.StringWriter expected = new java.io.StringWriter();
    top.printStackTrace(new java.io.PrintWriter(expected));
    assertEquals(Scrubber.forProcess(FakeIngest.SECRET).scrub(expected.toString()), trace);
    assertTrue(trace.contains("Caused by: java.lang.IllegalArgumentException: inner problem"));
    assertTrue(trace.contains("Suppressed: java.io.IOException: while closing"));
  }

  @Test
  void sendsLabelTagsExtraFingerprintAndInstallId() throws Exception {
    client = start(options(ingest.url(), dir).label("default-label").tag("env", "test").tag("region", "eu")
        .installId(true).build());
    client.captureException(new RuntimeException("ctx"), CaptureContext.builder()
        .label("checkout").tag("region", "us").tag("bad key!", "dropped").extra("cart", java.util.Arrays.asList(1, 2))
        .fingerprint("checkout-failure").build());
    assertTrue(client.flush(5000));
    Map<String, Object> body = ingest.received().get(0).json();
    assertEquals("checkout", body.get("label"));
    Map<?, ?> tags = (Map<?, ?>) body.get("tags");
    assertEquals("test", tags.get("env"));
    assertEquals("us", tags.get("region"));
    assertFalse(tags.containsKey("bad key!"));
    assertEquals(java.util.Arrays.asList(1L, 2L), ((Map<?, ?>) body.get("extra")).get("cart"));
    assertEquals("checkout-failure", body.get("fingerprint"));
    String installId = new String(Files.readAllBytes(dir.resolve("install-id")), StandardCharsets.UTF_8);
    assertEquals(installId, body.get("installId"));
    assertEquals("java", ((Map<?, ?>) body.get("runtime")).get("name"));
    assertEquals(SystemInfo.osName(), ((Map<?, ?>) body.get("os")).get("name"));
  }

  @Test
  void beforeSendCanEditOrDropAReport() throws Exception {
    client = start(options(ingest.url(), dir).beforeSend(report -> {
      if (String.valueOf(report.get("exception")).contains("drop me")) return null;
      report.put("label", "edited");
      return report;
    }).build());
    client.captureException(new RuntimeException("drop me"), null);
    client.captureException(new RuntimeException("keep me"), null);
    assertTrue(client.flush(5000));
    assertEquals(1, ingest.received().size());
    assertEquals("edited", ingest.received().get(0).json().get("label"));
  }

  @Test
  void sampleRateZeroKeepsNothing() throws Exception {
    client = start(options(ingest.url(), dir).sampleRate(0.0).build());
    client.captureException(new RuntimeException("sampled out"), null);
    assertTrue(client.flush(1000));
    assertTrue(ingest.received().isEmpty());
    assertTrue(queueFiles(dir).isEmpty());
  }

  @Test
  void signsAnOldQueuedReportWithTheCurrentTimestamp() throws Exception {
    long tenMinutesAgo = System.currentTimeMillis() - 600_000L;
    String body = "{\"reportId\":\"0b8f5f0e-4a43-4c1e-9d2b-6f1f6c3f2a10\",\"occurredAt\":\"2026-11-22T08:00:00.000Z\"}";
    new DiskQueue(dir.toFile(), 100, 1 << 20, 3600).write(new QueuedReport("/v1/crashes", "earlier_client_1", 5, tenMinutesAgo, body));
    client = start(options(ingest.url(), dir).build());
    assertTrue(client.flush(5000));
    FakeIngest.Received r = ingest.received().get(0);
    assertEquals(202, r.status, "the server accepts it: the timestamp is fresh, not the queue time");
    long ts = Long.parseLong(r.header("X-Dumpcatcher-Timestamp"));
    assertTrue(Math.abs(ts - System.currentTimeMillis() / 1000) < 60);
    assertEquals("earlier_client_1", r.header("X-Dumpcatcher-Client"));
    assertEquals("5", r.header("X-Dumpcatcher-Counter"));
    assertEquals(body, r.body);
  }

  @Test
  void stopsAfterEightAttemptsInOneProcessAndKeepsTheFile() throws Exception {
    for (int i = 0; i < 20; i++) ingest.script.add(500);
    client = start(options(ingest.url(), dir).retryBaseMs(1).build());
    client.captureException(new RuntimeException("server down"), null);
    assertFalse(client.flush(10000), "the queue is not empty");
    assertEquals(Sender.MAX_ATTEMPTS, ingest.received().size());
    assertEquals(1, queueFiles(dir).size(), "it waits in the queue for the next start");
  }

  @Test
  void capturesFromManyThreadsAtOnceGetDistinctCountersAndAllArrive() throws Exception {
    client = start(options(ingest.url(), dir).build());
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      final int id = t;
      threads[t] = new Thread(() -> {
        for (int i = 0; i < 25; i++) {
          client.captureException(new RuntimeException("t" + id + "-" + i),
              CaptureContext.builder().fingerprint("t" + id + "-" + i).build());
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) t.join(10000);
    assertTrue(client.flush(20000));
    java.util.Set<String> counters = new java.util.HashSet<>();
    for (FakeIngest.Received r : ingest.received()) {
      assertEquals(202, r.status);
      counters.add(r.header("X-Dumpcatcher-Counter"));
    }
    assertEquals(100, ingest.received().size());
    assertEquals(100, counters.size(), "no counter used twice");
  }

  @Test
  void flushReportsAnEmptyQueueAfterDeletingAFileItCannotParse() throws Exception {
    // A recent name: a file past maxQueueAgeSeconds would be dropped unsent, and flush say false.
    Files.write(dir.resolve(System.currentTimeMillis() + "-client_ABCdef-123-1.json"),
        "{\"v\":1,".getBytes(StandardCharsets.UTF_8));
    client = start(options(ingest.url(), dir).build());
    long t0 = System.currentTimeMillis();
    assertTrue(client.flush(5000));
    assertTrue(System.currentTimeMillis() - t0 < 2000, "did not wait for the timeout");
    assertTrue(queueFiles(dir).isEmpty());
    assertTrue(ingest.received().isEmpty());
  }

  @Test
  void fitsACrashWithTheLargestBreadcrumbsAndABigExtraAfterBeforeSendAndItIsAccepted() throws Exception {
    final List<String> seen = new java.util.ArrayList<>();
    client = start(options(ingest.url(), dir).autoBreadcrumbs(false).beforeSend(report -> {
      seen.add(report.containsKey("extra") + " " + ((List<?>) report.get("breadcrumbs")).size());
      return report;
    }).build());
    // The largest breadcrumbs the SDK keeps, of three-byte characters: about 1.9 MB of JSON.
    String euros = new String(new char[1024]).replace('\0', '\u20ac');
    for (int i = 0; i < 100; i++) {
      Map<String, Object> data = new java.util.LinkedHashMap<>();
      for (int k = 0; k < 20; k++) data.put(String.format("k%02d%062d", k, 0), euros.substring(0, 256));
      client.addBreadcrumb("crumb-" + i, euros, "info", data);
    }
    String dump = new String(new char[1100 * 1024]).replace('\0', 'z');
    client.captureException(new IllegalStateException("too big to send whole"),
        CaptureContext.builder().extra("dump", dump).build());
    assertTrue(client.flush(5000));
    assertEquals(java.util.Collections.singletonList("true 100"), seen, "beforeSend sees the whole report");
    List<FakeIngest.Received> got = ingest.received();
    assertEquals(1, got.size());
    assertEquals(202, got.get(0).status, "the fake ingest, like the real one, refuses over 1 MiB with 413");
    assertTrue(got.get(0).body.getBytes(StandardCharsets.UTF_8).length <= BodyFit.MAX_BODY_BYTES);
    Map<String, Object> body = got.get(0).json();
    assertFalse(body.containsKey("extra"));
    List<String> categories = new java.util.ArrayList<>();
    for (Object crumb : (List<?>) body.get("breadcrumbs")) categories.add((String) ((Map<?, ?>) crumb).get("category"));
    List<String> newest = new java.util.ArrayList<>();
    for (int i = 50; i < 100; i++) newest.add("crumb-" + i);
    assertEquals(newest, categories);
  }

  @Test
  void saysEachStepOfFittingOnTheDebugLog() {
    Map<String, Object> report = new java.util.LinkedHashMap<>();
    report.put("reportId", "r1");
    Map<String, Object> exception = new java.util.LinkedHashMap<>();
    exception.put("stacktrace", new String(new char[2_000_000]).replace('\0', 's'));
    report.put("exception", java.util.Collections.unmodifiableMap(exception));
    report.put("extra", java.util.Collections.singletonMap("a", "b"));
    final Map<String, Object> given = java.util.Collections.unmodifiableMap(report);
    final BodyFit.Fitted[] fitted = new BodyFit.Fitted[1];
    String said = TestSupport.stderrOf(() -> fitted[0] = BodyFit.fit(given, Json.write(given), new DebugLog(true)));
    assertEquals("[dumpcatcher] report r1 is 2000065 bytes, over the limit of 1000000: making it fit\n"
        + "[dumpcatcher] report r1: extra left out (now 2000047 bytes)\n"
        + "[dumpcatcher] report r1: stack trace cut to 262144 bytes (now 262192 bytes)\n",
        said.replace(System.lineSeparator(), "\n"));
    assertEquals(262192, fitted[0].json.getBytes(StandardCharsets.UTF_8).length);
  }
}
