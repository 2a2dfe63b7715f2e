package sites.deco.buildsecrets.sync;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;

/**
 * The labels and annotations that make a {@code build-secrets} Secret the operator's, at one
 * upstream version: what a write from upstream sets, what {@code adopt} sets when it hands a
 * hand-made Secret over, and what {@code release} takes away. One place, so that a Secret adopted
 * by the command line carries exactly what the operator's own write would, and the operator's
 * next reconcile finds nothing to change.
 */
public final class ManagedMarks {
  private static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  private ManagedMarks() {}

  /** Both ownership labels. */
  public static Map<String, String> labels(Naming naming) {
    return naming.ownershipLabels();
  }

  /**
   * The annotations a managed Secret holding {@code data} from upstream version {@code version}
   * carries: the version annotation and a fresh salted digest of the data ({@link DataDigest}).
   */
  public static Map<String, String> annotations(Naming naming, String version, SecretData data) {
    return Map.of(naming.versionAnnotation(), version, Naming.DIGEST_ANNOTATION, DataDigest.of(data));
  }

  /** The labels of a managed Secret written over {@code existing} ones: theirs stay, ours are (re)set. */
  public static Map<String, String> labelsOver(Map<String, String> existing, Naming naming) {
    Map<String, String> merged = new HashMap<>(existing == null ? Map.of() : existing);
    merged.putAll(labels(naming));
    return merged;
  }

  /**
   * The annotations of a managed Secret written over {@code existing} ones: everything others put
   * there stays, but kubectl's last-applied copy, which holds values as someone once applied them:
   * it would keep stale values after a rotation, and a later {@code kubectl apply} would diff
   * against it and revert the operator's data. Then ours, as {@link #annotations}.
   */
  public static Map<String, String> annotationsOver(Map<String, String> existing, Naming naming, String version,
      SecretData data) {
    Map<String, String> merged = new HashMap<>(existing == null ? Map.of() : existing);
    merged.remove(LAST_APPLIED);
    merged.putAll(annotations(naming, version, data));
    return merged;
  }

  /** Every annotation key {@link #annotations} may set: what {@code release} removes. */
  public static Set<String> annotationKeys(Naming naming) {
    return Set.of(naming.versionAnnotation(), Naming.DIGEST_ANNOTATION);
  }
}
