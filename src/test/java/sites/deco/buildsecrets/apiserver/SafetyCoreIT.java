package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The safety core on a real API server: every deletion of a managed Secret is
 * budgeted, a wrong region deletes nothing in any order, a warm restart reads nothing, and drift
 * made while no operator watched is repaired.
 */
class SafetyCoreIT {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final Duration QUIET = Duration.ofSeconds(4);
  private static final int FLEET = 12; // budget: max(5, 10% of 12) = 5

  private final TestBed bed = TestBed.get();
  private OperatorUnderTest op;

  @AfterEach
  void stop() {
    if (op != null) op.close();
  }

  private List<String> fleet(Sites sites) {
    return sites.syncedFleet(FLEET, "s", WITHIN);
  }

  private static void assertAllKeptFor(Sites sites, List<String> all, Duration quiet) {
    await().during(quiet).atMost(quiet.plusSeconds(3)).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
  }

  @Test
  void aMistypedOptInAnnotationDeletesNoSecretAndAnApprovalLetsOneGo() {
    Naming right = Sites.isolated("typo");
    Sites sites = new Sites(bed, right);
    op = OperatorUnderTest.start(bed, right);
    List<String> all = fleet(sites);
    op.close();

    // Restarted with BUILD_SECRETS_MANAGED_ANNOTATION mistyped: every namespace now looks opted out.
    Naming typo = new Naming(right.namespacePrefix(), right.keyTemplate(), right.secretName(),
        right.managedAnnotation() + "d", right.syncAnnotation(), right.versionAnnotation(), right.managedByLabel(),
        right.featureLabel());
    op = OperatorUnderTest.start(bed, typo);
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> !sites.events(s, "DeletionPaused").isEmpty()));
    assertAllKeptFor(sites, all, QUIET);
    assertThat(sites.events(all.get(0), "DeletionPaused").get(0).getMessage())
        .contains("opt-out").contains("12 of 12 managed Secrets would be deleted").contains("the Secret is kept");

    // The deliberate way through: an approval naming this Secret's UID deletes it, and only it.
    String chosen = all.get(0);
    sites.annotate(chosen, Naming.DELETION_APPROVAL_ANNOTATION, sites.secret(chosen).getMetadata().getUid());
    await().atMost(WITHIN).until(() -> sites.secret(chosen) == null);
    assertAllKeptFor(sites, all.subList(1, FLEET), Duration.ofSeconds(2));
    ReliabilityRecord.passed("Deletion guard",
        "Operator restarted with a mistyped opt-in annotation (12 managed Secrets look opted out)",
        "No Secret deleted, each namespace got Warning DeletionPaused naming the opt-out; an approval annotation "
            + "with one Secret's UID deleted that Secret only");
  }

  @Test
  void aBulkOptOutArrivingOneByOneDeletesAtMostTheBudget() {
    Sites sites = new Sites(bed, Sites.isolated("bulk"));
    op = OperatorUnderTest.start(bed, sites.naming);
    List<String> all = fleet(sites);

    for (String s : all) { // kubectl annotate ns a b c ... managed- : one request per namespace
      sites.annotate(s, sites.naming.managedAnnotation(), null);
    }
    await().atMost(WITHIN).until(() ->
        all.stream().allMatch(s -> sites.secret(s) == null || !sites.events(s, "DeletionPaused").isEmpty()));
    List<String> kept = all.stream().filter(s -> sites.secret(s) != null).toList();
    assertThat(FLEET - kept.size()).as("deleted by the bulk opt-out").isLessThanOrEqualTo(5);
    assertAllKeptFor(sites, kept, QUIET);
    assertThat(sites.events(kept.get(0), "DeletionPaused").get(0).getMessage()).contains("opt-out");
    ReliabilityRecord.passed("Deletion guard",
        "Opt-out annotation removed from 12 namespaces one request at a time (budget 5)",
        "At most the budget (5) deleted; the rest kept with Warning DeletionPaused "
            + "naming the opt-out, and still kept after the window");
  }

  @Test
  void aWrongAccountInGetModeWithForceSyncsBeforeAnyListingDeletesNothing() {
    Sites sites = new Sites(bed, Sites.isolated("swapget"));
    op = OperatorUnderTest.start(bed, sites.naming, c -> c.withChangeDetection(OperatorConfig.ChangeDetection.GET));
    List<String> all = fleet(sites);

    // Every key disappears at once (what another region or account looks like) and every
    // namespace reads its key directly, in per-key mode, before anything else happens.
    all.forEach(s -> sites.deleteUpstream(s, false));
    all.forEach(sites::forceSync);
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> !sites.events(s, "DeletionPaused").isEmpty()
        || !sites.events(s, "UpstreamMissing").isEmpty()));
    assertAllKeptFor(sites, all, OperatorUnderTest.CONFIRMATION.plusSeconds(4));
    ReliabilityRecord.passed("Deletion guard",
        "Every key deleted upstream, per-key mode (--change-detection=get), every namespace force-synced at once",
        "No Secret deleted: every deletion waited for its confirmation and corroboration, then paused over budget");
  }

  @Test
  void aLoneUpstreamRemovalIsAppliedAfterTheConfirmationDelay() {
    Sites sites = new Sites(bed, Sites.isolated("lone"));
    op = OperatorUnderTest.start(bed, sites.naming);
    List<String> all = fleet(sites);

    String gone = all.get(3);
    sites.deleteUpstream(gone, false);
    long started = System.nanoTime();
    sites.forceSync(gone);
    await().atMost(WITHIN).until(() -> sites.secret(gone) == null);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(took).isGreaterThanOrEqualTo(OperatorUnderTest.CONFIRMATION);
    assertAllKeptFor(sites, all.stream().filter(s -> !s.equals(gone)).toList(), Duration.ofSeconds(2));
    ReliabilityRecord.passed("Deletion guard", "One upstream key deleted, its namespace force-synced",
        "Secret deleted after the confirmation delay and a clean corroboration read of other keys; the others kept");
  }

  @Test
  void aWarmRestartReadsNoKeyAndRepairsDriftMadeWhileStopped() {
    Sites sites = new Sites(bed, Sites.isolated("warm"));
    op = OperatorUnderTest.start(bed, sites.naming);
    List<String> all = fleet(sites);
    op.close();

    // Edited by hand while no operator was watching: same version annotation, other data.
    String drifted = all.get(5);
    bed.admin().secrets().inNamespace(sites.ns(drifted)).withName(sites.naming.secretName())
        .edit(s -> {
          s.getData().put("A", java.util.Base64.getEncoder().encodeToString("tampered".getBytes()));
          return s;
        });
    Map<String, String> rvs = new java.util.HashMap<>();
    all.forEach(s -> rvs.put(s, sites.secret(s).getMetadata().getResourceVersion()));

    op = OperatorUnderTest.start(bed, sites.naming);
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(drifted))).containsEntry("A", drifted));
    await().during(QUIET).atMost(QUIET.plusSeconds(3)).until(() -> op.source.singleReads() == 0);
    assertThat(op.source.batchCalls()).as("one batch read, for the drifted Secret only").isEqualTo(1);
    assertThat(op.source.reads(sites.key(drifted))).isEqualTo(1);
    for (String s : all) {
      if (!s.equals(drifted)) {
        Secret now = sites.secret(s);
        assertThat(now.getMetadata().getResourceVersion()).as(s + " not rewritten").isEqualTo(rvs.get(s));
      }
    }
    ReliabilityRecord.passed("Warm restart",
        "Operator restarted over 12 in-sync Secrets, one edited by hand while it was stopped",
        "No per-key read; one batch read for the edited Secret, which was repaired; no other Secret written");
  }

  @Test
  void aSecretWriteThatFailsWithA5xxIsRetriedWithinSecondsWithTheSameAnswer() throws Exception {
    Sites sites = new Sites(bed, Sites.isolated("w5xx"));
    op = OperatorUnderTest.start(bed, sites.naming);
    String site = Sites.fresh("w");
    sites.putUpstream(site, "{\"A\":\"one\"}");
    sites.createNamespace(site, "enabled");
    await().atMost(WITHIN).until(() -> sites.secret(site) != null);

    // A webhook that nobody answers, with failurePolicy Fail: the API server itself answers every
    // Secret write in this namespace with HTTP 500.
    int deadPort = TestBed.freePortForDaemon();
    var webhook = new io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder()
        .withNewMetadata().withName("fail-" + sites.ns(site)).endMetadata()
        .addNewWebhook()
        .withName("fail.build-secrets.test")
        .withAdmissionReviewVersions("v1")
        .withSideEffects("None")
        .withFailurePolicy("Fail")
        .withTimeoutSeconds(2)
        .withNewClientConfig().withUrl("https://127.0.0.1:" + deadPort + "/validate").endClientConfig()
        .withNewNamespaceSelector().addToMatchLabels("kubernetes.io/metadata.name", sites.ns(site)).endNamespaceSelector()
        .addNewRule().withApiGroups("").withApiVersions("v1").withOperations("CREATE", "UPDATE", "DELETE")
        .withResources("secrets").endRule()
        .endWebhook()
        .build();
    bed.admin().admissionRegistration().v1().validatingWebhookConfigurations().resource(webhook).create();
    try {
      sites.putUpstream(site, "{\"A\":\"two\"}");
      sites.forceSync(site);
      // The test bed's client retries a 5xx inside fabric8 for ~20 s before the operator sees it.
      await().atMost(Duration.ofSeconds(120)).until(() -> !sites.events(site, "WriteFailed").isEmpty());
      assertThat(sites.events(site, "WriteFailed").get(0).getMessage()).contains("HTTP 500").contains("retrying");
      assertThat(Sites.decoded(sites.secret(site))).containsEntry("A", "one");
    } finally {
      bed.admin().admissionRegistration().v1().validatingWebhookConfigurations().resource(webhook).delete();
    }
    int readsBefore = op.source.reads(sites.key(site));
    await().atMost(WITHIN).untilAsserted(() -> assertThat(Sites.decoded(sites.secret(site))).containsEntry("A", "two"));
    assertThat(op.source.reads(sites.key(site))).as("the retry applied the answer already read").isEqualTo(readsBefore);
    ReliabilityRecord.passed("Secret writes",
        "Every Secret write in one namespace answered HTTP 500 by the API server (a failing webhook)",
        "Retried within seconds with the same upstream answer (no new read), Warning WriteFailed after 3 failures, "
            + "applied once the API server accepted writes again");
  }
}
