package dev.dumpcatcher;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Protocol v1 request signing (see docs/protocol.md, "Signing"). */
public final class Signer {
  /** First line of every string to sign. */
  public static final String ALGORITHM = "DUMPCATCHER1-HMAC-SHA256";

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Signer() {}

  /** Builds the nine-line string to sign; bodyEncoding null means identity. */
  public static String stringToSign(String method, String path, String productKey, String clientId,
      String counter, String timestamp, String bodyEncoding, byte[] body) {
    return ALGORITHM + '\n' + method + '\n' + path + '\n' + productKey + '\n' + clientId + '\n'
        + counter + '\n' + timestamp + '\n' + (bodyEncoding == null ? "identity" : bodyEncoding)
        + '\n' + sha256Hex(body);
  }

  /** Returns {@code v1=} followed by the lowercase hex HMAC-SHA256 of the string to sign. */
  public static String sign(String secret, String stringToSign) {
    return sign(newMac(secret), stringToSign);
  }

  /** An HMAC-SHA256 keyed with the secret's UTF-8 bytes, for one thread to reuse. */
  static Mac newMac(String secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** Signs with a keyed Mac (doFinal resets it for the next use). */
  static String sign(Mac mac, String stringToSign) {
    return "v1=" + hex(mac.doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
  }

  /** Lowercase hex SHA-256 of the bytes. */
  public static String sha256Hex(byte[] bytes) {
    return hex(sha256(bytes));
  }

  private static final ThreadLocal<MessageDigest> SHA256 = new ThreadLocal<MessageDigest>() {
    @Override
    protected MessageDigest initialValue() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("SHA-256 unavailable", e);
      }
    }
  };

  static byte[] sha256(byte[] bytes) {
    // digest() resets the instance, so each thread reuses one.
    return SHA256.get().digest(bytes);
  }

  static String hex(byte[] bytes) {
    char[] out = new char[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 15];
      out[2 * i + 1] = HEX[bytes[i] & 15];
    }
    return new String(out);
  }
}
