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

    Decision(int action, long retryAfterMs, long clockOffsetMs) {
      this.action = action;
      this.retryAfterMs = retryAfterMs;
      this.clockOffsetMs = clockOffsetMs;
    }
  }

  /**
   * Classifies an answer from its status and raw Retry-After and Date headers (null when
   * absent); nowMs is the local clock, clockOffsetMs the offset the request was signed with.
   */
  static Decision classify(int status, String retryAfter, String date, long nowMs, long clockOffsetMs) {
    if (status >= 200 && status < 300) return new Decision(DELIVERED, -1, 0);
    long serverNow = Backoff.httpDateMillis(date);
    if (status == 401) {
      if (serverNow >= 0 && Math.abs(serverNow - (nowMs + clockOffsetMs)) > SKEW_TOLERANCE_MS) {
        return new Decision(CLOCK_FIX, -1, serverNow - nowMs);
      }
      return new Decision(DROP, -1, 0);
    }
    if (status == 429 || status >= 500) {
      long wait = status == 429 || status == 503
          ? Backoff.retryAfterMs(retryAfter, serverNow >= 0 ? serverNow : nowMs) : -1;
      return new Decision(RETRY, wait, 0);
    }
    if (status >= 400) return new Decision(DROP, -1, 0);
    // 1xx and 3xx are not the ingest's answers (a redirecting proxy, a moved endpoint): keep it.
    return new Decision(RETRY, -1, 0);
  }
}
