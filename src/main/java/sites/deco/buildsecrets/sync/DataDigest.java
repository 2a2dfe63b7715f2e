package sites.deco.buildsecrets.sync;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import sites.deco.buildsecrets.source.SecretData;

/**
 * A salted digest over a Secret's whole data map, written beside the version annotation. It lets
 * the sweep tell that a Secret was edited while no operator was watching without reading upstream.
 * The salt is random per write, so equal data never gives equal annotations and precomputed
 * tables are useless. It is not a secret: whoever sees annotations but not data (a GitOps diff
 * view that masks data) could still test guesses offline, so a map that is all guessable values
 * (say one key holding "true") is guessable from it; any map with one real token in it is not.
 * Anyone allowed to read the Secret reads the data anyway. Form: {@code v1:<salt>:<sha256>}, both base64.
 */
public final class DataDigest {
  private static final String VERSION = "v1";
  private static final SecureRandom RANDOM = new SecureRandom();

  private DataDigest() {}

  /** A fresh digest of {@code data} with a new salt. */
  public static String of(SecretData data) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return VERSION + ":" + b64.encodeToString(salt) + ":" + b64.encodeToString(hash(salt, data));
  }

  /** Whether {@code annotation} is a digest of exactly {@code data}; false when absent or malformed. */
  public static boolean matches(String annotation, SecretData data) {
    if (annotation == null) {
      return false;
    }
    String[] parts = annotation.split(":", -1);
    if (parts.length != 3 || !parts[0].equals(VERSION)) {
      return false;
    }
    try {
      Base64.Decoder b64 = Base64.getDecoder();
      return MessageDigest.isEqual(b64.decode(parts[2]), hash(b64.decode(parts[1]), data));
    } catch (IllegalArgumentException malformed) {
      return false;
    }
  }

  /** SHA-256 over salt, then each key and base64 value, length-prefixed, in key order. */
  private static byte[] hash(byte[] salt, SecretData data) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(salt);
      for (Map.Entry<String, String> e : data.base64().entrySet()) { // sorted: SecretData keeps a TreeMap
        update(sha, e.getKey());
        update(sha, e.getValue());
      }
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static void update(MessageDigest sha, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    sha.update(bytes);
  }
}
