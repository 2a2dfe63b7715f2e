package sites.deco.buildsecrets.source;

import java.util.Map;

/**
 * Writes to the upstream store, for the {@code adopt} command only. The operator never holds one:
 * it reads through {@link Source} and stays read-only upstream. Calls run with the credentials of
 * the person who runs the command. Nothing here logs or returns a value.
 */
public interface UpstreamWriter extends AutoCloseable {

  /** The key exists already: someone created it since it was read. */
  final class KeyExists extends Exception {
    public KeyExists(String key) {
      super("upstream key " + key + " exists already");
    }
  }

  /**
   * Creates {@code key} holding {@code json} (a JSON object of strings), tagged with {@code tags}.
   *
   * @return the new version id
   */
  String create(String key, String json, Map<String, String> tags) throws SourceException, KeyExists;

  /**
   * Stores {@code json} as a new current version of an existing {@code key}.
   *
   * @return the new version id
   */
  String putValue(String key, String json) throws SourceException;

  @Override
  default void close() {}
}
