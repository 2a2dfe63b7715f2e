package sites.deco.buildsecrets.source;

import java.util.Map;

/**
 * Writes to the upstream store, for the {@code adopt} command only. The operator never holds one:
 * it reads through {@link Source} and stays read-only upstream. Calls run with the credentials of
 * the person who runs the command. Every write is conditional on what was read, so a value
 * written by someone else meanwhile (a rotation) is never replaced. Nothing here logs or returns a
 * value.
 */
public interface UpstreamWriter extends AutoCloseable {

  /** The key exists already: someone created it since it was read. */
  final class KeyExists extends Exception {
    public KeyExists(String key) {
      super("upstream key " + key + " exists already");
    }
  }

  /**
   * The current version is no longer the one read: someone wrote the key meanwhile, and that
   * write stays current.
   *
   * @param current the version now current, null when unknown
   * @param leftOver what this attempt could not undo (a version still carrying a private label), in
   *     words with the command that removes it; null when nothing is left
   */
  final class ConcurrentWrite extends Exception {
    public final String current;
    public final String leftOver;

    public ConcurrentWrite(String key, String current, String leftOver) {
      super("upstream key " + key + " was written by someone else since it was read"
          + (current == null ? "" : " (version " + current + " is current now)"));
      this.current = current;
      this.leftOver = leftOver;
    }
  }

  /**
   * Creates {@code key} holding {@code json} (a JSON object of strings), tagged with {@code tags}.
   * Conditional by nature: it fails with {@link KeyExists} when the key was created meanwhile.
   *
   * @return the new version id
   */
  String create(String key, String json, Map<String, String> tags) throws SourceException, KeyExists;

  /**
   * The version that carries the current value now.
   *
   * @throws SourceException also when the key does not exist
   */
  String currentVersion(String key) throws SourceException;

  /**
   * Makes {@code json} the current value of the existing {@code key}, only if {@code readVersion}
   * is still current: otherwise nothing becomes current and {@link ConcurrentWrite} says so.
   *
   * @return the new version, and what could not be tidied up
   */
  Replaced replaceCurrent(String key, String json, String readVersion) throws SourceException, ConcurrentWrite;

  /**
   * @param version the version now current, holding {@code json}
   * @param leftOver a private label that could not be removed from it, in words with the command
   *     that removes it; null when none is left
   */
  record Replaced(String version, String leftOver) {}

  @Override
  default void close() {}
}
