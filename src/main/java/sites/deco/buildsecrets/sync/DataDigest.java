package sites.deco.buildsecrets.sync;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.TreeSet;
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

  /**
   * What a Secret's data was when it was seen, without the data: its keys, a salted digest of the
   * whole map and a short salted digest per value. The salt is the one in the Secret's own digest
   * annotation when that parses (so {@link #annotationCurrent} says whether the annotation is a
   * digest of the data as it arrived), else a fresh random one. The informer cache keeps this
   * instead of the values; every comparison with upstream uses it, never the annotation, so an edit
   * that also rewrote the annotation still differs from upstream.
   *
   * @param keys the data's keys, sorted
   * @param keyHashes for each key in order, a salted 64-bit hash of key and value: enough to name
   *     which keys a change touches; decisions use {@code hash}
   */
  public record Observed(byte[] salt, byte[] hash, boolean annotationCurrent, String[] keys, long[] keyHashes) {

    /** Whether {@code data} is exactly the data observed. */
    public boolean sameData(SecretData data) {
      return MessageDigest.isEqual(hash, DataDigest.hash(salt, data));
    }

    public TreeSet<String> keySet() {
      return new TreeSet<>(Arrays.asList(keys));
    }

    /** Whether the observed data has a key {@code data} lacks. */
    public boolean hasKeyOutside(SecretData data) {
      for (String k : keys) {
        if (!data.base64().containsKey(k)) {
          return true;
        }
      }
      return false;
    }

    /** The short digest of {@code key}'s value as observed; null when it had no such key. */
    Long keyHash(String key) {
      int i = Arrays.binarySearch(keys, key);
      return i < 0 ? null : keyHashes[i];
    }

    /** Whether {@code base64Value} under {@code key} differs from the observed value (given the key was there). */
    boolean valueChanged(String key, String base64Value) {
      Long was = keyHash(key);
      return was != null && was != DataDigest.keyHash(salt, key, base64Value);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Observed other && Arrays.equals(salt, other.salt) && Arrays.equals(hash, other.hash)
          && annotationCurrent == other.annotationCurrent && Arrays.equals(keys, other.keys)
          && Arrays.equals(keyHashes, other.keyHashes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(hash);
    }

    @Override
    public String toString() { // keys only, never a digest: it is no secret, but nothing needs it printed
      return "Observed" + Arrays.toString(keys) + (annotationCurrent ? "" : "(annotation not current)");
    }
  }

  /** Observes {@code data} as it is now, with the salt of {@code annotation} when it has a valid one. */
  public static Observed observe(String annotation, SecretData data) {
    byte[] salt = null;
    byte[] claimed = null;
    String[] parts = annotation == null ? new String[0] : annotation.split(":", -1);
    if (parts.length == 3 && parts[0].equals(VERSION)) {
      try {
        Base64.Decoder b64 = Base64.getDecoder();
        salt = b64.decode(parts[1]);
        claimed = b64.decode(parts[2]);
      } catch (IllegalArgumentException malformed) {
        salt = null;
        claimed = null;
      }
    }
    if (salt == null) {
      salt = new byte[16];
      RANDOM.nextBytes(salt);
    }
    byte[] hash = hash(salt, data);
    boolean current = claimed != null && MessageDigest.isEqual(claimed, hash);
    String[] keys = new String[data.base64().size()];
    long[] keyHashes = new long[keys.length];
    int i = 0;
    for (Map.Entry<String, String> e : data.base64().entrySet()) { // sorted
      keys[i] = e.getKey().intern(); // the same few names in every namespace
      keyHashes[i] = keyHash(salt, e.getKey(), e.getValue());
      i++;
    }
    return new Observed(salt, hash, current, keys, keyHashes);
  }

  /**
   * A salted 64-bit FNV-1a over key and value: it only names which keys a change touches in a
   * message (every decision uses the SHA-256 {@code hash}), so it need not be cryptographic, and a
   * second SHA-256 pass over every value as it arrives would double what observing costs (the
   * runtime compiles with C1 only, which has no SHA intrinsics: ~100 µs per 4 KB Secret).
   */
  private static long keyHash(byte[] salt, String key, String base64Value) {
    long h = 0xcbf29ce484222325L;
    for (byte b : salt) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h = fnv(fnv(h, key), base64Value);
    return h;
  }

  private static long fnv(long h, String s) {
    h = (h ^ s.length()) * 0x100000001b3L; // length-prefixed, as in the SHA-256 digest
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * 0x100000001b3L;
    }
    return h;
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
