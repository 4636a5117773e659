package dev.dumpcatcher;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The default transport on the JVM: HTTP/1.1 on one kept-alive socket (TLS for https), which costs
 * the sending thread well under half of what {@code HttpURLConnection} does per report. Whatever it
 * does not handle itself goes through {@link HttpTransport}: a proxy chosen by the default
 * {@link ProxySelector}, a URL that is not plain http(s), Android (whose HttpURLConnection is
 * OkHttp already). For https it uses the socket factory and hostname verifier that
 * {@link HttpsURLConnection} would use, checked the way the JDK's HttpsURLConnection checks them.
 */
final class SocketTransport implements Transport, Closeable {
  /** An idle connection older than this is closed rather than reused (servers drop idle ones). */
  static final long MAX_IDLE_MS = 4_000L;
  private static final String JDK_DEFAULT_VERIFIER = "javax.net.ssl.HttpsURLConnection.DefaultHostnameVerifier";
  private static final int MAX_HEADER_LINE = 16 * 1024;
  private static final int MAX_HEADER_LINES = 200;

  private final Transport fallback;
  /** Guards idle and closed; send itself runs on the sender thread only. */
  private final Object lock = new Object();
  private String lastUrl;
  private Target lastTarget;
  private Connection idle;
  private boolean closed;

  SocketTransport(Transport fallback) {
    this.fallback = fallback;
  }

  /** Whether this JVM gets the socket transport by default (not Android). */
  static boolean supported() {
    return !SystemInfo.isAndroid();
  }

  @Override
  public Response send(Request request) throws IOException {
    Target target = target(request.url());
    if (target == null || !direct(target)) return fallback.send(request);
    byte[] head = head(target, request);
    Connection reused = takeIdle(target);
    if (reused != null) {
      try {
        return exchange(reused, head, request);
      } catch (StaleConnectionException e) {
        // The server closed the kept-alive connection before answering: once more on a new one.
        // A retry is safe: the ingest answers "200 duplicate" for a report it already stored.
      }
    }
    Connection fresh = open(target, request.timeoutMs());
    try {
      return exchange(fresh, head, request);
    } catch (StaleConnectionException e) {
      throw new IOException("connection closed before an answer", e);
    }
  }

  /** Closes the idle connection, and each later one once its answer is read; never waits for a send. */
  @Override
  public void close() {
    Connection c;
    synchronized (lock) {
      closed = true;
      c = idle;
      idle = null;
    }
    if (c != null) c.closeQuietly();
  }

  private synchronized Target target(String url) {
    if (url.equals(lastUrl)) return lastTarget;
    Target t = Target.parse(url);
    lastUrl = url;
    lastTarget = t;
    return t;
  }

  /** True when the default ProxySelector sends this URL directly (what HttpURLConnection would ask). */
  private static boolean direct(Target target) {
    try {
      ProxySelector selector = ProxySelector.getDefault();
      if (selector == null) return true;
      List<Proxy> proxies = selector.select(target.uri);
      if (proxies == null || proxies.isEmpty()) return true;
      for (Proxy p : proxies) {
        if (p.type() != Proxy.Type.DIRECT) return false;
      }
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static byte[] head(Target target, Request request) {
    StringBuilder b = new StringBuilder(512);
    b.append("POST ").append(target.file).append(" HTTP/1.1\r\nHost: ").append(target.hostHeader).append("\r\n");
    for (Map.Entry<String, String> h : request.headers().entrySet()) {
      String name = h.getKey();
      String value = h.getValue();
      if (name == null || value == null) continue;
      if (!token(name) || !headerValue(value)) throw new IllegalArgumentException("invalid header " + name);
      b.append(name).append(": ").append(value).append("\r\n");
    }
    b.append("Content-Length: ").append(request.body().length).append("\r\n\r\n");
    return b.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static boolean token(String s) {
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 127 || c == ':') return false;
    }
    return true;
  }

  private static boolean headerValue(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c > 255) return false;
    }
    return true;
  }

  private Connection takeIdle(Target target) {
    Connection c;
    synchronized (lock) {
      c = idle;
      idle = null;
    }
    if (c == null) return null;
    if (!c.target.sameServer(target) || System.nanoTime() - c.idleSince > MAX_IDLE_MS * 1_000_000L || c.socket.isClosed()) {
      c.closeQuietly();
      return null;
    }
    return c;
  }

  private static Connection open(Target target, int timeoutMs) throws IOException {
    Socket plain = new Socket();
    try {
      plain.setTcpNoDelay(true);
      plain.connect(new InetSocketAddress(target.host, target.port), timeoutMs);
      plain.setSoTimeout(timeoutMs);
      Socket socket = plain;
      if (target.secure) socket = tls(plain, target, timeoutMs);
      return new Connection(target, socket);
    } catch (IOException | RuntimeException e) {
      try {
        plain.close();
      } catch (IOException ignored) {
        // Already failing.
      }
      throw e;
    }
  }

  /** TLS as HttpsURLConnection does it: its default factory, and its default hostname check. */
  private static Socket tls(Socket plain, Target target, int timeoutMs) throws IOException {
    SSLSocketFactory factory = HttpsURLConnection.getDefaultSSLSocketFactory();
    SSLSocket s = (SSLSocket) factory.createSocket(plain, target.host, target.port, true);
    s.setSoTimeout(timeoutMs);
    HostnameVerifier verifier = HttpsURLConnection.getDefaultHostnameVerifier();
    String name = verifier == null ? null : verifier.getClass().getCanonicalName();
    boolean jdkDefault = verifier == null || JDK_DEFAULT_VERIFIER.equalsIgnoreCase(name);
    SSLParameters params = s.getSSLParameters();
    String identification = params.getEndpointIdentificationAlgorithm();
    boolean checkedByTls = identification != null && identification.equalsIgnoreCase("HTTPS");
    if (!checkedByTls && jdkDefault) {
      params.setEndpointIdentificationAlgorithm("HTTPS");
      s.setSSLParameters(params);
      checkedByTls = true;
    }
    s.startHandshake();
    if (!checkedByTls && !verifier.verify(target.host, s.getSession())) {
      s.close();
      throw new IOException("HTTPS hostname wrong: should be <" + target.host + ">");
    }
    return s;
  }

  private Response exchange(Connection c, byte[] head, Request request) throws IOException {
    boolean answered = false;
    try {
      if (c.socket.getSoTimeout() != request.timeoutMs()) c.socket.setSoTimeout(request.timeoutMs());
      try {
        // Head and body in one write: one segment for a small report, no Nagle stall.
        byte[] body = request.body();
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        c.out.write(all);
        c.out.flush();
      } catch (IOException e) {
        if (c.reused) throw new StaleConnectionException(e);
        throw e;
      }
      Parsed p;
      while (true) {
        String status;
        try {
          status = readLine(c.in, !answered);
        } catch (java.net.SocketTimeoutException e) {
          throw e;
        } catch (IOException e) {
          // EOF, a reset, or a TLS close alert before any answer on a kept-alive connection.
          if (c.reused && !answered) throw new StaleConnectionException(e);
          throw e;
        }
        answered = true;
        p = parseHead(status, c.in);
        // 1xx (an unasked-for 100 Continue): the real answer follows.
        if (p.status >= 100 && p.status < 200 && p.status != 101) continue;
        break;
      }
      boolean reusable = skipBody(p, c.in);
      if (Thread.currentThread().isInterrupted()) reusable = false;
      Connection dropped = c;
      if (reusable) {
        c.reused = true;
        c.idleSince = System.nanoTime();
        synchronized (lock) {
          if (!closed) {
            dropped = idle;
            idle = c;
          }
        }
      }
      if (dropped != null) dropped.closeQuietly();
      return new Response(p.status, p.retryAfter, p.date);
    } catch (IOException | RuntimeException e) {
      c.closeQuietly();
      throw e;
    }
  }

  /** The parts of an answer's head the SDK and the connection reuse need. */
  private static final class Parsed {
    int status;
    boolean http11;
    long contentLength = -1;
    boolean chunked;
    boolean close;
    boolean keepAlive;
    String retryAfter;
    String date;
  }

  private static Parsed parseHead(String statusLine, InputStream in) throws IOException {
    Parsed p = new Parsed();
    // HTTP/1.1 202 Accepted
    if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
      throw new IOException("not an HTTP/1.x answer");
    }
    p.http11 = statusLine.charAt(7) != '0';
    try {
      p.status = Integer.parseInt(statusLine.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new IOException("bad status line");
    }
    for (int n = 0; ; n++) {
      if (n > MAX_HEADER_LINES) throw new IOException("too many header lines");
      String line = readLine(in, false);
      if (line.isEmpty()) break;
      int colon = line.indexOf(':');
      if (colon <= 0) continue;
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Content-Length")) {
        try {
          p.contentLength = Long.parseLong(value);
        } catch (NumberFormatException e) {
          throw new IOException("bad Content-Length");
        }
      } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
        p.chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
      } else if (name.equalsIgnoreCase("Connection")) {
        String v = value.toLowerCase(Locale.ROOT);
        if (v.contains("close")) p.close = true;
        if (v.contains("keep-alive")) p.keepAlive = true;
      } else if (name.equalsIgnoreCase("Retry-After")) {
        if (p.retryAfter == null) p.retryAfter = value;
      } else if (name.equalsIgnoreCase("Date")) {
        if (p.date == null) p.date = value;
      }
    }
    return p;
  }

  /** Reads the answer's body to its end; says whether the connection can carry another request. */
  private static boolean skipBody(Parsed p, InputStream in) throws IOException {
    boolean persistent = !p.close && (p.http11 || p.keepAlive);
    if (p.status == 204 || p.status == 304 || (p.status >= 100 && p.status < 200)) return persistent;
    if (p.chunked) {
      while (true) {
        String size = readLine(in, false);
        int semi = size.indexOf(';');
        long n;
        try {
          n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
        } catch (NumberFormatException e) {
          throw new IOException("bad chunk size");
        }
        if (n < 0) throw new IOException("bad chunk size");
        if (n == 0) {
          // Trailers, then the empty line.
          while (!readLine(in, false).isEmpty()) {
            // Ignored.
          }
          return persistent;
        }
        skipFully(in, n);
        readLine(in, false);
      }
    }
    if (p.contentLength >= 0) {
      skipFully(in, p.contentLength);
      return persistent;
    }
    // No length: the body ends when the server closes the connection.
    byte[] buf = new byte[1024];
    while (in.read(buf) != -1) {
      // Not needed.
    }
    return false;
  }

  private static void skipFully(InputStream in, long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(4096, Math.max(1, n))];
    while (n > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n));
      if (r < 0) throw new EOFException("answer ended early");
      n -= r;
    }
  }

  /** One CRLF- (or LF-) terminated line, ISO-8859-1; EOF before any byte throws EOFException. */
  private static String readLine(InputStream in, boolean first) throws IOException {
    StringBuilder b = new StringBuilder(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException(b.length() == 0 && first ? "connection closed" : "answer ended early");
      }
      if (c == '\n') break;
      if (b.length() >= MAX_HEADER_LINE) throw new IOException("header line too long");
      b.append((char) c);
    }
    int len = b.length();
    if (len > 0 && b.charAt(len - 1) == '\r') b.setLength(len - 1);
    return b.toString();
  }

  /** Where a URL's requests go. */
  static final class Target {
    final URI uri;
    final boolean secure;
    final String host;
    final int port;
    final String hostHeader;
    final String file;

    private Target(URI uri, boolean secure, String host, int port, String hostHeader, String file) {
      this.uri = uri;
      this.secure = secure;
      this.host = host;
      this.port = port;
      this.hostHeader = hostHeader;
      this.file = file;
    }

    boolean sameServer(Target other) {
      return secure == other.secure && port == other.port && host.equals(other.host);
    }

    /** Null for anything but a plain http(s) URL (which then goes through HttpURLConnection). */
    static Target parse(String url) {
      try {
        URL u = new URL(url);
        String scheme = u.getProtocol().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) return null;
        if (u.getUserInfo() != null || u.getRef() != null) return null;
        String host = u.getHost();
        if (host == null || host.isEmpty()) return null;
        boolean secure = scheme.equals("https");
        int defaultPort = secure ? 443 : 80;
        int port = u.getPort() < 0 ? defaultPort : u.getPort();
        // URL.getHost keeps the brackets of an IPv6 literal; the socket wants the address itself.
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        String hostHeader = port == defaultPort ? host : host + ":" + port;
        String file = u.getFile();
        if (file == null || file.isEmpty()) file = "/";
        for (int i = 0; i < file.length(); i++) {
          char c = file.charAt(i);
          if (c <= ' ' || c >= 127) return null;
        }
        return new Target(u.toURI(), secure, bare, port, hostHeader, file);
      } catch (java.net.MalformedURLException | java.net.URISyntaxException | RuntimeException e) {
        return null;
      }
    }
  }

  /** One open connection and its buffered input. */
  private static final class Connection {
    final Target target;
    final Socket socket;
    final OutputStream out;
    final InputStream in;
    boolean reused;
    long idleSince;

    Connection(Target target, Socket socket) throws IOException {
      this.target = target;
      this.socket = socket;
      this.out = socket.getOutputStream();
      this.in = new BufferedInputStream(socket.getInputStream(), 4096);
    }

    void closeQuietly() {
      try {
        socket.close();
      } catch (IOException e) {
        // Nothing to do.
      }
    }
  }

  /** A reused connection failed before any answer: it had gone stale while idle. */
  private static final class StaleConnectionException extends IOException {
    private static final long serialVersionUID = 1L;

    StaleConnectionException(Throwable cause) {
      super(cause);
    }
  }
}
