package sites.deco.buildsecrets.sync;

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

  /** Every annotation key {@link #annotations} may set: what {@code release} removes. */
  public static Set<String> annotationKeys(Naming naming) {
    return Set.of(naming.versionAnnotation(), Naming.DIGEST_ANNOTATION);
  }
}
