package dev.dumpcatcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The default transport: plain {@link HttpURLConnection}, so it also works on Android. */
public final class HttpTransport implements Transport {
  @Override
  public Response send(Request request) throws IOException {
    HttpURLConnection conn = (HttpURLConnection) new URL(request.url()).openConnection();
    try {
      conn.setRequestMethod("POST");
      conn.setDoOutput(true);
      conn.setUseCaches(false);
      conn.setInstanceFollowRedirects(false);
      conn.setConnectTimeout(request.timeoutMs());
      conn.setReadTimeout(request.timeoutMs());
      for (Map.Entry<String, String> h : request.headers().entrySet()) {
        conn.setRequestProperty(h.getKey(), h.getValue());
      }
      byte[] body = request.body();
      // No fixed-length streaming: the connection then sends headers and body in one write,
      // which costs a fraction of the CPU and avoids a Nagle/delayed-ACK stall per request.
      OutputStream out = conn.getOutputStream();
      try {
        out.write(body);
      } finally {
        out.close();
      }
      int status = conn.getResponseCode();
      byte[] answer = drain(status >= 400 ? conn.getErrorStream() : conn.getInputStream());
      String code = status >= 400 ? errorCode(answer) : null;
      return new Response(status, conn.getHeaderField("Retry-After"), conn.getHeaderField("Date"), code);
    } finally {
      // Keep-alive stays possible because the body was read to the end.
      if (Thread.currentThread().isInterrupted()) conn.disconnect();
    }
  }

  /** Reads the answer to its end (so the connection can be reused); returns its first 64 KiB. */
  private static byte[] drain(InputStream in) throws IOException {
    if (in == null) return new byte[0];
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    try {
      byte[] buf = new byte[1024];
      int n;
      while ((n = in.read(buf)) != -1) {
        if (kept.size() < 65536) kept.write(buf, 0, n);
      }
    } finally {
      in.close();
    }
    return kept.toByteArray();
  }

  /** The {@code error.code} of a JSON error body ({@code {"error":{"code":"…"}}}), or null. */
  static String errorCode(byte[] body) {
    try {
      Object parsed = Json.parse(new String(body, StandardCharsets.UTF_8));
      if (!(parsed instanceof Map)) return null;
      Object error = ((Map<?, ?>) parsed).get("error");
      Object code = error instanceof Map ? ((Map<?, ?>) error).get("code") : null;
      return code instanceof String ? (String) code : null;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
