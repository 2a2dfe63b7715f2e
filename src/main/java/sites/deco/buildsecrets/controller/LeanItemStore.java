package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * An informer cache that drops {@code metadata.managedFields}. The operator never reads them, and
 * with 10,000 namespaces they are a large share of what the Namespace and Secret caches hold (the
 * same reason controller-runtime offers TransformStripManagedFields). Updates stay safe: a PUT
 * without managedFields leaves the server's record of field managers as it was.
 */
final class LeanItemStore<T extends HasMetadata> extends BasicItemStore<T> {
  LeanItemStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public T put(String key, T obj) {
    obj.getMetadata().setManagedFields(null);
    return super.put(key, obj);
  }
}
