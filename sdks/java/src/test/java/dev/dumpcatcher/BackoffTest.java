package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void fullJitterStaysWithinTheExponentialCeilingAndTheCap() {
    Random random = new Random(1);
    long max3 = 0;
    for (int i = 0; i < 1000; i++) {
      long d = Backoff.delayMs(3, 1000, 300_000, random);
      assertTrue(d >= 0 && d <= 4000, "attempt 3 waits at most 4 s, got " + d);
      max3 = Math.max(max3, d);
      long capped = Backoff.delayMs(30, 1000, 300_000, random);
      assertTrue(capped >= 0 && capped <= 300_000, "capped at 5 min, got " + capped);
    }
    assertTrue(max3 > 3000, "jitter spreads over the whole range");
  }

  @Test
  void readsRetryAfterInSecondsOrAsAnHttpDate() {
    long now = 1_763_798_400_000L; // Sat, 22 Nov 2025 08:00:00 GMT
    assertEquals(120_000, Backoff.retryAfterMs("120", now));
    assertEquals(30_000, Backoff.retryAfterMs("Sat, 22 Nov 2025 08:00:30 GMT", now));
    assertEquals(-1, Backoff.retryAfterMs("soon", now));
    assertEquals(-1, Backoff.retryAfterMs(null, now));
  }

  @Test
  void parsesTheDateHeader() {
    assertEquals(1_763_798_400_000L, Backoff.httpDateMillis("Sat, 22 Nov 2025 08:00:00 GMT"));
    assertEquals(-1, Backoff.httpDateMillis("yesterday"));
  }
}
