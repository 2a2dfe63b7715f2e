package sites.deco.buildsecrets.sync;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import java.util.TreeSet;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;

/** The {@code build-secrets} Secret as found in a namespace. */
public sealed interface LocalSecret {

  /** No Secret of that name. */
  record Absent() implements LocalSecret {}

  /**
   * A Secret carrying both ownership labels: ours to update or delete. It holds no value: what its
   * data was when it was read is {@code observed} (see {@link LeanSecret}).
   */
  record Managed(Secret secret, DataDigest.Observed observed, String version) implements LocalSecret {
    public String uid() {
      return secret.getMetadata().getUid();
    }

    public String resourceVersion() {
      return secret.getMetadata().getResourceVersion();
    }

    /** Its digest annotation matches its data as read: nobody edited it since we wrote it (or they forged the annotation). */
    public boolean digestCurrent() {
      return observed.annotationCurrent();
    }

    /** Whether its data, as read, is exactly {@code data}: decided from the digest computed when it was read. */
    public boolean holds(SecretData data) {
      return observed.sameData(data);
    }

    public TreeSet<String> keys() {
      return observed.keySet();
    }

    @Override
    public String toString() { // never print the Secret: a live read's toString() holds the data
      return "Managed[version=" + version + ", keys=" + keys() + ", digestCurrent=" + digestCurrent() + "]";
    }
  }

  /** A Secret of that name without both labels: made by a person, never touched. */
  record Unowned(String resourceVersion) implements LocalSecret {}

  LocalSecret ABSENT = new Absent();

  static LocalSecret of(Secret secret, Naming naming) {
    if (secret == null) {
      return ABSENT;
    }
    if (!naming.isOwned(secret.getMetadata().getLabels())) {
      return new Unowned(secret.getMetadata().getResourceVersion());
    }
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    String version = annotations == null ? null : annotations.get(naming.versionAnnotation());
    // From the cache: observed as it arrived. A live read (the command line, a re-read after a
    // conflict): observed now, and its values are not kept either.
    Secret lean = LeanSecret.of(secret);
    return new Managed(lean, ((LeanSecret) lean).observed(), version);
  }
}
