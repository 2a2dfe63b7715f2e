package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Watcher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.FaultProxy;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The safety core with the built jar: a mistyped opt-in annotation in the environment,
 * another region in per-key mode with every namespace force-synced, and drift made while no
 * operator ran. Each starts from a fleet the jar itself wrote.
 */
class SafetyCoreE2EIT {
  private static final int FLEET = 12; // budget: max(5, 10% of 12) = 5
  private static final Duration WITHIN = Duration.ofSeconds(40);
  private static final Duration QUIET = Duration.ofSeconds(6);

  private final TestBed bed = TestBed.get();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) c.close();
  }

  private OperatorProcess operator(Sites sites, String name, Map<String, String> env, String... flags) {
    List<String> all = new ArrayList<>(List.of("--log-format=console", "--build-secrets-resync-period=5s",
        "--deletion-confirmation-delay=2s",
        "--namespace-prefix=" + sites.naming.namespacePrefix(), "--key-template=" + sites.naming.keyTemplate()));
    all.addAll(List.of(flags));
    OperatorProcess p = OperatorProcess.start(bed, name, env, all.toArray(String[]::new)).awaitReady();
    open.add(p);
    return p;
  }

  private static List<String> fleet(Sites sites) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < FLEET; i++) {
      String site = Sites.fresh("e");
      sites.putUpstream(site, "{\"A\":\"" + site + "\"}");
      sites.createNamespace(site, "enabled");
      all.add(site);
    }
    return all;
  }

  private static Map<String, String> resourceVersions(Sites sites, List<String> all) {
    Map<String, String> out = new HashMap<>();
    all.forEach(s -> out.put(s, sites.secret(s).getMetadata().getResourceVersion()));
    return out;
  }

  private SecretEvents watch(Sites sites) {
    SecretEvents events = new SecretEvents(bed.admin(), sites.naming.namespacePrefix(), sites.naming.secretName());
    open.add(events::close);
    return events;
  }

  private static long metric(OperatorProcess p, String prefix) {
    return p.metrics().lines().filter(l -> l.startsWith(prefix))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void aMistypedOptInAnnotationInTheEnvironmentDeletesNothing() {
    Sites sites = new Sites(bed, Sites.isolated("typo-e2e"));
    List<String> all = fleet(sites);
    OperatorProcess right = operator(sites, "typo-right", Map.of());
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    right.stop();
    Map<String, String> before = resourceVersions(sites, all);
    SecretEvents events = watch(sites);

    OperatorProcess typo = operator(sites, "typo-env",
        Map.of("BUILD_SECRETS_MANAGED_ANNOTATION", sites.naming.managedAnnotation() + "d"));
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> !sites.events(s, "DeletionPaused").isEmpty()));
    await().during(QUIET).atMost(QUIET.plusSeconds(4)).until(() -> resourceVersions(sites, all).equals(before));
    assertThat(events.total(Watcher.Action.DELETED)).isZero();
    assertThat(sites.events(all.get(0), "DeletionPaused").get(0).getMessage()).contains("opt-out");
    await().atMost(WITHIN).until(() ->
        metric(typo, "deco_operator_buildsecrets_deletions_paused{cause=\"opted_out\"}") == FLEET);
    ReliabilityRecord.passed("Deletion guard",
        "Jar started with BUILD_SECRETS_MANAGED_ANNOTATION mistyped (12 managed Secrets look opted out)",
        "No Secret deleted or rewritten; Warning DeletionPaused naming the opt-out in every namespace; "
            + "deletions_paused{cause=\"opted_out\"} = 12");
  }

  @Test
  void anotherRegionInPerKeyModeWithEveryNamespaceForceSyncedDeletesNothing() throws Exception {
    Sites sites = new Sites(bed, Sites.isolated("swap-e2e"));
    List<String> all = fleet(sites);
    FaultProxy proxy = new FaultProxy(bed.motoUrl());
    open.add(proxy);
    OperatorProcess op = operator(sites, "swap-get", Map.of("AWS_ENDPOINT_URL_SECRETS_MANAGER", proxy.url()),
        "--change-detection=get");
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    Map<String, String> before = resourceVersions(sites, all);
    SecretEvents events = watch(sites);

    proxy.toRegion("us-east-1", "eu-west-1");
    all.forEach(sites::forceSync); // direct reads before anything else
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> !sites.events(s, "DeletionPaused").isEmpty()));
    await().during(QUIET).atMost(QUIET.plusSeconds(4)).until(() -> resourceVersions(sites, all).equals(before));
    assertThat(events.total(Watcher.Action.DELETED)).isZero();

    proxy.passThrough();
    all.forEach(sites::forceSync);
    await().atMost(WITHIN).until(() -> metric(op, "deco_operator_buildsecrets_deletions_paused") == 0);
    assertThat(resourceVersions(sites, all)).isEqualTo(before);
    ReliabilityRecord.passed("Deletion guard",
        "Jar in per-key mode pointed at another region while running, every namespace force-synced at once",
        "No Secret deleted or rewritten (Warning DeletionPaused everywhere); pointed back and force-synced, "
            + "every pause lifted with no write");
  }

  @Test
  void driftMadeWhileNoOperatorRanIsRepairedWithoutAPerKeyRead() {
    Sites sites = new Sites(bed, Sites.isolated("drift-e2e"));
    List<String> all = fleet(sites);
    OperatorProcess first = operator(sites, "drift-first", Map.of());
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    first.stop();

    String drifted = all.get(2);
    bed.admin().secrets().inNamespace(sites.ns(drifted)).withName(sites.naming.secretName()).edit(s -> {
      s.getData().put("A", Base64.getEncoder().encodeToString("edited-by-hand".getBytes(StandardCharsets.UTF_8)));
      return s;
    });
    Map<String, String> before = resourceVersions(sites, all);
    SecretEvents events = watch(sites);

    OperatorProcess second = operator(sites, "drift-second", Map.of());
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(drifted))).containsEntry("A", drifted));
    await().during(QUIET).atMost(QUIET.plusSeconds(4)).until(() ->
        all.stream().filter(s -> !s.equals(drifted)).allMatch(s ->
            sites.secret(s).getMetadata().getResourceVersion().equals(before.get(s))));
    assertThat(events.count(sites.ns(drifted), Watcher.Action.MODIFIED)).isEqualTo(1);
    assertThat(metric(second, "deco_operator_buildsecrets_source_requests_total{operation=\"GetSecretValue\""))
        .as("per-key reads after a warm restart").isZero();
    ReliabilityRecord.passed("Warm restart",
        "Jar restarted over 12 in-sync Secrets, one edited by hand while no operator ran",
        "The edited Secret repaired with one write, found by its digest (no GetSecretValue at all); "
            + "the other 11 not written");
  }
}
