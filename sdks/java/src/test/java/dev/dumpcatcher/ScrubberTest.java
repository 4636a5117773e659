package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScrubberTest {
  private final Scrubber scrubber = new Scrubber("Sup3r-Secret-Value", "/home/jdoe", "jdoe");

  @Test
  void replacesTheHomeDirectoryWithATilde() {
    assertEquals("open ~/projects/app/config.yml failed", scrubber.scrub("open /home/jdoe/projects/app/config.yml failed"));
  }

  @Test
  void replacesTheUserNameAsAWholeWordOnly() {
    assertEquals("user <user> logged in; jdoes stays", scrubber.scrub("user jdoe logged in; jdoes stays"));
  }

  @Test
  void leavesShortUserNamesAlone() {
    assertEquals("bo is here", new Scrubber(null, null, "bo").scrub("bo is here"));
  }

  @Test
  void replacesEmailAddresses() {
    assertEquals("contact <email> or <email>", scrubber.scrub("contact alice.smith+tag@example.co.uk or bob@mail-host.org"));
  }

  @Test
  void redactsValuesAfterSecretLookingNames() {
    assertEquals("password=<redacted> api_key: <redacted> ACCESS-KEY=<redacted>&x=1 Token=<redacted>",
        scrubber.scrub("password=hunter2 api_key: abc ACCESS-KEY=zzz&x=1 Token=t0k"));
  }

  @Test
  void redactsBearerAndBasicCredentials() {
    assertEquals("Authorization: Bearer <redacted>, Basic <redacted>",
        scrubber.scrub("Authorization: Bearer abc.def-123, Basic dXNlcjpwYXNz"));
  }

  @Test
  void replacesJwtLikeTokens() {
    assertEquals("jwt <token> end", scrubber.scrub("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-x end"));
  }

  @Test
  void replacesLongRunsWithLettersAndDigitsButNotPlainWords() {
    assertEquals("key <token> ok", scrubber.scrub("key AKIAIOSFODNN7EXAMPLEaaaaaaaaaaaaaaaa12 ok"));
    String letters = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop";
    assertEquals(letters, scrubber.scrub(letters));
  }

  @Test
  void replacesTheProductSecretWherever() {
    assertEquals("x<redacted>y", scrubber.scrub("xSup3r-Secret-Valuey"));
  }

  @Test
  void scrubsEveryStringInNestedExtra() {
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("path", "/home/jdoe/x");
    extra.put("list", Arrays.asList("mail me@x.io", 3, true));
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("auth", "pwd=swordfish");
    extra.put("inner", inner);
    @SuppressWarnings("unchecked")
    Map<String, Object> out = (Map<String, Object>) scrubber.scrubDeep(extra);
    assertEquals("~/x", out.get("path"));
    assertEquals(Arrays.asList("mail <email>", 3, true), out.get("list"));
    assertEquals("pwd=<redacted>", ((Map<?, ?>) out.get("inner")).get("auth"));
    assertEquals("/home/jdoe/x", extra.get("path"), "the app's map is not changed");
  }

  @Test
  void scrubsAReportBeforeItIsQueued() throws Exception {
    String home = System.getProperty("user.home");
    String user = System.getProperty("user.name");
    Scrubber real = Scrubber.forProcess("the-secret-1");
    String out = real.scrub("at " + home + "/app user " + user + " x@y.com the-secret-1");
    assertFalse(out.contains(home + "/app"), out);
    assertTrue(out.contains("~/app"), out);
    assertTrue(out.contains("<email>"), out);
    assertFalse(out.contains("the-secret-1"), out);
    if (user.length() >= 3) assertTrue(out.contains(" <user> "), out);
  }

  @Test
  void keepsOrdinaryJavaStackFramesReadable() {
    List<String> frames = Arrays.asList(
        "\tat com.example.shop.CheckoutService.placeOrder(CheckoutService.java:42)",
        "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)");
    for (String f : frames) assertEquals(f, scrubber.scrub(f));
  }

  @Test
  void theKeyValuePreCheckLetsThroughEverythingThePatternWouldMatch() {
    for (String yes : Arrays.asList("PASSWORD :x", "mytoken=abc", "api-key\t= v", "Auth:x", "x secret\n:\n'q'",
        "ACCESS_KEY=1", "pwd=2", "passwd:3")) {
      assertTrue(Scrubber.KEY_VALUE.matcher(yes).find(), yes);
      assertTrue(Scrubber.mayHaveKeyValue(yes), yes);
    }
    java.util.Random random = new java.util.Random(42);
    String[] parts = {"pass", "word", "wd", "p", "secret", "TOKEN", "api", "_", "-", "key", "auth", " ", "\t", "\n",
        "=", ":", "x", "java", "'", "\"", "Key", "SeCrEt"};
    for (int i = 0; i < 20000; i++) {
      StringBuilder b = new StringBuilder();
      int n = 1 + random.nextInt(8);
      for (int j = 0; j < n; j++) b.append(parts[random.nextInt(parts.length)]);
      String s = b.toString();
      if (Scrubber.KEY_VALUE.matcher(s).find()) assertTrue(Scrubber.mayHaveKeyValue(s), s);
    }
    assertFalse(Scrubber.mayHaveKeyValue("\tat com.example.Foo.bar(Foo.java:42)"));
  }
}
