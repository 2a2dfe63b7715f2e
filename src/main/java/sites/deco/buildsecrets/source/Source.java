package sites.deco.buildsecrets.source;

/**
 * One upstream backend. It answers one question: what does this key hold now? Implementations read
 * directly (never from a cache) and are thread-safe. Adding a backend is one new implementation.
 */
public interface Source extends AutoCloseable {

  /**
   * Reads one key.
   *
   * @return {@link Upstream.Found}, {@link Upstream.Missing} or {@link Upstream.Invalid}
   * @throws SourceException when the backend could not answer
   */
  Upstream read(String key) throws SourceException;

  /** A short name for logs and metrics. */
  String name();

  @Override
  default void close() {}
}
