package dev.dumpcatcher;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A real HTTP server on 127.0.0.1 that answers like the ingest: it verifies the v1 signature and
 * timestamp with its own HMAC code, stores each (client, counter) once, answers 200 duplicate for
 * a retry, refuses a body over 1 MiB with 413, and can be told to answer 500, 429 or 400 next.
 */
final class FakeIngest implements AutoCloseable {
  static final String KEY = "pk_test_0123456789";
  static final String SECRET = "s3cr3t-Value-For-Tests";
  /** The ingest's limit, as sent and after gunzip (docs/protocol.md#limits): more is answered 413. */
  static final int MAX_BODY_BYTES = 1024 * 1024;

  /** One request as the server saw it. */
  static final class Received {
    final long atMillis;
    final String path;
    final Map<String, String> headers;
    final String body;
    final boolean signatureValid;
    final int status;

    Received(long atMillis, String path, Map<String, String> headers, String body, boolean signatureValid, int status) {
      this.atMillis = atMillis;
      this.path = path;
      this.headers = headers;
      this.body = body;
      this.signatureValid = signatureValid;
      this.status = status;
    }

    String header(String name) {
      return headers.get(name.toLowerCase());
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> json() {
      return (Map<String, Object>) Json.parse(body);
    }
  }

  static {
    // Answer without waiting for a delayed ACK (read once, when the server classes load).
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final HttpServer server;
  private final List<Received> received = Collections.synchronizedList(new ArrayList<Received>());
  private final Map<String, String> stored = new HashMap<>();
  /** Statuses to answer before behaving normally, first in first out. */
  final ConcurrentLinkedDeque<Integer> script = new ConcurrentLinkedDeque<>();
  volatile String retryAfter = "1";
  /** When set, each request waits on it before answering (to observe the SDK mid-send). */
  volatile CountDownLatch hold;

  FakeIngest() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  List<Received> received() {
    synchronized (received) {
      return new ArrayList<>(received);
    }
  }

  /** Requests answered 200 or 202. */
  List<Received> delivered() {
    List<Received> out = new ArrayList<>();
    for (Received r : received()) if (r.status == 200 || r.status == 202) out.add(r);
    return out;
  }

  /** Waits until at least n requests arrived. */
  boolean awaitRequests(int n, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (received.size() >= n) return true;
      Thread.sleep(10);
    }
    return received.size() >= n;
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      CountDownLatch h = hold;
      if (h != null) h.await(10, TimeUnit.SECONDS);
      byte[] raw = readAll(ex.getRequestBody());
      Map<String, String> headers = new HashMap<>();
      for (Map.Entry<String, List<String>> e : ex.getRequestHeaders().entrySet()) {
        headers.put(e.getKey().toLowerCase(), e.getValue().get(0));
      }
      String path = ex.getRequestURI().getPath();
      String encoding = headers.getOrDefault("x-dumpcatcher-body-encoding", "identity");
      boolean valid = verify(path, headers, encoding, raw);
      byte[] plain = encoding.equals("gzip") ? gunzip(raw) : raw;
      String body = new String(plain, StandardCharsets.UTF_8);
      long ts = Long.parseLong(headers.getOrDefault("x-dumpcatcher-timestamp", "0"));
      boolean fresh = Math.abs(ts - System.currentTimeMillis() / 1000) <= 300;
      int status;
      Integer forced = script.pollFirst();
      if (raw.length > MAX_BODY_BYTES || plain.length > MAX_BODY_BYTES) {
        status = 413;
      } else if (!valid || !fresh) {
        status = 401;
      } else if (forced != null) {
        status = forced;
      } else {
        String id = headers.get("x-dumpcatcher-client") + "/" + headers.get("x-dumpcatcher-counter");
        String reportId = String.valueOf(((Map<?, ?>) Json.parse(body)).get("reportId"));
        synchronized (stored) {
          String before = stored.get(id);
          if (before == null) {
            stored.put(id, reportId);
            status = 202;
          } else {
            status = before.equals(reportId) ? 200 : 409;
          }
        }
      }
      received.add(new Received(System.currentTimeMillis(), path, headers, body, valid, status));
      if (status == 429) ex.getResponseHeaders().set("Retry-After", retryAfter);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      // A 401 as the real ingest answers it (docs/protocol.md#answers); other answers need no body.
      String text = status == 401
          ? "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"The request is not signed by a known product.\"}}"
          : "{\"status\":" + status + "}";
      byte[] answer = text.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, answer.length);
      OutputStream out = ex.getResponseBody();
      out.write(answer);
      out.close();
    } catch (Exception e) {
      ex.sendResponseHeaders(500, -1);
      ex.close();
    }
  }

  private static boolean verify(String path, Map<String, String> h, String encoding, byte[] body) throws Exception {
    String sts = "DUMPCATCHER1-HMAC-SHA256\nPOST\n" + path + "\n" + h.get("x-dumpcatcher-key") + "\n"
        + h.get("x-dumpcatcher-client") + "\n" + h.get("x-dumpcatcher-counter") + "\n"
        + h.get("x-dumpcatcher-timestamp") + "\n" + encoding + "\n"
        + hex(MessageDigest.getInstance("SHA-256").digest(body));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String expected = "v1=" + hex(mac.doFinal(sts.getBytes(StandardCharsets.UTF_8)));
    String given = h.get("x-dumpcatcher-signature");
    return KEY.equals(h.get("x-dumpcatcher-key")) && given != null
        && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }

  static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) sb.append(String.format("%02x", b));
    return sb.toString();
  }

  static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) != -1) out.write(buf, 0, n);
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] data) throws IOException {
    return readAll(new GZIPInputStream(new ByteArrayInputStream(data)));
  }

  @Override
  public void close() {
    CountDownLatch h = hold;
    if (h != null) h.countDown();
    server.stop(0);
  }
}
