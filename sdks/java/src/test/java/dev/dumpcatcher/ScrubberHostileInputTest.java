package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The scrubber runs inside the app on text an attacker may shape (an exception message quoting
 * a request): a megabyte of it must be scrubbed in linear time. Linear runs take well under a
 * second here; the bound is generous, since a quadratic rule on a megabyte takes minutes.
 */
class ScrubberHostileInputTest {
  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final Scrubber SCRUBBER =
      new Scrubber("sk-test-S3cr3t-value-do-not-log", "/home/alice.example", "alicew");

  /** Name, input, what the output starts with, what it ends with. */
  static Stream<Arguments> megabytes() {
    String run = repeat("a", 500_000) + "@" + repeat("b", 500_000);
    return Stream.of(
        // The inputs of sdks/python/tests/test_scrub.py and sdks/node/test/scrub.test.ts.
        Arguments.of("word run", repeat("a", 1_000_000), "aaa", "aaa"),
        Arguments.of("word run then at", repeat("a", 1_000_000) + "@", "aaa", "a@"),
        Arguments.of("local part run", repeat("a.b+", 250_000) + "@x", "a.b+", "+@x"),
        Arguments.of("domain run", "@" + repeat("a", 999_999), "@aaa", "aaa"),
        Arguments.of("many names", repeat("token ", 170_000), "token token", "token "),
        Arguments.of("name then spaces", "password" + repeat(" ", 999_000), "password ", "   "),
        Arguments.of("many schemes", repeat("Bearer ", 140_000), "Bearer <redacted> Bearer <redacted> ", "<redacted> "),
        Arguments.of("long mixed run", repeat("a1", 500_000), "<token>", "<token>"),
        Arguments.of("long path", "/" + repeat("a1/", 330_000), "/a1/a1/", "a1/"),
        Arguments.of("many user names", repeat("alicew ", 140_000), "<user> <user> ", "<user> "),
        Arguments.of("word runs around an at, then a password", run + " password=" + repeat("c", 10_000),
            "aaa", "b password=<redacted>"),
        // Inputs aimed at the other rules.
        Arguments.of("many JWT starts after dashes", repeat("eyJ-", 250_000), "eyJ-eyJ-", "eyJ-"),
        Arguments.of("many JWT starts after dashes, then a dot", repeat("eyJ-", 250_000) + ".", "eyJ-eyJ-", "eyJ-."),
        Arguments.of("many JWT starts after dashes, then two dots", repeat("eyJ-", 250_000) + ".a.b", "<token>", "<token>"),
        Arguments.of("many JWT starts after dots", repeat("eyJa.", 200_000), "<token>.<token>.", "<token>"),
        Arguments.of("many JWT starts after spaces", repeat("eyJ ", 250_000), "eyJ eyJ ", "eyJ "),
        Arguments.of("many JWT starts inside a word", repeat("xeyJ", 250_000), "xeyJxeyJ", "xeyJ"),
        Arguments.of("many JWT headers without a payload", repeat("eyJa..", 166_000), "eyJa..eyJa..", "eyJa.."),
        Arguments.of("name, spaces, equals, spaces", "password" + repeat(" ", 500_000) + "=" + repeat(" ", 500_000),
            "password ", "   "),
        Arguments.of("many names with an open quote", repeat("token=\"", 140_000), "token=\"<redacted>\"token=\"<redacted>\"",
            "token=\"<redacted>\""),
        Arguments.of("many homes", repeat("/home/alice.example", 50_000), "~~~", "~~"),
        Arguments.of("many home prefixes", repeat("/home/alice.exampleX", 50_000), "/home/alice.exampleX/home", "eX"),
        Arguments.of("many addresses sharing dots", repeat("x@a.", 250_000), "<email>@<email>", "."),
        Arguments.of("many domains without local part", repeat("@a-", 330_000), "@a-@a-", "@a-"),
        Arguments.of("many short paths", repeat("/" + repeat("a1", 16) + " ", 31_250), "/<token> /<token> ", "/<token> "),
        Arguments.of("dotted word run then at", repeat("a.", 500_000) + "@", "a.a.", ".@"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("megabytes")
  void scrubsAMegabyteOfHostileTextQuickly(String name, String input, String starts, String ends) {
    String out = assertTimeoutPreemptively(BOUND, () -> SCRUBBER.scrub(input), name);
    assertTrue(out.startsWith(starts), () -> name + " starts with " + out.substring(0, Math.min(60, out.length())));
    assertTrue(out.endsWith(ends), () -> name + " ends with " + out.substring(Math.max(0, out.length() - 60)));
  }

  /**
   * The e-mail rule of docs/privacy.md as written, \\w being a letter, mark or number of any
   * script, or _; the scrubber applies it in another way.
   */
  private static final Pattern EMAIL_AS_WRITTEN =
      Pattern.compile("[\\p{L}\\p{M}\\p{N}_.+-]+@[\\p{L}\\p{M}\\p{N}_-]+(?:\\.[\\p{L}\\p{M}\\p{N}_-]+)+");
  /** The JWT rule as the Node and Python SDKs write it. */
  private static final Pattern JWT_AS_WRITTEN = Pattern.compile("\\beyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

  @Test
  void theLinearEmailRuleGivesWhatTheWrittenPatternGives() {
    String[] parts = {"a", "b1", "\u00e9", "e\u0301", "\ud835\udc9c", "\u0660", "\u00b2", "\u2010", "_", ".", "+", "-",
        "@", "@x.io", "example", ".com", " ", "<", "x@y"};
    Random random = new Random(7);
    for (int i = 0; i < 50_000; i++) {
      String s = randomText(random, parts, 12);
      assertEquals(EMAIL_AS_WRITTEN.matcher(s).replaceAll("<email>"), Scrubber.replaceEmails(s), s);
    }
  }

  @Test
  void theLinearJwtRuleGivesWhatTheWrittenPatternGives() {
    String[] parts = {"eyJ", "e", "yJ", "a", "9", "_", "-", ".", " ", "x.y", "eyJa.b.c", "/"};
    Random random = new Random(11);
    for (int i = 0; i < 50_000; i++) {
      String s = randomText(random, parts, 12);
      assertEquals(JWT_AS_WRITTEN.matcher(s).replaceAll("<token>"), Scrubber.replaceJwts(s), s);
    }
  }

  private static String randomText(Random random, String[] parts, int maxParts) {
    StringBuilder b = new StringBuilder();
    int n = 1 + random.nextInt(maxParts);
    for (int j = 0; j < n; j++) b.append(parts[random.nextInt(parts.length)]);
    return b.toString();
  }

  private static String repeat(String s, int times) {
    StringBuilder b = new StringBuilder(s.length() * times);
    for (int i = 0; i < times; i++) b.append(s);
    return b.toString();
  }
}
