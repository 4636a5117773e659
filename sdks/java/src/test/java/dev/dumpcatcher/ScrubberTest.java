package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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
        "ACCESS_KEY=1", "pwd=2", "passwd:3", "{\"token\": \"x\"}", "'secret' =y")) {
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

  // The rows of sdks/node/test/scrub.test.ts, with the same machine and secret.
  private static final Scrubber NODE_CASES = new Scrubber("S3cr3t-product-Value", "/home/alice", "alice");

  static Stream<Arguments> nodeCases() {
    return Stream.of(
        Arguments.of("home directory becomes ~", "at run (/home/alice/app/index.js:3:9)", "at run (~/app/index.js:3:9)"),
        Arguments.of("user name as a whole word", "user alice logged in", "user <user> logged in"),
        Arguments.of("user name inside a longer word is kept", "malice aforethought", "malice aforethought"),
        Arguments.of("e-mail address", "mail bob.smith+x@example.co.uk now", "mail <email> now"),
        Arguments.of("e-mail address with a very long local part", repeat("a", 100) + "@example.com", "<email>"),
        Arguments.of("an @ without a local part is kept", "see @example.com", "see @example.com"),
        Arguments.of("password=value keeps the name", "db password=hunter2 failed", "db password=<redacted> failed"),
        Arguments.of("api_key: value", "api_key: abc123", "api_key: <redacted>"),
        Arguments.of("JSON-ish \"token\": \"value\"", "{\"token\": \"abc\"}", "{\"token\": \"<redacted>\"}"),
        Arguments.of("oauth_token in a query string", "?oauth_token=zzz&x=1", "?oauth_token=<redacted>&x=1"),
        Arguments.of("Bearer token", "Authorization: Bearer abc.def-123", "Authorization: Bearer <redacted>"),
        Arguments.of("Basic token", "header Basic dXNlcjpwYXNz", "header Basic <redacted>"),
        Arguments.of("JWT", "got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here", "got <token> here"),
        Arguments.of("long secret with letters and digits", "key AKIA0123456789ABCDEFGHIJKLMNOPQRS used", "key <token> used"),
        Arguments.of("long run of letters only is kept", "abcdefghijklmnopqrstuvwxyzabcdefghij",
            "abcdefghijklmnopqrstuvwxyzabcdefghij"),
        Arguments.of("the product secret itself", "signing with S3cr3t-product-Value", "signing with <redacted>"),
        Arguments.of("an absolute file path with digits is kept",
            "at x (/srv/releases/20261122093000/dist/server/index.js:1:2)",
            "at x (/srv/releases/20261122093000/dist/server/index.js:1:2)"),
        Arguments.of("a token inside a URL path is caught", "GET /v1/keys/Zk29fh38Gh39dk20Fj39dk29Fk30dk29Fk30/info",
            "GET /v1/keys/<token>/info"),
        Arguments.of("a path that merely starts with the home directory is not home", "/home/alicex/file",
            "/home/alicex/file"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nodeCases")
  void scrubsLikeTheNodeSdk(String name, String input, String expected) {
    assertEquals(expected, NODE_CASES.scrub(input));
  }

  @Test
  void ignoresAUserNameShorterThan3CharactersLikeTheNodeSdk() {
    assertEquals("al went to al-anon", new Scrubber("x", "/home/al", "al").scrub("al went to al-anon"));
  }

  // The rows of sdks/python/tests/test_scrub.py, with the same machine and secret.
  private static final Scrubber PYTHON_CASES =
      new Scrubber("sk-test-S3cr3t-value-do-not-log", "/home/alice.example", "alicew");

  static Stream<Arguments> pythonCases() {
    return Stream.of(
        Arguments.of("home directory", "File \"/home/alice.example/app/main.py\", line 3", "File \"~/app/main.py\", line 3"),
        Arguments.of("home directory prefix of another folder", "/home/alice.example.old/x stays",
            "/home/alice.example.old/x stays"),
        Arguments.of("user name as a word", "login failed for alicew today", "login failed for <user> today"),
        Arguments.of("user name inside a word", "malicewicz is another word", "malicewicz is another word"),
        Arguments.of("e-mail address", "mail bob.smith+tag@mail.example.co.uk now", "mail <email> now"),
        Arguments.of("password assignment", "password=hunter2 and more", "password=<redacted> and more"),
        Arguments.of("quoted api key", "{\"api_key\": \"abc123\"}", "{\"api_key\": \"<redacted>\"}"),
        Arguments.of("access token colon", "access_token: 9f8e7d", "access_token: <redacted>"),
        Arguments.of("bearer token", "Authorization: Bearer abc.def-123", "Authorization: Bearer <redacted>"),
        Arguments.of("basic credentials", "Basic dXNlcjpwYXNz", "Basic <redacted>"),
        Arguments.of("the word basic in prose", "basic setup failed", "basic setup failed"),
        Arguments.of("jwt", "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end", "jwt <token> end"),
        Arguments.of("long mixed run", "key AKIA0123456789ABCDEFGHIJKLMNOPQRSTUV end", "key <token> end"),
        Arguments.of("a file path is judged per segment", "at /srv/app/releases/20261122/dist/server_build_output_2026.py",
            "at /srv/app/releases/20261122/dist/server_build_output_2026.py"),
        Arguments.of("a token inside a url path", "GET /api/v1/reset/9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZ/done",
            "GET /api/v1/reset/<token>/done"),
        Arguments.of("e-mail before the user name", "mail alicew@example.com", "mail <email>"),
        Arguments.of("long letters-only run", "only letters abcdefghijklmnopqrstuvwxyzabcdefghijkl stay",
            "only letters abcdefghijklmnopqrstuvwxyzabcdefghijkl stay"),
        Arguments.of("the product secret", "the secret sk-test-S3cr3t-value-do-not-log leaked", "the secret <redacted> leaked"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pythonCases")
  void scrubsLikeThePythonSdk(String name, String input, String expected) {
    assertEquals(expected, PYTHON_CASES.scrub(input));
  }

  private static final Scrubber SHORT_HOME = new Scrubber(null, "/home/al/", null);

  static Stream<Arguments> homeCases() {
    return Stream.of(
        Arguments.of("a longer folder name is kept", "/home/alice/x", "/home/alice/x"),
        Arguments.of("a folder with a suffix after a dot is kept", "/home/al.old/x", "/home/al.old/x"),
        Arguments.of("a folder with a suffix after a dash is kept", "/home/al-2/x", "/home/al-2/x"),
        Arguments.of("a folder with a non-ASCII letter after it is kept", "/home/al\u00e9/x", "/home/al\u00e9/x"),
        Arguments.of("followed by a separator", "open /home/al/x", "open ~/x"),
        Arguments.of("at the end", "cwd /home/al", "cwd ~"),
        Arguments.of("followed by a colon", "/home/al: no such file", "~: no such file"),
        Arguments.of("inside quotes", "'/home/al'", "'~'"),
        Arguments.of("each occurrence judged on its own", "/home/alice /home/al/y /home/al", "/home/alice ~/y ~"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("homeCases")
  void replacesTheHomeFolderOnlyWhereNoFileNameGoesOn(String name, String input, String expected) {
    assertEquals(expected, SHORT_HOME.scrub(input));
  }

  @Test
  void replacesAWindowsHomeFolderFollowedByABackslash() {
    Scrubber windows = new Scrubber(null, "C:\\Users\\al\\", null);
    assertEquals("at ~\\app\\Main.java and C:\\Users\\alice\\x",
        windows.scrub("at C:\\Users\\al\\app\\Main.java and C:\\Users\\alice\\x"));
  }

  @Test
  void treatsAHomeOfOnlySlashesAsNoHome() {
    assertEquals("/x/y", new Scrubber(null, "//", null).scrub("/x/y"));
  }

  @Test
  void judgesEachSegmentOfAnAbsolutePath() {
    String frame = "\tat app//dev.example.Main.run(/srv/app/releases/20261122093000a/build/libs/app-1.0.0.jar)";
    assertEquals(frame, scrubber.scrub(frame));
    String deep = "/opt/build/2f9c1e0b7d6a4e3f8a1b2c3d4e5f6a7b8c9d0e1f/out";
    assertEquals("/opt/build/<token>/out", scrubber.scrub(deep));
    assertEquals("https://<token>/v1", scrubber.scrub("https://Zk29fh38Gh39dk20Fj39dk29Fk30dk29Fk30/v1"));
    assertEquals("see <token>", scrubber.scrub("see Zk29fh38Gh39dk20Fj39dk29Fk30dk29Fk30/x"),
        "a run that does not start with / is judged whole");
  }

  @Test
  void replacesAnEmailWithANonAsciiLocalPart() {
    assertEquals("from <email>", scrubber.scrub("from jos\u00e9@example.com"));
    assertEquals("from <email>", scrubber.scrub("from jose\u0301@example.com"), "with a combining accent");
  }

  @Test
  void keepsTheQuotesOfAQuotedValue() {
    assertEquals("password='<redacted>' token=\"<redacted>\" Config(pwd=<redacted>)",
        scrubber.scrub("password='a b' token=\"c\" Config(pwd=d)"));
  }

  @Test
  void replacesTheValueAfterAnEmailWasScrubbedInIt() {
    assertEquals("password=<redacted> x", scrubber.scrub("password=jdoe@example.com x"));
  }

  @Test
  void scrubsTheKeysOfNestedExtra() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("token=abc", true);
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("bob@example.com", 1);
    extra.put("/home/jdoe/.cache", Arrays.asList(inner));
    Map<String, Object> expectedInner = new LinkedHashMap<>();
    expectedInner.put("token=<redacted>", true);
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("<email>", 1);
    expected.put("~/.cache", Arrays.asList(expectedInner));
    assertEquals(expected, scrubber.scrubDeep(extra));
  }

  @Test
  void keepsEveryValueWhenKeysScrubAlikeNumberingTheLaterOnes() {
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("a@x.io", 1);
    extra.put("b@x.io", 2);
    extra.put("<email>", 3);
    extra.put("c@x.io", 4);
    @SuppressWarnings("unchecked")
    Map<String, Object> out = (Map<String, Object>) scrubber.scrubDeep(extra);
    assertEquals(Arrays.asList("<email>", "<email>#2", "<email>#3", "<email>#4"), Arrays.asList(out.keySet().toArray()));
    assertEquals(Arrays.asList(1, 2, 3, 4), Arrays.asList(out.values().toArray()));
  }

  @Test
  void skipsANumberThatAKeyAlreadyHolds() {
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("<email>#2", "kept");
    extra.put("a@x.io", 1);
    extra.put("b@x.io", 2);
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("<email>#2", "kept");
    expected.put("<email>", 1);
    expected.put("<email>#3", 2);
    assertEquals(expected, scrubber.scrubDeep(extra));
  }

  @Test
  void numbersManyKeysThatScrubAlikeInLinearTime() {
    Map<String, Object> extra = new LinkedHashMap<>();
    for (int i = 0; i < 50_000; i++) extra.put("user" + i + "@example.com", i);
    @SuppressWarnings("unchecked")
    Map<String, Object> out = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
        java.time.Duration.ofSeconds(5), () -> (Map<String, Object>) scrubber.scrubDeep(extra));
    assertEquals(50_000, out.size());
    assertEquals(0, out.get("<email>"));
    assertEquals(49_999, out.get("<email>#50000"));
  }

  // The rows of the name=value tables in sdks/node/test/scrub.test.ts and sdks/python/tests/test_scrub.py.
  static Stream<Arguments> nameValueCases() {
    return Stream.of(
        Arguments.of("a bare value stops at ) ] }", "Config(pwd=d) [token=x] {auth=y}",
            "Config(pwd=<redacted>) [token=<redacted>] {auth=<redacted>}"),
        Arguments.of("quoted values keep their quotes", "password='a b' token=\"c\"",
            "password='<redacted>' token=\"<redacted>\""),
        Arguments.of("a value already starting with <redacted> is redacted whole", "token=<redacted>tail",
            "token=<redacted>"),
        Arguments.of("a bare value stops at , ; &", "password=a,b;c&d", "password=<redacted>,b;c&d"),
        Arguments.of("names in any ASCII case, with or without _ or -", "APIKEY : v1 Access-Key=v2",
            "APIKEY : <redacted> Access-Key=<redacted>"),
        Arguments.of("only the listed names, not look-alikes", "pass tassword=x suth=y", "pass tassword=x suth=y"),
        Arguments.of("no Unicode case folding of the names", "secret \u017fecret=x", "secret \u017fecret=x"),
        Arguments.of("only ASCII white space ends a bare value", "token=a\u00a0b", "token=<redacted>"),
        Arguments.of("only ASCII white space may stand before the =", "token\u00a0=x", "token\u00a0=x"),
        Arguments.of("no value, nothing to redact", "password= ", "password= "),
        Arguments.of("an unterminated quote is no value", "token=\"unterminated", "token=\"unterminated"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nameValueCases")
  void appliesTheNameValueRuleLikeTheOtherSdks(String name, String input, String expected) {
    assertEquals(expected, PYTHON_CASES.scrub(input));
  }

  private static String repeat(String s, int times) {
    StringBuilder b = new StringBuilder(s.length() * times);
    for (int i = 0; i < times; i++) b.append(s);
    return b.toString();
  }
}
