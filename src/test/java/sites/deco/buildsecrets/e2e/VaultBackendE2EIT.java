package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;
import sites.deco.buildsecrets.testbed.VaultAdmin;

/**
 * The seed test plan's core against the vault backend: the built jar with BUILD_SECRETS_BACKEND=vault
 * logs in to the test bed's Vault with a ServiceAccount token (Kubernetes auth, TokenReview by the
 * bed's kube-apiserver) and never sees the root token. Then a wrong mount and a wrong role: every
 * Secret kept, a Warning SourceError, nothing deleted. Values carry a canary that must never reach
 * the operator's output (it runs at TRACE).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VaultBackendE2EIT {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final String CANARY = "CANARY-" + UUID.randomUUID();
  private static final Set<String> VALUES = ConcurrentHashMap.newKeySet();
  private static final List<OperatorProcess> RUNS = new ArrayList<>();

  static TestBed bed;
  static VaultAdmin vault;
  static Sites sites;
  static OperatorProcess operator;
  static String site;
  static String other;

  /** Namespaces and keys of this class only; the keys stay under the bed policy's sites/ prefix. */
  static Naming naming() {
    Naming d = Naming.DEFAULTS;
    return new Naming("vault-e2e-sites-", "sites/vault-e2e-{site}/build", d.secretName(), d.managedAnnotation(),
        d.syncAnnotation(), d.versionAnnotation(), d.managedByLabel(), d.featureLabel());
  }

  @BeforeAll
  static void start() {
    bed = TestBed.withVault();
    vault = new VaultAdmin(bed.vaultEnv());
    sites = new Sites(bed, naming());
    operator = startOperator("vault").awaitReady();
  }

  static OperatorProcess startOperator(String name, String... extraFlags) {
    Map<String, String> env = new HashMap<>(bed.vaultEnv());
    env.remove("VAULT_TOKEN"); // the operator logs in with its ServiceAccount token, nothing else
    List<String> flags = new ArrayList<>(List.of("--log-level=trace", "--log-format=json",
        "--deletion-budget-min=50", "--namespace-prefix=" + sites.naming.namespacePrefix(),
        "--key-template=" + sites.naming.keyTemplate()));
    flags.addAll(List.of(extraFlags));
    OperatorProcess p = OperatorProcess.start(bed, "vault-" + name, env, flags.toArray(String[]::new));
    RUNS.add(p);
    return p;
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      assertThat(operator.stop()).as("exit code after SIGTERM").isEqualTo(0);
    }
  }

  static String value(String label) {
    String v = label + "-" + CANARY;
    VALUES.add(v);
    return v;
  }

  static void put(String s, Map<String, ?> data) {
    vault.put(sites.key(s), data);
  }

  @Test
  @Order(1)
  void optingInMaterialisesTheKvData() {
    site = Sites.fresh("vault");
    other = Sites.fresh("vault-other");
    put(site, Map.of("TENANT_TEST_KEY", value("v1"), "FROM_VAULT", "yes"));
    put(other, Map.of("K", value("other")));
    sites.createNamespace(site, null);
    sites.createNamespace(other, "enabled");
    sites.optIn(site);
    await().atMost(WITHIN).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(s).isNotNull();
      assertThat(s.getMetadata().getLabels()).containsEntry("deco.sites/managed-by", "operator");
      assertThat(s.getMetadata().getAnnotations()).containsEntry("deco.sites/build-secrets-version", "1");
      assertThat(Sites.decoded(s)).isEqualTo(Map.of("TENANT_TEST_KEY", value("v1"), "FROM_VAULT", "yes"));
      assertThat(Sites.decoded(sites.secret(other))).isEqualTo(Map.of("K", value("other")));
    });
  }

  @Test
  @Order(2)
  void anUpstreamChangeAndAForceSyncUpdateTheSecret() {
    put(site, Map.of("TENANT_TEST_KEY", value("v2")));
    sites.forceSync(site);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("TENANT_TEST_KEY", value("v2")));
      assertThat(sites.secret(site).getMetadata().getAnnotations())
          .containsEntry("deco.sites/build-secrets-version", "2");
    });
  }

  @Test
  @Order(3)
  void aNonStringValueKeepsTheSecretWithAnInvalidPayloadEvent() {
    String before = sites.secret(site).getMetadata().getResourceVersion();
    int seen = sites.events(site, "InvalidPayload").size();
    put(site, Map.of("TENANT_TEST_KEY", value("v3"), "PORT", 8080));
    sites.forceSync(site);
    await().atMost(WITHIN).until(() -> sites.events(site, "InvalidPayload").size() > seen);
    assertThat(sites.secret(site).getMetadata().getResourceVersion()).isEqualTo(before);
    put(site, Map.of("TENANT_TEST_KEY", value("v4")));
    sites.forceSync(site);
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("TENANT_TEST_KEY", value("v4"))));
  }

  @Test
  @Order(4)
  void aWrongMountKeepsEverySecretWithAWarning() {
    operator.stop();
    operator = startOperator("wrong-mount", "--vault-mount=no-such-mount");
    keptWithSourceErrors(operator);
    operator.stop();
  }

  @Test
  @Order(5)
  void aWrongRoleKeepsEverySecretWithAWarning() {
    operator = startOperator("wrong-role", "--vault-role=no-such-role");
    keptWithSourceErrors(operator);
    operator.stop();
  }

  /**
   * The Vault twin of "another AWS account": a real, readable KV version 2 mount that holds none of
   * the keys, so every read is a genuine "missing". The deletion guard's corroborating reads find
   * the other keys missing too: every deletion pauses, nothing is deleted.
   */
  @Test
  @Order(6)
  void anotherReadableKvMountHoldingNoKeysPausesEveryDeletion() {
    String mount = "bso-empty";
    vault.enableKv(mount, 2);
    vault.policy("bso-empty-read", "path \"" + mount + "/data/sites/*\" { capabilities = [\"read\"] }\n"
        + "path \"" + mount + "/metadata/sites/*\" { capabilities = [\"read\", \"list\"] }");
    String role = "bso-empty-" + UUID.randomUUID().toString().substring(0, 8);
    vault.role(role, bed.vaultEnv().get("TESTBED_VAULT_OPERATOR_SERVICE_ACCOUNT"), "bso-empty-read", "10m");
    Map<String, String> before = Map.of(site, sites.secret(site).getMetadata().getResourceVersion(),
        other, sites.secret(other).getMetadata().getResourceVersion());
    Map<String, Integer> seen = Map.of(site, sites.events(site, "DeletionPaused").size(),
        other, sites.events(other, "DeletionPaused").size());
    operator = startOperator("empty-mount", "--vault-mount=" + mount, "--vault-role=" + role);
    sites.forceSync(site);
    sites.forceSync(other);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String s : List.of(site, other)) {
        assertThat(sites.events(s, "DeletionPaused").size()).as(s).isGreaterThan(seen.get(s));
      }
    });
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      for (String s : List.of(site, other)) {
        assertThat(sites.secret(s)).as(s).isNotNull();
        assertThat(sites.secret(s).getMetadata().getResourceVersion()).as(s).isEqualTo(before.get(s));
      }
    });
    operator.stop();
    operator = startOperator("vault-again").awaitReady();
  }

  /** Both Secrets stay as they were (same resourceVersion) while each namespace gets a SourceError. */
  private static void keptWithSourceErrors(OperatorProcess p) {
    Map<String, String> before = Map.of(site, sites.secret(site).getMetadata().getResourceVersion(),
        other, sites.secret(other).getMetadata().getResourceVersion());
    Map<String, Integer> seen = Map.of(site, sites.events(site, "SourceError").size(),
        other, sites.events(other, "SourceError").size());
    sites.forceSync(site);
    sites.forceSync(other);
    await().atMost(WITHIN).untilAsserted(() -> {
      for (String s : List.of(site, other)) {
        List<Event> errors = sites.events(s, "SourceError");
        assertThat(errors.size()).as(s).isGreaterThan(seen.get(s));
        assertThat(errors.get(errors.size() - 1).getType()).isEqualTo("Warning");
      }
    });
    // Well past the confirmation delay (2s in these suites): still there, untouched.
    await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      for (String s : List.of(site, other)) {
        assertThat(sites.secret(s)).as(s).isNotNull();
        assertThat(sites.secret(s).getMetadata().getResourceVersion()).as(s).isEqualTo(before.get(s));
      }
    });
  }

  @Test
  @Order(7)
  void aSoftDeletedKeyRemovesTheSecretAfterTheConfirmationDelay() {
    String gone = Sites.fresh("vault-gone");
    put(gone, Map.of("A", value("gone")));
    sites.createNamespace(gone, "enabled");
    await().atMost(WITHIN).until(() -> sites.secret(gone) != null);
    vault.softDelete(sites.key(gone));
    sites.forceSync(gone);
    await().atMost(WITHIN).until(() -> sites.secret(gone) == null);
    assertThat(sites.secret(site)).isNotNull();
    assertThat(sites.secret(other)).isNotNull();
  }

  @Test
  @Order(8)
  void noValueOrTokenEverReachesTheOperatorsOutput() {
    List<String> forbidden = new ArrayList<>(List.of(CANARY, bed.vaultEnv().get("VAULT_TOKEN")));
    for (String v : VALUES) {
      forbidden.add(v);
      forbidden.add(Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8)));
    }
    try {
      String saToken = java.nio.file.Files.readString(
          java.nio.file.Path.of(bed.vaultEnv().get("BUILD_SECRETS_VAULT_TOKEN_PATH"))).trim();
      forbidden.add(saToken);
      forbidden.add(saToken.substring(saToken.lastIndexOf('.') + 1)); // its signature alone
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    for (OperatorProcess run : RUNS) {
      assertThat(run.output()).as(run.log().toString()).isNotEmpty();
      for (String f : forbidden) {
        assertThat(run.output()).as(run.log().toString()).doesNotContain(f);
      }
    }
    assertThat(operator.metrics())
        .contains("deco_operator_buildsecrets_backend{backend=\"vault\"} 1.0")
        .contains("operation=\"vault_read\"")
        .contains("operation=\"vault_login\"");
  }
}
