package sites.deco.buildsecrets.source;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Secret data in the form the Kubernetes API stores it: key to base64 value. Its {@link #toString()}
 * names keys only, so it is safe wherever an object may end up in a log line or exception.
 */
public final class SecretData {
  private static final SecretData EMPTY = new SecretData(Map.of());
  private final Map<String, String> base64ByKey;

  private SecretData(Map<String, String> base64ByKey) {
    this.base64ByKey = Collections.unmodifiableMap(new TreeMap<>(base64ByKey));
  }

  /** From plain string values (UTF-8 encoded on the wire). */
  public static SecretData fromStrings(Map<String, String> plain) {
    Map<String, String> encoded = new TreeMap<>();
    Base64.Encoder enc = Base64.getEncoder();
    plain.forEach((k, v) -> encoded.put(k, enc.encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretData(encoded);
  }

  /** From a Secret's {@code data} map; null means empty. */
  public static SecretData fromBase64(Map<String, String> data) {
    return data == null || data.isEmpty() ? EMPTY : new SecretData(data);
  }

  public Map<String, String> base64() {
    return base64ByKey;
  }

  public TreeSet<String> keys() {
    return new TreeSet<>(base64ByKey.keySet());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretData other && base64ByKey.equals(other.base64ByKey);
  }

  @Override
  public int hashCode() {
    return Objects.hash(base64ByKey);
  }

  @Override
  public String toString() {
    return "SecretData" + base64ByKey.keySet();
  }
}
