package sites.deco.buildsecrets.sync;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;

/** The {@code build-secrets} Secret as found in a namespace. */
public sealed interface LocalSecret {

  /** No Secret of that name. */
  record Absent() implements LocalSecret {}

  /**
   * A Secret carrying both ownership labels: ours to update or delete.
   *
   * @param digestCurrent its digest annotation matches its data: nobody edited it since we wrote it
   */
  record Managed(Secret secret, SecretData data, String version, boolean digestCurrent) implements LocalSecret {
    public String uid() {
      return secret.getMetadata().getUid();
    }

    public String resourceVersion() {
      return secret.getMetadata().getResourceVersion();
    }

    @Override
    public String toString() { // never print the Secret: its toString() holds the data
      return "Managed[version=" + version + ", keys=" + data.keys() + ", digestCurrent=" + digestCurrent + "]";
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
    String digest = annotations == null ? null : annotations.get(Naming.DIGEST_ANNOTATION);
    SecretData data = SecretData.fromBase64(secret.getData());
    return new Managed(secret, data, version, DataDigest.matches(digest, data));
  }
}
