package sites.deco.buildsecrets.e2e;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * A site's build as builders run it: a Job whose container takes {@code build-secrets} through
 * {@code envFrom} with {@code optional: true}, on a node-mode test bed (host network, the bed's
 * locally built image, never pulled). The container reports the names of the variables it got
 * and one SHA-256 over their values through its termination message (the kubelet's node address is
 * not loopback, so container logs are never fetched): no value ever leaves the container.
 */
final class BuilderJob {
  /** dev/lib/builder-report.sh, which dev/demo runs too; {@link #expected} computes its digest. */
  private static final Path SCRIPT = TestBed.repoRoot().resolve("dev/lib/builder-report.sh");
  private static final AtomicInteger COUNTER = new AtomicInteger();

  /** What one build saw: the variable names (sorted) and the digest of their values. */
  record Seen(SortedSet<String> names, String sha256) {}

  private BuilderJob() {}

  /**
   * Runs one builder Job in {@code namespace} to completion and returns what it saw; fails if the
   * Job fails (a container that cannot start never completes).
   */
  static Seen run(KubernetesClient kube, String namespace, String image, Duration within) {
    // The ServiceAccount admission rejects pods until the controller-manager made the default account.
    await().atMost(within).until(() -> kube.serviceAccounts().inNamespace(namespace).withName("default").get() != null);
    String name = "build-" + COUNTER.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 1_000_000L, 36);
    Job job = new JobBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withNewTemplate()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withHostNetwork(true)
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .addNewContainer()
        .withName("build")
        .withImage(image)
        .withImagePullPolicy("Never")
        .withCommand("/bin/sh", "-c", script())
        .addNewEnvFrom().withNewSecretRef("build-secrets", true).endEnvFrom()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
    kube.batch().v1().jobs().inNamespace(namespace).resource(job).create();
    Job done = await().atMost(within).pollInterval(Duration.ofMillis(250)).until(
        () -> kube.batch().v1().jobs().inNamespace(namespace).withName(name).get(),
        j -> j.getStatus() != null && (isTrue(j.getStatus().getSucceeded()) || isTrue(j.getStatus().getFailed())));
    Pod pod = kube.pods().inNamespace(namespace).withLabel("batch.kubernetes.io/job-name", name).list().getItems().getFirst();
    var terminated = pod.getStatus().getContainerStatuses().getFirst().getState().getTerminated();
    if (!isTrue(done.getStatus().getSucceeded())) {
      throw new AssertionError("builder Job " + namespace + "/" + name + " failed: "
          + (terminated == null ? pod.getStatus().getPhase() : terminated.getReason() + " exit " + terminated.getExitCode()));
    }
    return parse(terminated.getMessage());
  }

  private static String script() {
    try {
      return Files.readString(SCRIPT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isTrue(Integer count) {
    return count != null && count > 0;
  }

  private static Seen parse(String message) {
    Map<String, String> fields = new TreeMap<>();
    for (String line : message.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    String names = fields.getOrDefault("names", "");
    SortedSet<String> set = new TreeSet<>();
    if (!names.isEmpty()) {
      set.addAll(Arrays.asList(names.split(",")));
    }
    return new Seen(set, fields.get("sha256"));
  }

  /** What a build given exactly {@code vars} reports: their names, and the digest the script computes. */
  static Seen expected(Map<String, String> vars) {
    SortedSet<String> names = new TreeSet<>(vars.keySet());
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String n : names) {
        sha.update((n + "=" + vars.get(n) + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return new Seen(names, HexFormat.of().formatHex(sha.digest()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The names a build gets when no Secret is mounted. */
  static Seen none() {
    return expected(Map.of());
  }
}
