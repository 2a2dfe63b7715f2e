package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The mass-deletion guard on a real API server: an emptied upstream, or an operator pointed at the
 * wrong account, never deletes more than the budget; the pause lifts by itself.
 */
class DeletionGuardIT {
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
    return sites.syncedFleet(FLEET, "g", WITHIN);
  }

  @Test
  void anEmptiedUpstreamDeletesNothingAndLeftoversNeedAnApproval() {
    Sites sites = new Sites(bed, Sites.isolated("guard"));
    // A short resync, so the budget window passes within the test: waiting must not let anything through.
    op = OperatorUnderTest.start(bed, sites.naming, c -> c.withResyncPeriod(Duration.ofSeconds(8)));
    List<String> all = fleet(sites);

    all.forEach(s -> sites.deleteUpstream(s, false));
    all.forEach(sites::forceSync);
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> !sites.events(s, "DeletionPaused").isEmpty()));
    await().during(QUIET).atMost(QUIET.plusSeconds(2)).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    // The namespace that tripped the guard says "over the deletion budget of 5"; the later ones say
    // the guard is latched. Either way the message names the budget and the cause.
    List<String> messages = all.stream().flatMap(s -> sites.events(s, "DeletionPaused").stream())
        .map(e -> e.getMessage()).toList();
    assertThat(messages).anySatisfy(m -> assertThat(m).contains("over the deletion budget of 5"));
    assertThat(messages).allSatisfy(m ->
        assertThat(m).contains("upstream missing").contains("budget").contains("the Secret is kept"));

    // All keys but two come back: those are updated with no write... and the two still missing stay,
    // through more than one budget window: the guard is latched until each is approved.
    List<String> stillGone = all.subList(0, 2);
    all.stream().filter(s -> !stillGone.contains(s)).forEach(s -> sites.putUpstream(s, "{\"A\":\"" + s + "\"}"));
    all.forEach(sites::forceSync);
    await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(14))
        .until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    stillGone.forEach(s -> sites.annotate(s, Naming.DELETION_APPROVAL_ANNOTATION, sites.secret(s).getMetadata().getUid()));
    await().atMost(WITHIN).until(() -> stillGone.stream().allMatch(s -> sites.secret(s) == null));
    assertThat(all.stream().filter(s -> !stillGone.contains(s))).allMatch(s -> sites.secret(s) != null);
    ReliabilityRecord.passed("Deletion guard",
        "Every upstream key deleted, each namespace force-synced at once (12 managed Secrets, budget 5)",
        "No Secret deleted (Warning DeletionPaused everywhere); with all but two keys back, those two stayed through "
            + "more than a budget window and were deleted once each was approved");
  }

  @Test
  void aWrongAccountAtStartUpDeletesNothing() {
    Naming right = Sites.isolated("guard-start");
    Sites sites = new Sites(bed, right);
    op = OperatorUnderTest.start(bed, right);
    List<String> all = fleet(sites);
    op.close();

    // Same namespaces, but every key now resolves to nothing, as in another account or region.
    Naming wrong = new Naming(right.namespacePrefix(), "elsewhere/{site}/build", right.secretName(),
        right.managedAnnotation(), right.syncAnnotation(), right.versionAnnotation(), right.managedByLabel(),
        right.featureLabel());
    op = OperatorUnderTest.start(bed, wrong);

    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> !sites.events(s, "DeletionPaused").isEmpty()));
    await().during(QUIET).atMost(QUIET.plusSeconds(2))
        .until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    assertThat(op.store.pausedDeletions()).hasSize(FLEET);
    ReliabilityRecord.passed("Deletion guard", "Operator restarted with a key template that matches no key (12 managed Secrets)",
        "Every managed Secret paused (Warning DeletionPaused), none deleted");
  }
}
