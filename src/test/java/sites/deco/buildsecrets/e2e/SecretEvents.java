package sites.deco.buildsecrets.e2e;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Every ADDED, MODIFIED and DELETED event of the {@code build-secrets} Secrets in namespaces with
 * one prefix, counted per namespace from one watch (started at "now", so earlier history is not
 * replayed). A watch that ends with an error makes every later read fail: a count that may have
 * missed events is never trusted.
 */
final class SecretEvents implements AutoCloseable {
  private final Map<String, Map<Watcher.Action, AtomicInteger>> counts = new ConcurrentHashMap<>();
  private final AtomicReference<WatcherException> failure = new AtomicReference<>();
  private final Watch watch;

  SecretEvents(KubernetesClient kube, String namespacePrefix, String secretName) {
    // The current resourceVersion, so only what happens from now on is counted.
    String rv = kube.secrets().inAnyNamespace().withField("metadata.name", secretName)
        .list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build())
        .getMetadata().getResourceVersion();
    watch = kube.secrets().inAnyNamespace().withField("metadata.name", secretName)
        .watch(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withResourceVersion(rv).build(),
            new Watcher<Secret>() {
              @Override
              public void eventReceived(Action action, Secret s) {
                String ns = s.getMetadata().getNamespace();
                if (ns.startsWith(namespacePrefix)) {
                  counts.computeIfAbsent(ns, k -> new ConcurrentHashMap<>())
                      .computeIfAbsent(action, k -> new AtomicInteger()).incrementAndGet();
                }
              }

              @Override
              public void onClose(WatcherException cause) {
                failure.set(cause);
              }
            });
  }

  int count(String namespace, Watcher.Action action) {
    check();
    Map<Watcher.Action, AtomicInteger> m = counts.get(namespace);
    AtomicInteger n = m == null ? null : m.get(action);
    return n == null ? 0 : n.get();
  }

  int total(Watcher.Action action) {
    check();
    return counts.values().stream().mapToInt(m -> m.getOrDefault(action, new AtomicInteger()).get()).sum();
  }

  private void check() {
    if (failure.get() != null) {
      throw new IllegalStateException("the Secret watch failed, counts are incomplete", failure.get());
    }
  }

  @Override
  public void close() {
    watch.close();
  }
}
