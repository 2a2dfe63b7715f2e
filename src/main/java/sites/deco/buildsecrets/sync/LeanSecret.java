package sites.deco.buildsecrets.sync;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;

/**
 * A Secret as the informer cache keeps it: metadata, type and immutability, but no data. In its
 * place, what the data was when the object entered the cache ({@link DataDigest.Observed}: the
 * keys and a digest salted with the salt of the Secret's own digest annotation). Every decision
 * that compares data uses that observation, so the cache needs no value, and an edit that also
 * rewrote the digest annotation is still found: the digest is computed from the data as it arrived.
 *
 * <p>A write built from it ({@code new SecretBuilder(lean)}) carries its metadata, resourceVersion
 * included, and must set the data itself; the observation is not a bean property, so neither a
 * builder nor a serializer ever sees it.
 */
public final class LeanSecret extends Secret {
  private final transient DataDigest.Observed observed;

  private LeanSecret(Secret from, DataDigest.Observed observed) {
    setApiVersion(from.getApiVersion());
    setKind(from.getKind());
    setMetadata(from.getMetadata());
    setType(from.getType());
    setImmutable(from.getImmutable());
    setData(null); // the model starts with empty maps: not even those are kept
    setStringData(null);
    from.getAdditionalProperties().forEach(this::setAdditionalProperty);
    this.observed = observed;
  }

  /** {@code secret} without its data, observed now; null stays null, and a lean Secret is returned as is. */
  public static Secret of(Secret secret) {
    if (secret == null || secret instanceof LeanSecret) {
      return secret;
    }
    Map<String, String> annotations = secret.getMetadata() == null ? null : secret.getMetadata().getAnnotations();
    String digest = annotations == null ? null : annotations.get(Naming.DIGEST_ANNOTATION);
    return new LeanSecret(secret, DataDigest.observe(digest, SecretData.fromBase64(secret.getData())));
  }

  /** The data as it was when this object was made. */
  public DataDigest.Observed observed() {
    return observed;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LeanSecret other && super.equals(other) && observed.equals(other.observed);
  }

  @Override
  public int hashCode() {
    return super.hashCode();
  }

  @Override
  public String toString() {
    return "LeanSecret[" + (getMetadata() == null ? "" : getMetadata().getNamespace() + "/" + getMetadata().getName())
        + ", keys " + observed.keySet() + "]";
  }
}
