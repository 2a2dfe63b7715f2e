package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.monitoring.MonitoringAssets;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The shipped alert rules and dashboard query only metrics that exist: the built jar runs the demo's
 * test plan paths (create, force-synced update, invalid payload, missing key, hand-made Secret,
 * opt-out), completes a change-detection sweep, and its /metrics must then hold every metric name
 * that chart/monitoring/rules.yaml and chart/monitoring/dashboard.json select.
 */
class MonitoringE2EIT {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final String CANARY = "CANARY-" + UUID.randomUUID();
  private static final String M = "deco_operator_buildsecrets_";

  static TestBed bed;
  static Sites sites;
  static OperatorProcess operator;

  @BeforeAll
  static void start() {
    bed = TestBed.get();
    sites = new Sites(bed, Sites.isolated("monitoring-e2e"));
    operator = OperatorProcess.start(bed, "monitoring", Map.of(), "--log-format=console",
        "--build-secrets-resync-period=5s",
        "--namespace-prefix=" + sites.naming.namespacePrefix(), "--key-template=" + sites.naming.keyTemplate())
        .awaitReady();
  }

  @AfterAll
  static void stop() {
    if (operator != null) operator.close();
  }

  @Test
  void everyMetricTheRulesAndTheDashboardQueryIsExported() throws java.io.IOException {
    // The test plan's paths, one site each.
    String synced = Sites.fresh("mon-synced");
    sites.putUpstream(synced, "{\"A\":\"" + CANARY + "\"}");
    sites.createNamespace(synced, "enabled");
    await().atMost(WITHIN).until(() -> sites.secret(synced) != null);
    sites.putUpstream(synced, "{\"A\":\"v2-" + CANARY + "\"}");
    sites.forceSync(synced);

    String invalid = Sites.fresh("mon-invalid");
    sites.putUpstream(invalid, "[\"" + CANARY + "\"]");
    sites.createNamespace(invalid, "enabled");

    String missing = Sites.fresh("mon-missing");
    sites.createNamespace(missing, "enabled");

    String handMade = Sites.fresh("mon-handmade");
    sites.putUpstream(handMade, "{\"A\":\"" + CANARY + "\"}");
    sites.createNamespace(handMade, null);
    bed.admin().secrets().inNamespace(sites.ns(handMade)).resource(new SecretBuilder()
        .withNewMetadata().withName("build-secrets").endMetadata()
        .withStringData(Map.of("A", "manual")).build()).create();
    sites.optIn(handMade);

    await().atMost(WITHIN).until(() -> !sites.events(invalid, "InvalidPayload").isEmpty()
        && !sites.events(missing, "UpstreamMissing").isEmpty()
        && !sites.events(handMade, "NotOwned").isEmpty()
        && Sites.decoded(sites.secret(synced)).get("A").startsWith("v2-"));
    sites.annotate(synced, "deco.sites/build-secrets-managed", null);
    await().atMost(WITHIN).until(() -> sites.secret(synced) == null);

    // A sweep after all that: the sweep meters carry real values, not only their initial zeros.
    double sweeps = FaultInjectionE2EIT.sample(operator.metrics(), M + "sweep_duration_seconds_count");
    await().atMost(WITHIN).until(() -> FaultInjectionE2EIT.sample(operator.metrics(), M + "sweep_duration_seconds_count") > sweeps);

    String scrape = operator.metrics();
    // Kept for the reader of a failure: which names the operator did export.
    java.nio.file.Files.writeString(TestBed.repoRoot().resolve("target/e2e-logs/monitoring-scrape.txt"), scrape);
    Set<String> exported = scrape.lines()
        .filter(l -> !l.isBlank() && !l.startsWith("#"))
        .map(l -> l.split("[{ ]", 2)[0])
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> referenced = MonitoringAssets.metricNames();
    assertThat(referenced).as("metric names in the rules and the dashboard").hasSizeGreaterThan(10);
    Set<String> absent = new TreeSet<>(referenced);
    absent.removeAll(exported);
    assertThat(absent).as("queried by chart/monitoring but not in /metrics").isEmpty();

    // The values the new alerts hinge on, as this flow left them.
    assertThat(FaultInjectionE2EIT.sample(scrape, M + "leader")).isEqualTo(1.0);
    assertThat(FaultInjectionE2EIT.sample(scrape, M + "namespaces_by_result{result=\"invalid_payload\"}")).isGreaterThanOrEqualTo(1.0);
    assertThat(FaultInjectionE2EIT.sample(scrape, M + "namespaces_by_result{result=\"upstream_missing\"}")).isGreaterThanOrEqualTo(1.0);
    assertThat(FaultInjectionE2EIT.sample(scrape, M + "namespaces_by_result{result=\"not_owned\"}")).isGreaterThanOrEqualTo(1.0);
    assertThat(FaultInjectionE2EIT.sample(scrape, M + "sweep_keys{stage=\"listed\"}")).isGreaterThanOrEqualTo(2.0);
    assertThat(FaultInjectionE2EIT.sample(scrape, M + "change_detection_fallbacks_total{reason=\"list_denied\"}")).isZero();
    assertThat(scrape).doesNotContain(CANARY).doesNotContain(invalid);
    assertThat(operator.output()).doesNotContain(CANARY);

    ReliabilityRecord.passed("Monitoring", "Every metric name the shipped alert rules and Grafana dashboard query, "
            + "checked against /metrics of the running operator after the seed plan's paths and a sweep",
        "All exported; leader 1, sites by result counted (invalid_payload, upstream_missing, not_owned), "
            + "sweep keys listed; no value in the scrape");
  }
}
