package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.function.UnaryOperator;
import sites.deco.buildsecrets.sync.LeanSecret;

/**
 * An informer cache that keeps only what the operator reads. It drops {@code metadata.managedFields}
 * from everything: the operator never reads them, and with 10,000 namespaces they are a large
 * share of what the caches hold (the same reason controller-runtime offers
 * TransformStripManagedFields). Updates stay safe: a PUT without managedFields leaves the server's
 * record of field managers as it was.
 *
 * <p>Secrets keep no data at all ({@link LeanSecret}): their keys and a salted digest of their
 * data, computed as each object enters the cache, decide every plan.
 */
final class LeanItemStore<T extends HasMetadata> extends BasicItemStore<T> {
  private final UnaryOperator<T> trim;

  private LeanItemStore(UnaryOperator<T> trim) {
    super(Cache::metaNamespaceKeyFunc);
    this.trim = trim;
  }

  /**
   * Secrets lose their values: what stays is the metadata (marks and resourceVersion, which a
   * rewrite carries), the type, and what the data was as it arrived ({@link LeanSecret}).
   */
  static LeanItemStore<Secret> forSecrets() {
    return new LeanItemStore<>(LeanSecret::of);
  }

  /**
   * Namespaces also lose their spec (finalizers) and status (phase): a site is read from the name,
   * annotations and deletion timestamp only, and the operator never writes a Namespace.
   */
  static LeanItemStore<Namespace> forNamespaces() {
    return new LeanItemStore<>(namespace -> {
      namespace.setSpec(null);
      namespace.setStatus(null);
      return namespace;
    });
  }

  @Override
  public T put(String key, T obj) {
    obj.getMetadata().setManagedFields(null);
    return super.put(key, trim.apply(obj));
  }
}
