package sites.deco.buildsecrets.source;

import java.util.Map;

/**
 * A backend that can also say which keys changed without reading their values. This is what makes
 * a resync of thousands of sites cost a handful of calls (change detection {@code list}).
 */
public interface BulkSource extends Source {

  /**
   * The current version id of every existing key that starts with {@code keyPrefix}. Keys
   * scheduled for deletion are absent. The answer may lag by minutes (AWS ListSecrets is eventually
   * consistent): use it to find candidates, never to confirm a change or a removal.
   */
  Map<String, String> currentVersions(String keyPrefix) throws SourceException;
}
