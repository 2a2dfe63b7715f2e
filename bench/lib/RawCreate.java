import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The benchmark's baseline: the operator's client library (fabric8, same JVM and options, same
 * KUBECONFIG) creating N Secrets shaped like the operator's, in a tight loop over T threads.
 * Prints one line "created N loop_seconds S" and exits; bench.py times the process from launch,
 * as it times the operator's cold sync.
 *
 * Usage: java -cp bench-classes:operator.jar RawCreate N THREADS NAMESPACE_PREFIX NAMESPACE_COUNT
 */
public final class RawCreate {
  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    int threads = Integer.parseInt(args[1]);
    String prefix = args[2];
    int namespaces = Integer.parseInt(args[3]);
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      long start = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        done.add(pool.submit(() -> client.secrets().inNamespace(prefix + (k % namespaces)).resource(secret(k)).create()));
      }
      for (Future<?> f : done) {
        f.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      System.out.printf("created %d loop_seconds %.3f%n", n, seconds);
    }
  }

  /** bench.py's payload, the operator's labels and version annotation: the same size on the wire. */
  private static Secret secret(int i) {
    Map<String, String> data = Map.of(
        "TENANT_TOKEN", b64("tok-bench-" + i + "-v0"),
        "API_URL", b64("https://bench-" + i + ".example"),
        "MODE", b64("v0"));
    return new SecretBuilder()
        .withNewMetadata()
        .withName("raw-" + i)
        .withLabels(Map.of("deco.sites/managed-by", "operator", "deco.sites/feature", "build-secrets"))
        .withAnnotations(Map.of("deco.sites/build-secrets-version", UUID.randomUUID().toString()))
        .endMetadata()
        .withType("Opaque")
        .withData(data)
        .build();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
