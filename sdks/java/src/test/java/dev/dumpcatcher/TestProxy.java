package dev.dumpcatcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real HTTP proxy on loopback: CONNECT tunnels, and plain requests sent with an absolute URL
 * forwarded to their host. It records the first line of each connection it carries. Host names
 * under {@code .invalid} reach 127.0.0.1: the JVM's default ProxySelector never proxies a loopback
 * name, so tests name the server this way.
 */
final class TestProxy implements AutoCloseable {
  final List<String> seen = new CopyOnWriteArrayList<>();
  private final ServerSocket server;

  TestProxy() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          daemon(() -> carry(client));
        } catch (IOException e) {
          return;
        }
      }
    }, "test-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private static void daemon(Runnable r) {
    Thread t = new Thread(r);
    t.setDaemon(true);
    t.start();
  }

  private void carry(Socket client) {
    try {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      String head = readHead(in);
      if (head == null) return;
      String first = head.substring(0, head.indexOf("\r\n"));
      seen.add(first);
      String[] parts = first.split(" ");
      Socket upstream;
      if (parts[0].equals("CONNECT")) {
        int colon = parts[1].lastIndexOf(':');
        upstream = new Socket(resolve(parts[1].substring(0, colon)), Integer.parseInt(parts[1].substring(colon + 1)));
        out.write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      } else {
        URI target = URI.create(parts[1]);
        upstream = new Socket(resolve(target.getHost()), target.getPort());
        // As real proxies do: the request goes on in origin form (path only).
        String origin = target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
        String rest = head.substring(first.length());
        upstream.getOutputStream().write((parts[0] + " " + origin + " " + parts[2] + rest + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
      }
      final Socket up = upstream;
      daemon(() -> pipe(up, client));
      pipe(client, up);
    } catch (IOException | RuntimeException e) {
      close(client);
    }
  }

  private static String resolve(String host) {
    return host.endsWith(".invalid") ? "127.0.0.1" : host;
  }

  private static void pipe(Socket from, Socket to) {
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // One side went away; the finally closes both.
    } finally {
      close(from);
      close(to);
    }
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Already closed.
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) return null;
      b.write(c);
      boolean cr = c == '\r' && (state == 0 || state == 2);
      boolean lf = c == '\n' && (state == 1 || state == 3);
      state = cr || lf ? state + 1 : 0;
    }
    String s = new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
    return s.substring(0, s.length() - 4);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
