package dev.dumpcatcher;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Sends one signed request to the ingest; the SDK's default is {@link HttpTransport}. */
public interface Transport {
  /**
   * Performs one attempt. Throws IOException on network errors and timeouts; any HTTP answer,
   * whatever its status, is returned.
   */
  Response send(Request request) throws IOException;

  /** One attempt's request: full URL, headers, body bytes exactly as sent. */
  final class Request {
    private final String url;
    private final Map<String, String> headers;
    private final byte[] body;
    private final int timeoutMs;

    /** Creates a request; headers are copied. */
    public Request(String url, Map<String, String> headers, byte[] body, int timeoutMs) {
      this.url = url;
      this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
      this.body = body;
      this.timeoutMs = timeoutMs;
    }

    /** The full URL (endpoint + path). */
    public String url() {
      return url;
    }

    /** Header names and values, in sending order. */
    public Map<String, String> headers() {
      return headers;
    }

    /** The body bytes as sent (gzipped when the encoding header says so). */
    public byte[] body() {
      return body;
    }

    /** Timeout for the whole attempt, in milliseconds. */
    public int timeoutMs() {
      return timeoutMs;
    }
  }

  /** The parts of an answer the SDK acts on. */
  final class Response {
    private final int status;
    private final String retryAfter;
    private final String date;
    private final String errorCode;

    /** Creates a response; retryAfter and date are the raw header values or null. */
    public Response(int status, String retryAfter, String date) {
      this(status, retryAfter, date, null);
    }

    /** Creates a response with the {@code error.code} of its JSON body (null without one). */
    public Response(int status, String retryAfter, String date, String errorCode) {
      this.status = status;
      this.retryAfter = retryAfter;
      this.date = date;
      this.errorCode = errorCode;
    }

    /** The {@code error.code} of the answer's JSON body ({@code unauthenticated}, ...), or null. */
    public String errorCode() {
      return errorCode;
    }

    /** HTTP status code. */
    public int status() {
      return status;
    }

    /** Raw {@code Retry-After} header, or null. */
    public String retryAfter() {
      return retryAfter;
    }

    /** Raw {@code Date} header, or null. */
    public String date() {
      return date;
    }
  }
}
