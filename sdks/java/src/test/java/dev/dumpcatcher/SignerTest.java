package dev.dumpcatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class SignerTest {
  private static final Path VECTORS = Paths.get("../../test/vectors/signing-v1.json");

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> vectors() throws Exception {
    Map<String, Object> file = (Map<String, Object>) Json.parse(
        new String(Files.readAllBytes(VECTORS), StandardCharsets.UTF_8));
    return (List<Map<String, Object>>) file.get("vectors");
  }

  @Test
  void theSharedVectorFileHasTheDocumentedCases() throws Exception {
    List<Map<String, Object>> v = vectors();
    assertTrue(v.size() >= 6, "expected at least 6 vectors, got " + v.size());
    boolean gzip = false;
    boolean empty = false;
    for (Map<String, Object> vec : v) {
      gzip |= "gzip".equals(vec.get("bodyEncoding"));
      empty |= "".equals(vec.get("bodyBase64"));
    }
    assertTrue(gzip && empty, "vectors include a gzip body and an empty body");
  }

  @TestFactory
  Collection<DynamicTest> signsEveryVectorFromItsBodyBytes() throws Exception {
    List<DynamicTest> tests = new ArrayList<>();
    for (final Map<String, Object> v : vectors()) {
      tests.add(DynamicTest.dynamicTest(String.valueOf(v.get("name")), () -> {
        byte[] body = Base64.getDecoder().decode((String) v.get("bodyBase64"));
        assertEquals(v.get("bodySha256"), Signer.sha256Hex(body), "body hash");
        String sts = Signer.stringToSign((String) v.get("method"), (String) v.get("path"),
            (String) v.get("productKey"), (String) v.get("clientId"), (String) v.get("counter"),
            (String) v.get("timestamp"), (String) v.get("bodyEncoding"), body);
        assertEquals(v.get("stringToSign"), sts, "string to sign");
        assertEquals(v.get("signature"), Signer.sign((String) v.get("secret"), sts), "signature");
      }));
    }
    return tests;
  }

  @Test
  void aChangedBodyChangesTheSignature() {
    String a = Signer.stringToSign("POST", "/v1/crashes", "k", "c", "1", "1", "identity", "{}".getBytes(StandardCharsets.UTF_8));
    String b = Signer.stringToSign("POST", "/v1/crashes", "k", "c", "1", "1", "identity", "{ }".getBytes(StandardCharsets.UTF_8));
    assertTrue(!Signer.sign("x", a).equals(Signer.sign("x", b)));
  }
}
