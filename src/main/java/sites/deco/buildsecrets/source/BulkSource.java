package sites.deco.buildsecrets.source;

import java.util.Collection;
import java.util.Map;

/**
 * A backend that can also say which keys changed without reading their values, and read many keys
 * in one request. This is what makes a resync of thousands of sites cost a handful of calls.
 */
public interface BulkSource extends Source {

  /**
   * The current version id of every existing key that starts with {@code keyPrefix}. Keys
   * scheduled for deletion are absent. The answer may lag by minutes (AWS ListSecrets is eventually
   * consistent): use it to find candidates, never to confirm a change or a removal.
   */
  Map<String, String> currentVersions(String keyPrefix) throws SourceException;

  /**
   * Reads many keys directly, in as few requests as the backend allows. Every key gets an answer;
   * a failure that concerns one key only comes back as {@link Upstream.Unreachable} for that key.
   *
   * @throws SourceException when the request as a whole fails (for example access denied)
   */
  Map<String, Upstream> readAll(Collection<String> keys) throws SourceException;

  /** How many keys one read request of {@link #readAll} carries at most. */
  int batchSize();
}
