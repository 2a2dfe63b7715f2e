package sites.deco.buildsecrets.source;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * One upstream backend. It answers one question: what does this key hold now? Implementations read
 * directly (never from a cache) and are thread-safe. Adding a backend is one new implementation;
 * a backend that can read many keys in one request overrides {@link #readAll} and {@link #batchSize}.
 */
public interface Source extends AutoCloseable {

  /**
   * Reads one key.
   *
   * @return {@link Upstream.Found}, {@link Upstream.Missing} or {@link Upstream.Invalid}
   * @throws SourceException when the backend could not answer
   */
  Upstream read(String key) throws SourceException;

  /**
   * Reads many keys directly, in as few requests as the backend allows (one per key unless it
   * overrides this). Every key gets an answer; a failure that concerns one key only comes back as
   * {@link Upstream.Unreachable} for that key.
   *
   * @throws SourceException when a request as a whole fails (for example a batch read denied)
   */
  default Map<String, Upstream> readAll(Collection<String> keys) throws SourceException {
    Map<String, Upstream> answers = new HashMap<>();
    for (String key : new LinkedHashSet<>(keys)) {
      answers.put(key, readOrUnreachable(key));
    }
    return answers;
  }

  /**
   * The one way to read many keys and never fail: {@link #readAll}, then each key the batch could
   * not answer (the request failed, or the key came back unreachable) read again alone.
   */
  default Map<String, Upstream> readEach(Collection<String> keys) {
    Map<String, Upstream> answers = new HashMap<>();
    if (batchSize() > 1 && keys.size() > 1) {
      try {
        answers.putAll(readAll(keys));
      } catch (SourceException e) {
        // each key is read alone below: nothing is worse than without batching
      }
    }
    for (String key : keys) {
      Upstream answer = answers.get(key);
      if (answer == null || answer instanceof Upstream.Unreachable) {
        answers.put(key, readOrUnreachable(key));
      }
    }
    return answers;
  }

  /** {@link #read}, its failure as an answer. */
  default Upstream readOrUnreachable(String key) {
    try {
      return read(key);
    } catch (SourceException e) {
      return new Upstream.Unreachable(e.kind(), e.detail());
    }
  }

  /** How many keys one request of {@link #readAll} carries at most; 1 when the backend reads one at a time. */
  default int batchSize() {
    return 1;
  }

  /** A short name for logs and metrics. */
  String name();

  @Override
  default void close() {}
}
