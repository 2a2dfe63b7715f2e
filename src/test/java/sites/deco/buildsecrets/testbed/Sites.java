package sites.deco.buildsecrets.testbed;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import sites.deco.buildsecrets.config.Naming;

/**
 * Test vocabulary: a fresh site per test, its namespace, its upstream key and its Secret. Each
 * test class gets its own namespace prefix and key template, so operators started by different
 * classes against the shared test bed never see each other's fleet.
 */
public final class Sites {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  public final Naming naming;
  private final KubernetesClient kube;
  private final SecretsManagerClient sm;

  public Sites(TestBed bed, Naming naming) {
    this.kube = bed.admin();
    this.sm = bed.secretsManager();
    this.naming = naming;
  }

  /** Default names, except a namespace prefix and key template owned by one test class. */
  public static Naming isolated(String scope) {
    Naming d = Naming.DEFAULTS;
    return new Naming(scope + "-sites-", scope + "/sites/{site}/build", d.secretName(), d.managedAnnotation(),
        d.syncAnnotation(), d.versionAnnotation(), d.managedByLabel(), d.featureLabel());
  }

  /** A site name no other test (or earlier run against the same test bed) uses. */
  public static String fresh(String hint) {
    return hint + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36) + COUNTER.incrementAndGet();
  }

  public String ns(String site) {
    return naming.namespacePrefix() + site;
  }

  public String key(String site) {
    return naming.upstreamKey(site);
  }

  public String putUpstream(String site, String json) {
    try {
      return sm.putSecretValue(r -> r.secretId(key(site)).secretString(json)).versionId();
    } catch (software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException e) {
      return sm.createSecret(r -> r.name(key(site)).secretString(json)).versionId();
    }
  }

  /** The version AWSCURRENT is on. */
  public String currentVersion(String site) {
    return sm.getSecretValue(r -> r.secretId(key(site))).versionId();
  }

  /** Every version the key holds (labelled or not) and its staging labels. */
  public Map<String, List<String>> versionStages(String site) {
    Map<String, List<String>> out = new TreeMap<>();
    sm.listSecretVersionIds(r -> r.secretId(key(site)).includeDeprecated(true)).versions()
        .forEach(v -> out.put(v.versionId(), v.versionStages()));
    return out;
  }

  public Map<String, String> upstreamTags(String site) {
    Map<String, String> out = new TreeMap<>();
    sm.describeSecret(r -> r.secretId(key(site))).tags().forEach(t -> out.put(t.key(), t.value()));
    return out;
  }

  public void deleteUpstream(String site, boolean scheduled) {
    sm.deleteSecret(r -> {
      r.secretId(key(site));
      if (scheduled) r.recoveryWindowInDays(7L);
      else r.forceDeleteWithoutRecovery(true);
    });
  }

  public void createNamespace(String site, String optInValue) {
    var meta = new NamespaceBuilder().withNewMetadata().withName(ns(site));
    if (optInValue != null) {
      meta.addToAnnotations(naming.managedAnnotation(), optInValue);
    }
    kube.namespaces().resource(meta.endMetadata().build()).create();
  }

  public void annotate(String site, String key, String value) {
    kube.namespaces().withName(ns(site)).edit(n -> {
      if (value == null) n.getMetadata().getAnnotations().remove(key);
      else n.getMetadata().getAnnotations().put(key, value);
      return n;
    });
  }

  public void optIn(String site) {
    annotate(site, naming.managedAnnotation(), Naming.OPT_IN_VALUE);
  }

  public void forceSync(String site) {
    annotate(site, naming.syncAnnotation(), Long.toString(System.nanoTime()));
  }

  public Secret secret(String site) {
    return kube.secrets().inNamespace(ns(site)).withName(naming.secretName()).get();
  }

  /** The Secret's data decoded; null when there is no Secret. */
  public static Map<String, String> decoded(Secret s) {
    if (s == null) {
      return null;
    }
    Map<String, String> out = new TreeMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    return out;
  }

  /**
   * {@code size} opted-in sites whose upstream key holds {@code {"A": <site>}}; waits until the
   * operator running against this naming has written each Secret.
   */
  public List<String> syncedFleet(int size, String hint, Duration within) {
    List<String> all = new java.util.ArrayList<>();
    for (int i = 0; i < size; i++) {
      String site = fresh(hint);
      putUpstream(site, "{\"A\":\"" + site + "\"}");
      createNamespace(site, Naming.OPT_IN_VALUE);
      all.add(site);
    }
    org.awaitility.Awaitility.await().atMost(within).until(() -> all.stream().allMatch(s -> secret(s) != null));
    return all;
  }

  public List<Event> events(String site, String reason) {
    return kube.v1().events().inNamespace(ns(site)).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }
}
