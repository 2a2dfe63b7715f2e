package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The demo's test plan, and more, against the built jar run as a process with default names
 * ({@code sites-<site>}, {@code sites/<site>/build}). Every value carries a canary that must never
 * reach the operator's output, which runs at DEBUG.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeedTestPlanE2EIT {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final Duration FORCE_SYNC_BOUND = Duration.ofSeconds(5);
  private static final String CANARY = "CANARY-" + UUID.randomUUID();
  private static final List<OperatorProcess> RUNS = new ArrayList<>();

  static TestBed bed;
  static Sites sites;
  static OperatorProcess operator;
  static String site;

  @BeforeAll
  static void start() {
    bed = TestBed.get();
    sites = new Sites(bed, Naming.DEFAULTS);
    operator = startOperator();
  }

  static OperatorProcess startOperator() {
    return startOperatorUnready().awaitReady();
  }

  /** Started, not waited for: a cold sync may be under way before readiness is polled. */
  static OperatorProcess startOperatorUnready(String... extraFlags) {
    // TRACE: the most any library may print; the payload loggers stay capped at INFO.
    // The plan deletes several Secrets within minutes (opt-outs, upstream removals): a budget that
    // lets it, since the plan is about the rule table; the guard has suites of its own.
    List<String> flags = new ArrayList<>(List.of("--log-level=trace", "--log-format=json", "--deletion-budget-min=50"));
    flags.addAll(List.of(extraFlags));
    OperatorProcess p = OperatorProcess.start(bed, "seed-plan", Map.of(), flags.toArray(String[]::new));
    RUNS.add(p);
    return p;
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      // A clean stop on SIGTERM exits 0 (the JVM alone would give 143 = 128 + SIGTERM).
      assertThat(operator.stop()).as("exit code after SIGTERM").isEqualTo(0);
      assertThat(operator.output()).contains("stopped cleanly");
      ReliabilityRecord.passed("Control-plane faults", "Operator sent SIGTERM (a pod stopping)",
          "In-flight reconciles finished, \"stopped cleanly\" logged, exit status 0 (not 143)");
    }
  }

  /** Every value written upstream, so the output can be searched for each, plain and base64. */
  private static final java.util.Set<String> VALUES = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static String value(String label) {
    String v = label + "-" + CANARY;
    VALUES.add(v);
    return v;
  }

  /** The canary, and every value plain and as the base64 a Secret's data holds. */
  private static List<String> forbidden() {
    List<String> out = new ArrayList<>(List.of(CANARY));
    for (String v : VALUES) {
      out.add(v);
      out.add(java.util.Base64.getEncoder().encodeToString(v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    return out;
  }

  @Test
  @Order(1)
  void upstreamThenAnnotationMaterialisesTheSecret() {
    site = Sites.fresh("igorteste");
    sites.putUpstream(site, "{\"TENANT_TEST_KEY\":\"" + value("from-sm") + "\",\"TENANT_FROM_AWS\":\"yes\"}");
    sites.createNamespace(site, null);
    sites.optIn(site);

    await().atMost(WITHIN).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(s).isNotNull();
      assertThat(s.getMetadata().getLabels())
          .containsEntry("deco.sites/managed-by", "operator")
          .containsEntry("deco.sites/feature", "build-secrets");
      assertThat(Sites.decoded(s)).isEqualTo(Map.of("TENANT_TEST_KEY", value("from-sm"), "TENANT_FROM_AWS", "yes"));
    });
  }

  @Test
  @Order(2)
  void upstreamUpdateAndForceSyncUpdatesWithinSeconds() {
    sites.putUpstream(site, "{\"TENANT_TEST_KEY\":\"" + value("v2") + "\"}");
    sites.forceSync(site);
    await().atMost(FORCE_SYNC_BOUND).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("TENANT_TEST_KEY", value("v2"))));
  }

  @Test
  @Order(3)
  void removingTheAnnotationDeletesTheSecret() {
    sites.annotate(site, "deco.sites/build-secrets-managed", null);
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
  }

  @Test
  @Order(4)
  void reAnnotatingRecreatesIt() {
    sites.optIn(site);
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("TENANT_TEST_KEY", value("v2"))));
  }

  @Test
  @Order(5)
  void aHandMadeSecretIsLeftIntactAndReported() {
    String manualSite = Sites.fresh("frigidaire-pr");
    sites.putUpstream(manualSite, "{\"A\":\"" + value("sm") + "\"}");
    sites.createNamespace(manualSite, null);
    Secret manual = bed.admin().secrets().inNamespace(sites.ns(manualSite)).resource(new SecretBuilder()
        .withNewMetadata().withName("build-secrets").endMetadata()
        .withStringData(Map.of("A", value("manual"))).build()).create();
    sites.optIn(manualSite);

    await().atMost(WITHIN).until(() -> !sites.events(manualSite, "NotOwned").isEmpty());
    assertThat(sites.secret(manualSite).getMetadata().getResourceVersion())
        .isEqualTo(manual.getMetadata().getResourceVersion());
    assertThat(Sites.decoded(sites.secret(manualSite))).isEqualTo(Map.of("A", value("manual")));
  }

  @Test
  @Order(6)
  void optOutOptInLoopsConverge() {
    for (int i = 0; i < 5; i++) {
      sites.annotate(site, "deco.sites/build-secrets-managed", null);
      sites.optIn(site);
    }
    await().atMost(WITHIN).untilAsserted(() -> assertThat(sites.secret(site)).isNotNull());
    sites.annotate(site, "deco.sites/build-secrets-managed", null);
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    sites.optIn(site);
    await().atMost(WITHIN).until(() -> sites.secret(site) != null);
  }

  @Test
  @Order(7)
  void handEditsExtraKeysAndDeletionsAreRepaired() {
    bed.admin().secrets().inNamespace(sites.ns(site)).withName("build-secrets").edit(s -> {
      s.getData().put("TENANT_TEST_KEY", "ZWRpdGVk");
      s.getData().put("ADDED_BY_HAND", "eA==");
      return s;
    });
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("TENANT_TEST_KEY", value("v2"))));

    bed.admin().secrets().inNamespace(sites.ns(site)).withName("build-secrets").delete();
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("TENANT_TEST_KEY", value("v2"))));
  }

  @Test
  @Order(8)
  void invalidPayloadsKeepTheSecret() {
    String before = sites.secret(site).getMetadata().getResourceVersion();
    List<String> payloads = List.of(
        "null",
        "[\"" + value("array") + "\"]",
        "{\"A\":\"" + value("ok") + "\",\"B\":1}",
        "{\"A\":\"" + value("ok") + "\",\"bad key\":\"" + value("x") + "\"}",
        "{\"A\":\"" + value("unterminated"),
        "{\"A\":\"" + value("ok") + "\"} trailing");
    for (String payload : payloads) {
      int seen = sites.events(site, "InvalidPayload").size();
      sites.putUpstream(site, payload);
      sites.forceSync(site);
      await().atMost(WITHIN).until(() -> sites.events(site, "InvalidPayload").size() > seen);
      assertThat(sites.secret(site).getMetadata().getResourceVersion()).isEqualTo(before);
    }
    sites.putUpstream(site, "{\"TENANT_TEST_KEY\":\"" + value("v3") + "\"}");
    sites.forceSync(site);
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("TENANT_TEST_KEY", value("v3"))));
  }

  @Test
  @Order(9)
  void upstreamDeletedOrScheduledForDeletionRemovesTheSecret() {
    String gone = Sites.fresh("gone");
    String scheduled = Sites.fresh("scheduled");
    for (String s : List.of(gone, scheduled)) {
      sites.putUpstream(s, "{\"A\":\"" + value(s) + "\"}");
      sites.createNamespace(s, "enabled");
    }
    await().atMost(WITHIN).until(() -> sites.secret(gone) != null && sites.secret(scheduled) != null);
    sites.deleteUpstream(gone, false);
    sites.deleteUpstream(scheduled, true);
    sites.forceSync(gone);
    sites.forceSync(scheduled);
    await().atMost(WITHIN).until(() -> sites.secret(gone) == null && sites.secret(scheduled) == null);
  }

  @Test
  @Order(10)
  void aKilledOperatorConvergesAfterRestart() {
    operator.kill();
    List<String> batch = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String s = Sites.fresh("restart");
      sites.putUpstream(s, "{\"K\":\"" + value(s) + "\"}");
      sites.createNamespace(s, "enabled");
      batch.add(s);
    }
    // Kill it again in the middle of the cold sync, then let a fresh one finish. One reconcile
    // thread makes the writes one at a time, so the kill lands between the first and the last.
    operator = startOperatorUnready("--reconcile-threads=1");
    OperatorProcess killed = operator;
    await().atMost(WITHIN).pollInterval(Duration.ofMillis(10)).until(() ->
        batch.stream().anyMatch(s -> killed.output().contains("namespace " + sites.ns(s) + ": created from upstream")));
    killed.kill();
    long createdBeforeTheKill = batch.stream().filter(s -> sites.secret(s) != null).count();
    assertThat(createdBeforeTheKill).as("Secrets created when the operator was killed").isBetween(1L, 29L);
    operator = startOperator();

    await().atMost(WITHIN).untilAsserted(() -> {
      for (String s : batch) {
        assertThat(Sites.decoded(sites.secret(s))).as(s).isEqualTo(Map.of("K", value(s)));
      }
    });
    // Exactly one correct Secret per namespace: the managed one, at the current upstream version.
    for (String s : batch) {
      List<Secret> managed = bed.admin().secrets().inNamespace(sites.ns(s))
          .withLabel("deco.sites/managed-by", "operator").withLabel("deco.sites/feature", "build-secrets")
          .list().getItems();
      assertThat(managed).as(s).hasSize(1);
      assertThat(managed.get(0).getMetadata().getName()).isEqualTo("build-secrets");
      String current = bed.secretsManager().getSecretValue(r -> r.secretId(sites.key(s))).versionId();
      assertThat(managed.get(0).getMetadata().getAnnotations())
          .containsEntry("deco.sites/build-secrets-version", current);
    }
    ReliabilityRecord.passed("Control-plane faults", "Operator SIGKILLed during a cold sync of 30 opted-in namespaces",
        "The restarted operator converged: exactly one managed Secret per namespace, with the current upstream "
            + "data and version");
  }

  @Test
  @Order(11)
  void noValueEverReachesTheOperatorsOutput() {
    // Exercise a few more code paths at DEBUG before searching.
    sites.forceSync(site);
    await().atMost(WITHIN).until(() -> operator.output().contains(sites.ns(site)));
    for (OperatorProcess run : RUNS) {
      assertThat(run.output()).as(run.log().toString()).isNotEmpty().contains("\"DEBUG\"");
      for (String f : forbidden()) {
        assertThat(run.output()).as(run.log().toString()).doesNotContain(f);
      }
    }
    assertThat(operator.metrics())
        .contains("deco_operator_buildsecrets_syncs_total{result=\"created\"}")
        .contains("deco_operator_buildsecrets_syncs_total{result=\"deletion_paused\"}")
        .contains("deco_operator_buildsecrets_source_requests_total{operation=\"GetSecretValue\",outcome=\"success\"}")
        .contains("deco_operator_buildsecrets_source_requests_total{operation=\"ListSecrets\",outcome=\"success\"}")
        .contains("deco_operator_buildsecrets_source_request_duration_seconds")
        .contains("deco_operator_buildsecrets_managed_secrets")
        .contains("deco_operator_buildsecrets_reconcile_duration_seconds")
        .contains("jvm_memory_used_bytes")
        .contains("operator_sdk_reconciliations_started")
        .doesNotContain(site); // no per-tenant label
    for (String f : forbidden()) {
      assertThat(operator.metrics()).doesNotContain(f);
    }
  }
}
