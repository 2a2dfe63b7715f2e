package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sites.deco.buildsecrets.config.OperatorConfig.DeletionBudget;
import sites.deco.buildsecrets.sync.DeletionGuard.Verdict;

class FleetDeletionGuardTest {
  private static final DeletionBudget BUDGET = new DeletionBudget(10, 5);
  private static final Duration WINDOW = Duration.ofMinutes(15);
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  /** A clock the test moves by hand. */
  static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private final FleetView fleet = new FleetView();
  private final List<String> managedNamespaces = new ArrayList<>();
  private final MutableClock clock = new MutableClock(T0);
  private final FleetDeletionGuard guard = new FleetDeletionGuard(fleet, this::managed, BUDGET, WINDOW, clock);

  private Collection<String> managed() {
    return List.copyOf(managedNamespaces);
  }

  private static FleetView.SiteStatus status(Outcome outcome, boolean upstreamMissing, boolean readSinceStart) {
    return new FleetView.SiteStatus(
        outcome, outcome.name(), T0, upstreamMissing ? null : "v1", upstreamMissing, readSinceStart, 0, "fp",
        T0.plusSeconds(600));
  }

  private void addRead(String ns) {
    managedNamespaces.add(ns);
    fleet.record(ns, status(Outcome.UNCHANGED, false, true));
  }

  private void addMissing(String ns) {
    managedNamespaces.add(ns);
    fleet.record(ns, status(Outcome.DELETION_PAUSED, true, true));
  }

  /** What the reconciler does after an allowed deletion: the Secret leaves the managed population. */
  private void deleted(String ns) {
    managedNamespaces.remove(ns);
    fleet.record(ns, status(Outcome.DELETED, true, true));
  }

  /** total managed Secrets, all read since start, of which the first {@code missing} are missing upstream. */
  private void fleetOf(int total, int missing) {
    for (int i = 0; i < total; i++) {
      if (i < missing) addMissing("sites-s" + i);
      else addRead("sites-s" + i);
    }
  }

  private int reserved() {
    return fleet.missingDeletionsSince(Instant.MIN);
  }

  // ---------------------------------------------------------------- complete pass

  @Test
  void managedNamespaceNeverRecordedPausesUntilACompletePass() {
    fleetOf(3, 0);
    managedNamespaces.add("sites-late");

    Verdict verdict = guard.verdict();

    assertThat(verdict.allowed()).isFalse();
    assertThat(verdict.reason()).contains("waiting for a complete pass").contains("1 of 4");
  }

  @Test
  void managedNamespaceRecordedWithoutAReadPausesUntilACompletePass() {
    fleetOf(3, 0);
    managedNamespaces.add("sites-unread");
    fleet.record("sites-unread", status(Outcome.NOT_OWNED, false, false));

    Verdict verdict = guard.verdict();

    assertThat(verdict.allowed()).isFalse();
    assertThat(verdict.reason()).contains("waiting for a complete pass").contains("1 of 4");
  }

  @Test
  void incompletePassPausesEvenWhenNothingIsMissing() {
    managedNamespaces.addAll(List.of("sites-a", "sites-b"));

    Verdict verdict = guard.verdict();

    assertThat(verdict.allowed()).isFalse();
    assertThat(verdict.reason()).contains("waiting for a complete pass").contains("2 of 2");
  }

  // ---------------------------------------------------------------- budget

  @Test
  void completePassWithNothingMissingAllows() {
    fleetOf(20, 0);

    assertThat(guard.verdict()).isEqualTo(Verdict.ALLOW);
  }

  @ParameterizedTest(name = "{1} missing of {0} -> allowed")
  @CsvSource({"20, 5", "20, 1", "1000, 100", "1000, 99", "3, 3"})
  void missingWithinTheBudgetAllows(int total, int missing) {
    fleetOf(total, missing);

    Verdict verdict = guard.verdict();

    assertThat(verdict.allowed()).isTrue();
    assertThat(verdict).isEqualTo(Verdict.ALLOW);
  }

  @ParameterizedTest(name = "{1} missing of {0} -> paused, budget {2}")
  @CsvSource({"20, 6, 5", "1000, 101, 100", "60, 7, 6"})
  void missingOverTheBudgetPausesWithTheCounts(int total, int missing, int allowed) {
    fleetOf(total, missing);

    Verdict verdict = guard.verdict();

    assertThat(verdict.allowed()).isFalse();
    assertThat(verdict.reason())
        .contains(missing + " of " + total + " managed Secrets are missing upstream")
        .contains("budget of " + allowed);
  }

  @Test
  void namespacesNotInTheManagedPopulationDoNotCount() {
    fleetOf(20, 5);
    for (int i = 0; i < 30; i++) {
      fleet.record("sites-gone" + i, status(Outcome.DELETION_PAUSED, true, true));
    }
    fleet.record("sites-never-read", status(Outcome.OPTED_OUT, false, false));

    assertThat(guard.verdict()).isEqualTo(Verdict.ALLOW);
  }

  @Test
  void wrongRegionMakingEveryKeyMissingPausesDeletion() {
    fleetOf(50, 50);

    Verdict verdict = guard.verdict();

    assertThat(verdict.allowed()).isFalse();
    assertThat(verdict.reason()).contains("50 of 50").contains("wrong region or account");
  }

  @Test
  void theManagedPopulationIsReadAtEveryCall() {
    fleetOf(20, 5);
    assertThat(guard.wouldAllow()).isTrue();

    addMissing("sites-one-more");

    Verdict verdict = guard.verdict();
    assertThat(verdict.allowed()).isFalse();
    assertThat(verdict.reason()).contains("6 of 21");
  }

  @Test
  void aSiteWhoseUpstreamCameBackNoLongerCountsAsMissing() {
    fleetOf(20, 6);
    assertThat(guard.wouldAllow()).isFalse();

    fleet.record("sites-s0", status(Outcome.UPDATED, false, true));

    assertThat(guard.wouldAllow()).isTrue();
  }

  // ---------------------------------------------------------------- reservations and the window

  @Test
  void allowedVerdictReservesASlot() {
    fleetOf(20, 1);

    assertThat(guard.verdict().allowed()).isTrue();

    assertThat(reserved()).isEqualTo(1);
  }

  @Test
  void pausedVerdictReservesNothing() {
    fleetOf(20, 6);

    assertThat(guard.verdict().allowed()).isFalse();

    assertThat(reserved()).isZero();
  }

  @Test
  void wouldAllowNeverReserves() {
    fleetOf(20, 1);

    for (int i = 0; i < 10; i++) {
      assertThat(guard.wouldAllow()).isTrue();
    }

    assertThat(reserved()).isZero();
  }

  @Test
  void keysVanishingOneByOneStopAtTheBudget() {
    fleetOf(20, 0);
    List<Boolean> allowed = new ArrayList<>();

    for (int i = 0; i < 8; i++) {
      String ns = "sites-s" + i;
      fleet.record(ns, status(Outcome.DELETION_PAUSED, true, true));
      Verdict verdict = guard.verdict();
      allowed.add(verdict.allowed());
      if (verdict.allowed()) {
        deleted(ns);
      }
      clock.advance(Duration.ofMinutes(1));
    }

    assertThat(allowed).containsExactly(true, true, true, true, true, false, false, false);
  }

  @Test
  void pauseAfterRecentDeletionsSaysSo() {
    fleetOf(20, 0);
    for (int i = 0; i < 5; i++) {
      fleet.record("sites-s" + i, status(Outcome.DELETION_PAUSED, true, true));
      assertThat(guard.verdict().allowed()).isTrue();
      deleted("sites-s" + i);
    }
    fleet.record("sites-s5", status(Outcome.DELETION_PAUSED, true, true));

    Verdict verdict = guard.verdict();

    assertThat(verdict.allowed()).isFalse();
    assertThat(verdict.reason())
        .contains("6 of 20 managed Secrets are missing upstream")
        .contains("5 of them already deleted recently")
        .contains("budget of 5");
  }

  @Test
  void aReservationIsSeenByTheNextVerdictBeforeTheDeleteLands() {
    // 5 of 20 missing: exactly at the budget; the first delete's slot leaves no room for a second
    fleetOf(20, 5);

    assertThat(guard.verdict().allowed()).isTrue();
    Verdict second = guard.verdict();

    assertThat(second.allowed()).isFalse();
    assertThat(second.reason()).contains("already deleted recently");
    assertThat(reserved()).isEqualTo(1);
  }

  @Test
  void deletionsOlderThanTheWindowStopCounting() {
    fleetOf(20, 0);
    for (int i = 0; i < 5; i++) {
      fleet.record("sites-s" + i, status(Outcome.DELETION_PAUSED, true, true));
      assertThat(guard.verdict().allowed()).isTrue();
      deleted("sites-s" + i);
    }
    fleet.record("sites-s5", status(Outcome.DELETION_PAUSED, true, true));
    assertThat(guard.wouldAllow()).isFalse();

    clock.advance(WINDOW.plusSeconds(1));

    assertThat(guard.verdict().allowed()).isTrue();
  }

  @Test
  void deletionExactlyAWindowOldStillCounts() {
    fleetOf(20, 0);
    for (int i = 0; i < 5; i++) {
      fleet.record("sites-s" + i, status(Outcome.DELETION_PAUSED, true, true));
      assertThat(guard.verdict().allowed()).isTrue();
      deleted("sites-s" + i);
    }
    fleet.record("sites-s5", status(Outcome.DELETION_PAUSED, true, true));

    clock.advance(WINDOW);

    assertThat(guard.wouldAllow()).isFalse();
  }
}
