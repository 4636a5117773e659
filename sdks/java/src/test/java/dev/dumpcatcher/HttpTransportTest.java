package dev.dumpcatcher;

import static dev.dumpcatcher.TestSupport.options;
import static dev.dumpcatcher.TestSupport.queueFiles;
import static dev.dumpcatcher.TestSupport.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default transport, HttpURLConnection, against real servers and a real proxy. */
class HttpTransportTest {
  @TempDir Path dir;
  private Properties savedProperties;
  private ProxySelector savedSelector;
  private SSLSocketFactory savedFactory;

  @BeforeEach
  void save() {
    savedProperties = (Properties) System.getProperties().clone();
    savedSelector = ProxySelector.getDefault();
    savedFactory = HttpsURLConnection.getDefaultSSLSocketFactory();
  }

  @AfterEach
  void restore() {
    System.setProperties(savedProperties);
    ProxySelector.setDefault(savedSelector);
    HttpsURLConnection.setDefaultSSLSocketFactory(savedFactory);
  }

  private static Transport.Request request(String url, int timeoutMs) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    return new Transport.Request(url, headers, "{}".getBytes(StandardCharsets.UTF_8), timeoutMs);
  }

  /** A name only the test proxy resolves (to 127.0.0.1): the JVM never proxies a loopback name. */
  private static final String NAME = "ingest.dumpcatcher.invalid";

  /** An HTTPS server for DNS names localhost and NAME (a fresh keytool certificate) and a context that trusts it. */
  private static final class TlsServer implements AutoCloseable {
    final HttpsServer server;
    final SSLContext trusting;
    final List<String> paths = new CopyOnWriteArrayList<>();

    TlsServer(Path dir) throws Exception {
      File keytool = new File(System.getProperty("java.home"), "bin/keytool");
      Path store = dir.resolve("ks.p12");
      Process p = new ProcessBuilder(keytool.getPath(), "-genkeypair", "-alias", "srv", "-keyalg", "EC",
          "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "san=dns:localhost,dns:" + NAME, "-validity", "2",
          "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
          .redirectErrorStream(true).start();
      assertEquals(0, p.waitFor(), "keytool made the test certificate");
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        ks.load(in, "changeit".toCharArray());
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
      kmf.init(ks, "changeit".toCharArray());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(ks);
      trusting = SSLContext.getInstance("TLS");
      trusting.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.setHttpsConfigurator(new HttpsConfigurator(trusting));
      server.createContext("/", ex -> {
        paths.add(ex.getRequestURI().getPath());
        InputStream in = ex.getRequestBody();
        while (in.read() != -1) {
          // Drain.
        }
        ex.sendResponseHeaders(202, 2);
        ex.getResponseBody().write("{}".getBytes(StandardCharsets.UTF_8));
        ex.close();
      });
      server.start();
    }

    String url(String host) {
      return "https://" + host + ":" + server.getAddress().getPort() + "/v1/crashes";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @Test
  void answersRetryAfterAndDateAsTheServerSentThem() throws Exception {
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      ex.getResponseHeaders().add("Retry-After", "7");
      ex.sendResponseHeaders(429, -1);
      ex.close();
    });
    server.start();
    try {
      Transport.Response r = new HttpTransport()
          .send(request("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/crashes", 5000));
      assertEquals(429, r.status());
      assertEquals("7", r.retryAfter());
      // The server writes its own Date.
      assertTrue(Backoff.httpDateMillis(r.date()) > 0, "Date " + r.date());
    } finally {
      server.stop(0);
    }
  }

  @Test
  void givesUpOnAServerThatNeverAnswersWithinTheTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> accepted = new CopyOnWriteArrayList<>();
      Thread t = new Thread(() -> {
        try {
          accepted.add(silent.accept());
        } catch (IOException e) {
          // Closed.
        }
      });
      t.setDaemon(true);
      t.start();
      long started = System.nanoTime();
      assertThrows(SocketTimeoutException.class,
          () -> new HttpTransport().send(request("http://127.0.0.1:" + silent.getLocalPort() + "/v1/crashes", 300)));
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(tookMs >= 250 && tookMs < 5000, "timed out after " + tookMs + " ms");
      for (Socket s : accepted) s.close();
    }
  }

  @Test
  void checksTheCertificateAndItsHostName() throws Exception {
    try (TlsServer tls = new TlsServer(dir)) {
      // Not trusted by the JVM's default store.
      assertThrows(IOException.class, () -> new HttpTransport().send(request(tls.url("localhost"), 5000)));
      HttpsURLConnection.setDefaultSSLSocketFactory(tls.trusting.getSocketFactory());
      assertEquals(202, new HttpTransport().send(request(tls.url("localhost"), 5000)).status());
      // Trusted, but the certificate names localhost only.
      assertThrows(IOException.class, () -> new HttpTransport().send(request(tls.url("127.0.0.1"), 5000)));
      assertEquals(Collections.singletonList("/v1/crashes"), tls.paths);
    }
  }

  @Test
  void tunnelsHttpsThroughTheProxyThatHttpsProxyHostNames() throws Exception {
    try (TlsServer tls = new TlsServer(dir); TestProxy proxy = new TestProxy()) {
      HttpsURLConnection.setDefaultSSLSocketFactory(tls.trusting.getSocketFactory());
      System.setProperty("https.proxyHost", "127.0.0.1");
      System.setProperty("https.proxyPort", String.valueOf(proxy.port()));
      assertEquals(202, new HttpTransport().send(request(tls.url(NAME), 5000)).status());
      assertEquals(Collections.singletonList("CONNECT " + NAME + ":" + tls.server.getAddress().getPort() + " HTTP/1.1"),
          proxy.seen);
      assertEquals(Collections.singletonList("/v1/crashes"), tls.paths);

      // http.nonProxyHosts (which https uses too) naming the host: no proxy, so the name does
      // not resolve.
      System.setProperty("http.nonProxyHosts", "*.dumpcatcher.invalid");
      assertThrows(java.net.UnknownHostException.class, () -> new HttpTransport().send(request(tls.url(NAME), 5000)));
      assertEquals(1, proxy.seen.size());
    }
  }

  @Test
  void aClientDeliversThroughTheProxyTheDefaultProxySelectorNames() throws Exception {
    try (FakeIngest ingest = new FakeIngest(); TestProxy proxy = new TestProxy()) {
      ProxySelector.setDefault(new ProxySelector() {
        @Override
        public List<Proxy> select(URI uri) {
          return Collections.singletonList(
              new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", proxy.port())));
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
      });
      Client client = start(options(ingest.url(), dir).build());
      try {
        client.captureException(new IllegalStateException("via proxy"), null);
        assertTrue(client.flush(5000), "flush reports an empty queue");
      } finally {
        client.close();
      }
      assertEquals(1, ingest.delivered().size());
      assertTrue(ingest.delivered().get(0).signatureValid);
      assertEquals(Collections.singletonList("POST " + ingest.url() + "/v1/crashes HTTP/1.1"), proxy.seen);
      assertTrue(queueFiles(dir).isEmpty());
    }
  }
}
