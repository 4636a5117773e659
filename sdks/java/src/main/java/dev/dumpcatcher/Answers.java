package dev.dumpcatcher;

/**
 * What an ingest answer means for the report (docs/protocol.md#answers, docs/sdks.md), written
 * once for the sender and for the shared vectors in test/vectors/answers-v1.json.
 */
final class Answers {
  private Answers() {}

  /** Delivered (200, 202, any 2xx): delete the file. */
  static final int DELIVERED = 0;
  /** Network trouble, 5xx, 429, 1xx or 3xx: keep the file and back off. */
  static final int RETRY = 1;
  /** A permanent 4xx (or a 401 not about the clock): delete the file with a debug log. */
  static final int DROP = 2;
  /** A 401 whose Date shows the local clock is off: correct it and send once more. */
  static final int CLOCK_FIX = 3;

  /** How far the local clock may be off the ingest's before a 401 corrects it. */
  static final long SKEW_TOLERANCE_MS = 60_000L;

  /** One classified answer. */
  static final class Decision {
    final int action;
    /** RETRY: wait at least this long; -1 when the answer did not say. */
    final long retryAfterMs;
    /** CLOCK_FIX: the ingest's clock minus the local one. */
    final long clockOffsetMs;
    /** DROP (and a 401's CLOCK_FIX, should the retry fail too): the notice it gets, else null. */
    final String notice;

    Decision(int action, long retryAfterMs, long clockOffsetMs) {
      this(action, retryAfterMs, clockOffsetMs, null);
    }

    Decision(int action, long retryAfterMs, long clockOffsetMs, String notice) {
      this.action = action;
      this.retryAfterMs = retryAfterMs;
      this.clockOffsetMs = clockOffsetMs;
      this.notice = notice;
    }
  }

  /**
   * Classifies an answer from its status and raw Retry-After and Date headers (null when
   * absent); nowMs is the local clock, clockOffsetMs the offset the request was signed with.
   */
  static Decision classify(int status, String retryAfter, String date, long nowMs, long clockOffsetMs) {
    return classify(status, retryAfter, date, nowMs, clockOffsetMs, null);
  }

  /**
   * Like the above, with the {@code error.code} of the answer's JSON body (null without one):
   * the ingest's own 401 says {@code unauthenticated}.
   */
  static Decision classify(int status, String retryAfter, String date, long nowMs, long clockOffsetMs,
      String errorCode) {
    if (status >= 200 && status < 300) return new Decision(DELIVERED, -1, 0);
    long serverNow = Backoff.httpDateMillis(date);
    if (status == 401) {
      // The ingest's own 401 means the key or secret; a 401 without its body is something else.
      String notice = "unauthenticated".equals(errorCode) ? DebugLog.UNAUTHENTICATED : DebugLog.NOT_INGEST;
      if (serverNow >= 0 && Math.abs(serverNow - (nowMs + clockOffsetMs)) > SKEW_TOLERANCE_MS) {
        return new Decision(CLOCK_FIX, -1, serverNow - nowMs, notice);
      }
      return new Decision(DROP, -1, 0, notice);
    }
    if (status == 429 || status >= 500) {
      long wait = status == 429 || status == 503
          ? Backoff.retryAfterMs(retryAfter, serverNow >= 0 ? serverNow : nowMs) : -1;
      return new Decision(RETRY, wait, 0);
    }
    if (status >= 400) {
      // 403, 404 and 405 are never the ingest's answer to a signed POST: likely the wrong URL or port.
      boolean notIngest = status == 403 || status == 404 || status == 405;
      return new Decision(DROP, -1, 0, notIngest ? DebugLog.NOT_INGEST : DebugLog.REFUSED);
    }
    // 1xx and 3xx are not the ingest's answers (a redirecting proxy, a moved endpoint): keep it.
    return new Decision(RETRY, -1, 0);
  }
}
