package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.sync.DeletionApproval;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.SimulatedClock;
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

  @Test
  void aRestartRemembersTheTripSoAPartlyUndoneBulkOptOutStaysPaused() {
    Naming naming = Sites.isolated("guard-ledger");
    Sites sites = new Sites(bed, naming);
    OperatorConfig.DeletionLedgerLocation ledger =
        new OperatorConfig.DeletionLedgerLocation("default", Sites.fresh("guard-ledger"));
    UnaryOperator<OperatorConfig> withLedger = c -> c.withDeletionLedger(ledger);
    op = OperatorUnderTest.start(bed, naming, withLedger);
    List<String> all = fleet(sites);
    op.close();

    // A bulk opt-out of 8 (budget 5), made while no operator runs so that the next one sees it
    // whole: nothing is deleted, and the ledger records the trip.
    List<String> optedOut = all.subList(0, 8);
    optedOut.forEach(s -> sites.annotate(s, naming.managedAnnotation(), null));
    op = OperatorUnderTest.start(bed, naming, withLedger);
    await().atMost(WITHIN).until(() -> op.store.pausedDeletions().size() == optedOut.size());
    await().atMost(WITHIN).until(() -> ledgerData(ledger).containsKey(ConfigMapDeletionLedger.TRIPPED_SINCE));
    op.close();

    // Half undone while no operator runs: three opt-outs are left, within the budget of 5.
    List<String> leftOver = optedOut.subList(5, 8);
    optedOut.subList(0, 5).forEach(sites::optIn);
    op = OperatorUnderTest.start(bed, naming, withLedger);

    await().atMost(WITHIN).until(() -> op.store.pausedDeletions().containsAll(leftOver.stream().map(sites::ns).toList()));
    await().during(QUIET).atMost(QUIET.plusSeconds(2)).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    assertThat(sites.events(leftOver.get(0), "DeletionPaused")).extracting(e -> e.getMessage())
        .anySatisfy(m -> assertThat(m).contains("paused since the budget was exceeded").contains("3 of 12"));

    // The way through still works after the restart: an approval per Secret.
    leftOver.forEach(s -> sites.annotate(s, Naming.DELETION_APPROVAL_ANNOTATION, sites.secret(s).getMetadata().getUid()));
    await().atMost(WITHIN).until(() -> leftOver.stream().allMatch(s -> sites.secret(s) == null));
    ReliabilityRecord.passed("Deletion guard",
        "Bulk opt-out of 8 of 12 (budget 5), operator stopped, 5 opted back in, operator restarted",
        "The trip was kept in the deletion ledger ConfigMap: the 3 left over stayed paused after the restart "
            + "(within the budget, but the mistake was not undone), and went once each was approved");
  }

  @Test
  void aMassRemovalOfKeysUpstreamEmptiesAtMostTheBudgetAndRestoringUpstreamRestoresAll() {
    Sites sites = new Sites(bed, Sites.isolated("emptied"));
    op = OperatorUnderTest.start(bed, sites.naming);
    List<String> all = fleet(sites);

    // A broken admin tool writes {} to every site at once, and each is force-synced.
    all.forEach(s -> sites.putUpstream(s, "{}"));
    all.forEach(sites::forceSync);
    await().atMost(WITHIN).until(() -> all.stream()
        .allMatch(s -> data(sites, s).isEmpty() || !sites.events(s, "DeletionPaused").isEmpty()));
    List<String> emptied = all.stream().filter(s -> data(sites, s).isEmpty()).toList();
    List<String> kept = all.stream().filter(s -> !emptied.contains(s)).toList();
    assertThat(emptied.size()).as("emptied by the bulk write").isLessThanOrEqualTo(5);
    await().during(QUIET).atMost(QUIET.plusSeconds(2))
        .until(() -> kept.stream().allMatch(s -> data(sites, s).equals(Map.of("A", s))));
    assertThat(sites.events(kept.get(0), "DeletionPaused")).extracting(e -> e.getMessage())
        .anySatisfy(m -> assertThat(m).contains("keys removed").contains("removed [A]")
            .contains("the Secret keeps its current data"));

    // A deliberate removal goes through per Secret, with an approval naming the Secret's state.
    String chosen = kept.get(0);
    Secret before = sites.secret(chosen);
    sites.annotate(chosen, Naming.DELETION_APPROVAL_ANNOTATION,
        DeletionApproval.ofState(before.getMetadata().getUid(), before.getMetadata().getResourceVersion()));
    await().atMost(WITHIN).until(() -> data(sites, chosen).isEmpty());
    assertThat(kept.subList(1, kept.size())).allMatch(s -> data(sites, s).equals(Map.of("A", s)));

    // Restoring upstream restores every Secret: adding keys is never budgeted.
    all.forEach(s -> sites.putUpstream(s, "{\"A\":\"" + s + "\"}"));
    all.forEach(sites::forceSync);
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> data(sites, s).equals(Map.of("A", s))));
    ReliabilityRecord.passed("Deletion guard",
        "Every upstream value replaced by {} (a bad bulk write), each namespace force-synced (12 sites, budget 5)",
        "At most the budget (5) emptied; the rest kept their data with Warning DeletionPaused (keys removed "
            + "upstream); an approval naming one Secret's state emptied that one only; restoring upstream restored all");
  }

  @Test
  void aSlowTrickleOfOptOutsAcrossARestartDeletesAtMostTheBudget() {
    Naming naming = Sites.isolated("trickle");
    Sites sites = new Sites(bed, naming);
    SimulatedClock clock = new SimulatedClock();
    OperatorConfig.DeletionLedgerLocation ledger =
        new OperatorConfig.DeletionLedgerLocation("default", Sites.fresh("trickle-ledger"));
    // A 30 s resync: one opt-out per simulated minute is far apart for it, yet all within the window.
    UnaryOperator<OperatorConfig> config = c -> c.withResyncPeriod(Duration.ofSeconds(30)).withDeletionLedger(ledger)
        .withDeletionBudget(new OperatorConfig.DeletionBudget(10, 3, Duration.ofHours(1)));
    op = OperatorUnderTest.start(bed, naming, config, clock);
    List<String> all = fleet(sites);

    List<String> optedOut = all.subList(0, 8);
    for (String s : optedOut) {
      if (s.equals(optedOut.get(2))) { // a restart, with two deletions sent this simulated hour
        op.close();
        op = OperatorUnderTest.start(bed, naming, config, clock);
      }
      sites.annotate(s, naming.managedAnnotation(), null);
      await().atMost(WITHIN).until(() -> sites.secret(s) == null || !sites.events(s, "DeletionPaused").isEmpty());
      clock.advance(Duration.ofMinutes(1));
    }

    assertThat(optedOut.stream().filter(s -> sites.secret(s) == null)).as("deleted").hasSize(3);
    await().during(QUIET).atMost(QUIET.plusSeconds(2))
        .until(() -> optedOut.subList(3, 8).stream().allMatch(s -> sites.secret(s) != null));
    ReliabilityRecord.passed("Deletion guard",
        "Opt-outs trickling in one per simulated minute against a 30s resync (budget 3 per hour), "
            + "operator restarted after the second",
        "Exactly the budget (3) deleted: the window is the budget's own, and the ledger carried the first two "
            + "across the restart; the other five kept with Warning DeletionPaused");
  }

  private static Map<String, String> data(Sites sites, String site) {
    return Sites.decoded(sites.secret(site));
  }

  private Map<String, String> ledgerData(OperatorConfig.DeletionLedgerLocation ledger) {
    ConfigMap c = bed.admin().configMaps().inNamespace(ledger.namespace()).withName(ledger.name()).get();
    return c == null || c.getData() == null ? Map.of() : c.getData();
  }
}
