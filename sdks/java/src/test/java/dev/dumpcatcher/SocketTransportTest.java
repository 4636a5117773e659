package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SocketTransportTest {
  /** A server that answers each request with the next scripted answer (raw bytes), then maybe closes. */
  static final class ScriptedServer implements AutoCloseable {
    final ServerSocket server;
    final ConcurrentLinkedQueue<String[]> script = new ConcurrentLinkedQueue<>();
    final AtomicInteger connections = new AtomicInteger();
    final List<String> requests = new CopyOnWriteArrayList<>();
    final Thread acceptor;

    ScriptedServer() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            connections.incrementAndGet();
            Thread t = new Thread(() -> serve(s));
            t.setDaemon(true);
            t.start();
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    /** Queues an answer; "close" as second element closes the connection after it. */
    void answer(String raw, boolean closeAfter) {
      script.add(new String[] {raw, closeAfter ? "close" : ""});
    }

    private void serve(Socket s) {
      try (Socket socket = s) {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        while (true) {
          String head = readHead(in);
          if (head == null) return;
          int length = 0;
          for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
          }
          byte[] body = new byte[length];
          int read = 0;
          while (read < length) {
            int n = in.read(body, read, length - read);
            if (n < 0) return;
            read += n;
          }
          requests.add(head + "\r\n\r\n" + new String(body, StandardCharsets.UTF_8));
          String[] next = script.poll();
          if (next == null) next = new String[] {"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}", ""};
          out.write(next[0].getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          if (next[1].equals("close")) return;
        }
      } catch (IOException e) {
        // Client went away.
      }
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int state = 0;
      while (true) {
        int c = in.read();
        if (c < 0) return null;
        b.write(c);
        state = (c == '\r' && (state == 0 || state == 2)) ? state + 1 : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        if (state == 4) break;
      }
      String s = new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
      return s.substring(0, s.length() - 4);
    }

    String url(String path) {
      return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** Records what reached it instead of sending it. */
  static final class RecordingTransport implements Transport {
    final List<Request> got = new ArrayList<>();

    @Override
    public Response send(Request request) {
      got.add(request);
      return new Response(299, null, null);
    }
  }

  private final ProxySelector originalSelector = ProxySelector.getDefault();

  @AfterEach
  void restoreProxySelector() {
    ProxySelector.setDefault(originalSelector);
  }

  private static Transport.Request request(String url, String body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put("X-Dumpcatcher-Counter", "7");
    return new Transport.Request(url, headers, body.getBytes(StandardCharsets.UTF_8), 5000);
  }

  @Test
  void sendsHeadAndBodyAndKeepsOneConnectionAlive() throws Exception {
    try (ScriptedServer server = new ScriptedServer()) {
      SocketTransport t = new SocketTransport(new RecordingTransport());
      server.answer("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nDate: Sun, 22 Nov 2026 08:00:00 GMT\r\n"
          + "Content-Length: 5\r\n\r\nslow!", false);
      Transport.Response first = t.send(request(server.url("/base/v1/crashes"), "{\"a\":1}"));
      assertEquals(429, first.status());
      assertEquals("3", first.retryAfter());
      assertEquals("Sun, 22 Nov 2026 08:00:00 GMT", first.date());
      // A chunked answer, then one preceded by an unasked-for 100 Continue.
      server.answer("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n", false);
      assertEquals(202, t.send(request(server.url("/base/v1/crashes"), "{}")).status());
      server.answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
      Transport.Response third = t.send(request(server.url("/base/v1/usage"), "{}"));
      assertEquals(200, third.status());
      assertNull(third.retryAfter());
      assertEquals(1, server.connections.get(), "one kept-alive connection for every request");
      String head = server.requests.get(0);
      assertTrue(head.startsWith("POST /base/v1/crashes HTTP/1.1\r\nHost: 127.0.0.1:" + server.server.getLocalPort() + "\r\n"), head);
      assertTrue(head.contains("\r\nContent-Type: application/json\r\nX-Dumpcatcher-Counter: 7\r\nContent-Length: 7\r\n\r\n{\"a\":1}"), head);
      assertTrue(server.requests.get(2).startsWith("POST /base/v1/usage HTTP/1.1\r\n"));
      t.close();
    }
  }

  @Test
  void opensANewConnectionWhenTheServerClosedTheKeptOne() throws Exception {
    try (ScriptedServer server = new ScriptedServer()) {
      SocketTransport t = new SocketTransport(new RecordingTransport());
      // Closes after answering without saying so: the next send finds the connection stale.
      server.answer("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", true);
      assertEquals(202, t.send(request(server.url("/v1/crashes"), "{}")).status());
      Thread.sleep(50);
      assertEquals(202, t.send(request(server.url("/v1/crashes"), "{}")).status());
      assertEquals(2, server.connections.get());
      // Says it closes: not reused.
      server.answer("HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", true);
      assertEquals(202, t.send(request(server.url("/v1/crashes"), "{}")).status());
      // No length: the body runs to the end of the connection.
      server.answer("HTTP/1.0 503 Busy\r\n\r\nbusy", true);
      assertEquals(503, t.send(request(server.url("/v1/crashes"), "{}")).status());
      assertEquals(202, t.send(request(server.url("/v1/crashes"), "{}")).status());
      assertEquals(4, server.connections.get());
      assertEquals(5, server.requests.size(), "each report reached the server once");
      t.close();
    }
  }

  @Test
  void aBrokenAnswerIsAnIoErrorAndNothingIsLeftOpen() throws Exception {
    try (ScriptedServer server = new ScriptedServer()) {
      SocketTransport t = new SocketTransport(new RecordingTransport());
      server.answer("garbage\r\n\r\n", false);
      assertThrows(IOException.class, () -> t.send(request(server.url("/v1/crashes"), "{}")));
      server.answer("HTTP/1.1 202 Accepted\r\nContent-Length: 10\r\n\r\nshort", true);
      assertThrows(IOException.class, () -> t.send(request(server.url("/v1/crashes"), "{}")));
      assertEquals(202, t.send(request(server.url("/v1/crashes"), "{}")).status());
      t.close();
    }
    SocketTransport t = new SocketTransport(new RecordingTransport());
    assertThrows(IOException.class, () -> t.send(request("http://127.0.0.1:9/v1/crashes", "{}")));
  }

  @Test
  void leavesProxiesAndOtherUrlsToTheFallback() throws Exception {
    RecordingTransport fallback = new RecordingTransport();
    SocketTransport t = new SocketTransport(fallback);
    assertEquals(299, t.send(request("ftp://example.com/v1/crashes", "{}")).status());
    ProxySelector.setDefault(new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        return Collections.singletonList(new Proxy(Proxy.Type.HTTP, java.net.InetSocketAddress.createUnresolved("proxy.local", 3128)));
      }

      @Override
      public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
    });
    assertEquals(299, t.send(request("http://127.0.0.1:9/v1/crashes", "{}")).status());
    assertEquals(2, fallback.got.size());
  }

  @Test
  void refusesAHeaderThatCouldSplitTheRequest() {
    SocketTransport t = new SocketTransport(new RecordingTransport());
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("X-Evil", "a\r\nInjected: yes");
    assertThrows(IllegalArgumentException.class,
        () -> t.send(new Transport.Request("http://127.0.0.1:9/v1/crashes", headers, new byte[0], 1000)));
  }

  @Test
  void httpsChecksTheHostNameLikeHttpsUrlConnection(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.io.File keytool = new java.io.File(System.getProperty("java.home"), "bin/keytool");
    org.junit.jupiter.api.Assumptions.assumeTrue(keytool.canExecute(), "needs the JDK's keytool");
    java.nio.file.Path store = dir.resolve("ks.p12");
    Process p = new ProcessBuilder(keytool.getPath(), "-genkeypair", "-alias", "srv", "-keyalg", "EC", "-groupname",
        "secp256r1", "-dname", "CN=localhost", "-ext", "san=dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    assertEquals(0, p.waitFor());
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    try (InputStream in = java.nio.file.Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, "changeit".toCharArray());
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    com.sun.net.httpserver.HttpsServer server =
        com.sun.net.httpserver.HttpsServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(ctx));
    server.createContext("/", ex -> {
      InputStream in = ex.getRequestBody();
      while (in.read() != -1) {
        // Drain.
      }
      ex.sendResponseHeaders(202, 2);
      ex.getResponseBody().write("{}".getBytes(StandardCharsets.UTF_8));
      ex.close();
    });
    server.start();
    javax.net.ssl.SSLSocketFactory factory = javax.net.ssl.HttpsURLConnection.getDefaultSSLSocketFactory();
    javax.net.ssl.HostnameVerifier verifier = javax.net.ssl.HttpsURLConnection.getDefaultHostnameVerifier();
    try {
      javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(ctx.getSocketFactory());
      int port = server.getAddress().getPort();
      SocketTransport t = new SocketTransport(new RecordingTransport());
      assertEquals(202, t.send(request("https://localhost:" + port + "/v1/crashes", "{}")).status());
      assertEquals(202, t.send(request("https://localhost:" + port + "/v1/crashes", "{}")).status());
      // The certificate names localhost only.
      assertThrows(IOException.class, () -> t.send(request("https://127.0.0.1:" + port + "/v1/crashes", "{}")));
      t.close();
      // An app's own hostname verifier decides, as it would for HttpsURLConnection.
      javax.net.ssl.HttpsURLConnection.setDefaultHostnameVerifier((host, session) -> host.equals("127.0.0.1"));
      SocketTransport custom = new SocketTransport(new RecordingTransport());
      assertEquals(202, custom.send(request("https://127.0.0.1:" + port + "/v1/crashes", "{}")).status());
      assertThrows(IOException.class, () -> custom.send(request("https://localhost:" + port + "/v1/crashes", "{}")));
      custom.close();
    } finally {
      javax.net.ssl.HttpsURLConnection.setDefaultSSLSocketFactory(factory);
      javax.net.ssl.HttpsURLConnection.setDefaultHostnameVerifier(verifier);
      server.stop(0);
    }
  }
}
