package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.ShippedChart;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The shipped image (built here by {@code dev/build-image}: no daemon, no pulled base) installed
 * from the chart with {@code helm install}, as a user would, on a node-mode test bed of this class's
 * own. Only test-bed values are set: the locally imported image with {@code pullPolicy: Never}, the
 * host network with loopback ports (no pod network here), the API server's loopback address for
 * in-cluster clients (no kube-proxy), and moto's endpoint and credentials.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartOnNodeE2EIT {
  private static final String AREA = "Chart on a real node";
  private static final String RELEASE = "build-secrets-operator";
  private static final String NAMESPACE = "build-secrets-system";
  private static final String LEASE = "build-secrets.deco.sites";
  private static final String IMAGE_REPOSITORY = "bso.local/build-secrets-operator";
  private static final String IMAGE_TAG = "node-e2e";
  private static final Duration READY = Duration.ofSeconds(180);
  private static final Duration SYNC = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  static PrivateBed privateBed;
  static TestBed bed;
  static Sites sites;
  static String helm;
  static Path values;
  static int metricsPort;
  static final String SITE = Sites.fresh("chart");
  static Map<String, String> upstream;

  @BeforeAll
  static void up() throws Exception {
    privateBed = PrivateBed.up("node-chart-testbed", "--node");
    bed = TestBed.at(privateBed.dir);
    sites = new Sites(bed, Naming.DEFAULTS);
    Path root = TestBed.repoRoot();
    String image = run(List.of(root.resolve("dev/build-image").toString(), "--tag", IMAGE_REPOSITORY + ":" + IMAGE_TAG), 600)
        .lines().reduce((a, b) -> b).orElseThrow().strip();
    run(List.of("ctr", "--address", bed.env().get("TESTBED_CONTAINERD_ADDRESS"), "--namespace", "k8s.io",
        "images", "import", image), 300);
    helm = run(List.of(root.resolve("dev/build-helm").toString()), 1200).lines().reduce((a, b) -> b).orElseThrow().strip();
    metricsPort = TestBed.freePortForDaemon();
    int healthPort = TestBed.freePortForDaemon();
    String apiPort = String.valueOf(URI.create(bed.env().get("TESTBED_APISERVER_URL")).getPort());
    values = Files.createTempFile("bso-node-chart-values", ".json");
    values.toFile().deleteOnExit();
    Files.writeString(values, JSON.writeValueAsString(Map.of(
        "replicaCount", 1,
        "image", Map.of("repository", IMAGE_REPOSITORY, "tag", IMAGE_TAG, "pullPolicy", "Never"),
        "hostNetwork", true,
        "listenAddress", "127.0.0.1",
        "metrics", Map.of("port", metricsPort),
        "health", Map.of("port", healthPort),
        "aws", Map.of("region", bed.env().get("AWS_REGION"), "endpointUrl", bed.motoUrl()),
        "extraEnv", List.of(
            env("KUBERNETES_SERVICE_HOST", "127.0.0.1"), env("KUBERNETES_SERVICE_PORT", apiPort),
            env("AWS_ACCESS_KEY_ID", "testing"), env("AWS_SECRET_ACCESS_KEY", "testing")))));
  }

  @AfterAll
  static void down() throws Exception {
    if (privateBed != null) {
      privateBed.close();
    }
  }

  @Test
  @Order(1)
  void helmInstallRunsTheShippedImageAndABuildSeesItsVariables() throws Exception {
    // A test bed left running by an interrupted run is reused by PrivateBed.up: start from no release.
    helm("uninstall", RELEASE, "--namespace", NAMESPACE, "--ignore-not-found", "--wait");
    helm("install", RELEASE, TestBed.repoRoot().resolve("chart").toString(), "--namespace", NAMESPACE,
        "--create-namespace", "-f", values.toString(), "--wait", "--timeout", "180s");
    Pod leader = awaitLeader(null);
    assertThat(leader.getSpec().getContainers().getFirst().getImage()).isEqualTo(IMAGE_REPOSITORY + ":" + IMAGE_TAG);
    assertThat(metrics()).contains("deco_operator_buildsecrets_leader 1.0");

    upstream = Map.of("NPM_TOKEN", token(), "BUILD_MODE", "release");
    sites.putUpstream(SITE, json(upstream));
    sites.createNamespace(SITE, Naming.OPT_IN_VALUE);
    awaitSecretHolds(upstream);
    assertThat(BuilderJob.run(bed.admin(), sites.ns(SITE), bed.env().get("TESTBED_BUILDER_IMAGE"), READY))
        .isEqualTo(BuilderJob.expected(upstream));
    // The policies are on: even a cluster admin outside the break-glass group may not edit it.
    Secret managed = sites.secret(SITE);
    managed.getData().put("NPM_TOKEN", "ZWRpdGVk");
    ShippedChart.awaitEnforced(RELEASE + "-managed-secrets",
        () -> bed.admin().secrets().inNamespace(sites.ns(SITE)).resource(managed).dryRun().update());
    ReliabilityRecord.passed(AREA, "helm install with the chart's defaults and test-bed values only, the image built here",
        "The Deployment becomes Ready through its probes, the pod holds the Lease and serves metrics, the policies deny an admin's edit, a builder Job sees the upstream keys");
  }

  @Test
  @Order(2)
  void aReplacementPodTakesTheLeaseOverAndRewritesNothing() {
    Pod old = awaitLeader(null);
    String version = sites.secret(SITE).getMetadata().getResourceVersion();
    bed.admin().pods().inNamespace(NAMESPACE).withName(old.getMetadata().getName()).delete();

    Pod replacement = awaitLeader(old.getMetadata().getName());
    // The new leader has read the fleet (its sweep settled the in-sync Secret) without writing it.
    await().atMost(SYNC).until(() -> metrics().contains("deco_operator_buildsecrets_managed_secrets 1.0"));
    assertThat(sites.secret(SITE).getMetadata().getResourceVersion()).isEqualTo(version);
    // And it carries on.
    upstream = Map.of("NPM_TOKEN", token(), "BUILD_MODE", "release");
    sites.putUpstream(SITE, json(upstream));
    sites.forceSync(SITE);
    awaitSecretHolds(upstream);
    assertThat(replacement.getMetadata().getName()).isNotEqualTo(old.getMetadata().getName());
    ReliabilityRecord.passed(AREA, "The leader's pod deleted (one replica on the host network)",
        "The replacement pod becomes Ready and takes the Lease over; no managed Secret rewritten; a force-sync after it lands");
  }

  @Test
  @Order(3)
  void aSecondReplicaOnTheSameHostNetworkNodeWaitsForThePorts() throws Exception {
    helm("upgrade", RELEASE, TestBed.repoRoot().resolve("chart").toString(), "--namespace", NAMESPACE,
        "-f", values.toString(), "--set", "replicaCount=2", "--wait", "--timeout", "180s");
    Pod leader = awaitLeader(null);
    Pod waiting = await().atMost(READY).until(() -> bed.admin().pods().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(p -> !p.getMetadata().getName().equals(leader.getMetadata().getName()))
        .filter(p -> p.getStatus() != null && "Pending".equals(p.getStatus().getPhase())).findFirst().orElse(null),
        Objects::nonNull);
    await().atMost(SYNC).until(() -> bed.admin().v1().events().inNamespace(NAMESPACE)
        .withField("involvedObject.name", waiting.getMetadata().getName()).list().getItems().stream()
        .anyMatch(e -> "FailedScheduling".equals(e.getReason()) && e.getMessage().contains("free ports")));

    String version = sites.secret(SITE).getMetadata().getResourceVersion();
    bed.admin().pods().inNamespace(NAMESPACE).withName(leader.getMetadata().getName()).delete();
    awaitLeader(leader.getMetadata().getName());
    await().atMost(SYNC).until(() -> metrics().contains("deco_operator_buildsecrets_managed_secrets 1.0"));
    assertThat(sites.secret(SITE).getMetadata().getResourceVersion()).isEqualTo(version);
    ReliabilityRecord.passed(AREA, "Two replicas (the chart's default count) on one host-network node",
        "The second stays Pending (FailedScheduling: no free ports); when the leader's pod goes, a pod takes its ports and the Lease; no managed Secret rewritten");
  }

  @Test
  @Order(4)
  void helmUpgradeAndUninstallDeleteNoManagedSecretAndLeaveNothingBehind() throws Exception {
    String version = sites.secret(SITE).getMetadata().getResourceVersion();
    String before = awaitLeader(null).getMetadata().getName();
    helm("upgrade", RELEASE, TestBed.repoRoot().resolve("chart").toString(), "--namespace", NAMESPACE,
        "-f", values.toString(), "--set", "config.logLevel=debug", "--wait", "--timeout", "180s");
    awaitLeader(before);
    await().atMost(SYNC).until(() -> metrics().contains("deco_operator_buildsecrets_managed_secrets 1.0"));
    assertThat(sites.secret(SITE).getMetadata().getResourceVersion()).as("after upgrade").isEqualTo(version);

    helm("uninstall", RELEASE, "--namespace", NAMESPACE, "--wait", "--timeout", "120s");
    await().atMost(READY).until(() -> bed.admin().pods().inNamespace(NAMESPACE).list().getItems().isEmpty());
    assertThat(sites.secret(SITE).getMetadata().getResourceVersion()).as("after uninstall").isEqualTo(version);
    String release = "app.kubernetes.io/instance";
    assertThat(bed.admin().apps().deployments().inNamespace(NAMESPACE).withLabel(release, RELEASE).list().getItems()).isEmpty();
    assertThat(bed.admin().serviceAccounts().inNamespace(NAMESPACE).withLabel(release, RELEASE).list().getItems()).isEmpty();
    assertThat(bed.admin().services().inNamespace(NAMESPACE).withLabel(release, RELEASE).list().getItems()).isEmpty();
    assertThat(bed.admin().rbac().clusterRoles().withLabel(release, RELEASE).list().getItems()).isEmpty();
    assertThat(bed.admin().rbac().clusterRoleBindings().withLabel(release, RELEASE).list().getItems()).isEmpty();
    assertThat(bed.admin().admissionRegistration().v1().validatingAdmissionPolicies().withLabel(release, RELEASE)
        .list().getItems()).isEmpty();
    assertThat(bed.admin().admissionRegistration().v1().validatingAdmissionPolicyBindings().withLabel(release, RELEASE)
        .list().getItems()).isEmpty();
    ReliabilityRecord.passed(AREA, "helm upgrade (a changed value rolls the pod), then helm uninstall",
        "No managed Secret rewritten or deleted (same resourceVersion); the release's Deployment, pods, RBAC and policies are gone");
  }

  // ---- helpers ----

  /** Waits for a Ready operator pod other than {@code notThis} that holds the Lease; returns it. */
  private static Pod awaitLeader(String notThis) {
    return await().atMost(READY).pollInterval(Duration.ofMillis(500)).until(() -> {
      Lease lease = bed.admin().leases().inNamespace(NAMESPACE).withName(LEASE).get();
      String holder = lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
      if (holder == null || holder.equals(notThis)) {
        return null;
      }
      Pod pod = bed.admin().pods().inNamespace(NAMESPACE).withName(holder).get();
      boolean ready = pod != null && pod.getMetadata().getDeletionTimestamp() == null && pod.getStatus().getConditions()
          .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
      Deployment d = bed.admin().apps().deployments().inNamespace(NAMESPACE).withName(RELEASE).get();
      boolean deploymentReady = d != null && d.getStatus() != null && Integer.valueOf(1).equals(d.getStatus().getReadyReplicas());
      return ready && deploymentReady ? pod : null;
    }, Objects::nonNull);
  }

  private static String metrics() {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until the Secret's data matches {@code vars}, comparing digests so no value is printed. */
  private static void awaitSecretHolds(Map<String, String> vars) {
    String want = BuilderJob.expected(vars).sha256();
    await().atMost(SYNC).until(() -> {
      Map<String, String> data = Sites.decoded(sites.secret(SITE));
      return data != null && BuilderJob.expected(data).sha256().equals(want);
    });
  }

  private static Map<String, String> env(String name, String value) {
    return Map.of("name", name, "value", value);
  }

  private static String token() {
    return UUID.randomUUID().toString();
  }

  private static String json(Map<String, String> vars) {
    try {
      return JSON.writeValueAsString(vars);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void helm(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(helm));
    command.addAll(List.of(args));
    Map<String, String> env = new HashMap<>();
    env.put("KUBECONFIG", bed.env().get("KUBECONFIG"));
    run(command, env, 300);
  }

  private static String run(List<String> command, int timeoutSeconds) throws Exception {
    return run(command, Map.of(), timeoutSeconds);
  }

  /** Runs {@code command} and returns its output; fails with it on a non-zero exit. */
  private static String run(List<String> command, Map<String, String> env, int timeoutSeconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
    }
    return out;
  }
}
