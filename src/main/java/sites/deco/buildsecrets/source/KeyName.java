package sites.deco.buildsecrets.source;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How Events, logs and CLI output name one member of a payload. A valid key is a variable name and
 * is shown. Any other text may be a value pasted where a key belongs (a connection string, a
 * token), so it is never shown, not even in part: the member is named by its position, its length
 * and a short hash, which is enough for its owner to find it.
 *
 * <p>The hash is the first 8 hex digits (32 bits) of an unsalted SHA-256 of the key's UTF-8
 * bytes, so the owner can check a candidate ({@code printf %s "$KEY" | sha256sum}). Nothing can be
 * read back from it: text with more than 32 bits of entropy shares those digits with many other
 * texts of its length, so even an exhaustive search cannot single it out. Text with less is
 * guessable whatever is logged, and a salt would only take the owner's check away.
 *
 * @param position 1 for the payload's first member
 * @param name the key when it is a valid Secret data key, else null
 * @param length the key's length in characters, as JSON decodes it
 * @param hash the short hash of a key that is not valid, else null
 */
public record KeyName(int position, String name, int length, String hash) {

  public static KeyName of(String key, int position) {
    return PayloadParser.isValidKey(key)
        ? new KeyName(position, key, key.length(), null)
        : new KeyName(position, null, key.length(), shortHash(key));
  }

  static String shortHash(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JRE has SHA-256", e);
    }
  }

  /** {@code "DATABASE_URL"}, or {@code #2 (29 characters, sha256 1a2b3c4d)} for a key that is not valid. */
  @Override
  public String toString() {
    return name != null ? Printable.quote(name)
        : "#" + position + " (" + length + (length == 1 ? " character" : " characters") + ", sha256 " + hash + ")";
  }
}
