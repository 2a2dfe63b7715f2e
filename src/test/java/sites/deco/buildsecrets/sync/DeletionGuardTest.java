package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig.DeletionBudget;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.DeletionGuard.Admission;
import sites.deco.buildsecrets.sync.DeletionGuard.Allowed;
import sites.deco.buildsecrets.sync.DeletionGuard.Confirming;
import sites.deco.buildsecrets.sync.DeletionGuard.Corroborate;
import sites.deco.buildsecrets.sync.DeletionGuard.Paused;

/** Fleet-wide consent for budgeted deletions, against a hand-made census and a clock the test moves. */
class DeletionGuardTest {
  private static final Duration WINDOW = Duration.ofMinutes(15);
  private static final DeletionBudget BUDGET = new DeletionBudget(10, 5, WINDOW);
  private static final Duration CONFIRMATION = Duration.ofMinutes(10);
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final Upstream MISSING = new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
  private static final Upstream FOUND = new Upstream.Found(SecretData.fromStrings(Map.of("A", "1")), "v1");

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

  /**
   * A ledger in memory with the ConfigMap's versioning: the test can make it unreadable or
   * unwritable, have another writer write to it in between, and restart a guard over it.
   */
  static final class TestLedger implements DeletionLedger {
    private DeletionLedger.State stored = DeletionLedger.State.EMPTY;
    boolean failLoads;
    boolean failSaves;
    int loads;
    int saves;

    DeletionLedger.State saved() {
      return stored;
    }

    /** Another operator process saves {@code theirs} now, behind the guard's back. */
    void anotherWriterSaves(DeletionLedger.State theirs) {
      stored = stored.merge(theirs);
      version++;
    }

    /** Versions as resourceVersions: the ledger's, and the one this process last read or wrote. */
    private int version;
    private int seen;

    @Override
    public DeletionLedger.State load() throws Unavailable {
      loads++;
      if (failLoads) {
        throw new Unavailable("cannot read ConfigMap ops/ledger: HTTP 403", null);
      }
      seen = version;
      return stored;
    }

    /** Like the ConfigMap on a conflict: whatever another writer saved since this process last looked is kept. */
    @Override
    public DeletionLedger.State save(DeletionLedger.State state) throws Unavailable {
      saves++;
      if (failSaves) {
        throw new Unavailable("cannot write ConfigMap ops/ledger: HTTP 503", null);
      }
      DeletionLedger.State written = seen == version ? state : stored.merge(state);
      stored = written;
      seen = ++version;
      return written;
    }

    @Override
    public String describe() {
      return "ConfigMap ops/ledger";
    }
  }

  private final MutableClock clock = new MutableClock(T0);
  private SiteStore store = new SiteStore();
  private final TestLedger ledger = new TestLedger();
  /** The informer caches' managed Secrets, by namespace. */
  private final Map<String, FleetCensus.Member> census = new LinkedHashMap<>();
  private DeletionGuard guard = guard(BUDGET);

  private DeletionGuard guard(DeletionBudget budget) {
    return new DeletionGuard(store, ledger, () -> new FleetCensus(List.copyOf(census.values())), budget,
        CONFIRMATION, clock);
  }

  private static String ns(int i) {
    return "sites-s" + i;
  }

  private static String uid(String ns) {
    return "uid-" + ns;
  }

  // ---------------------------------------------------------------- the fleet

  /** {@code total} managed Secrets in opted-in namespaces, each read present since start-up. */
  private void fleetOf(int total) {
    for (int i = 0; i < total; i++) {
      put(ns(i), true, false, false);
      store.noteRead(ns(i), FOUND, clock.instant());
    }
  }

  private void put(String ns, boolean optedIn, boolean terminating, boolean approved) {
    census.put(ns, new FleetCensus.Member(ns, uid(ns), optedIn, terminating, approved, approved));
  }

  private void optOut(String ns) {
    FleetCensus.Member m = census.get(ns);
    put(ns, false, m.terminating(), m.approvedDeletion());
  }

  private void optBackIn(String ns) {
    FleetCensus.Member m = census.get(ns);
    put(ns, true, m.terminating(), m.approvedDeletion());
  }

  private void approve(String ns) {
    FleetCensus.Member m = census.get(ns);
    put(ns, m.optedIn(), m.terminating(), true);
  }

  /** A direct read (or the listing) found the key missing, now. */
  private void goMissing(String ns) {
    store.noteRead(ns, MISSING, clock.instant());
  }

  /** The Secret is gone from the caches after its deletion. */
  private void deleted(String ns) {
    census.remove(ns);
  }

  private SiteRef site(String ns) {
    FleetCensus.Member m = census.get(ns);
    return new SiteRef(ns, ns.substring("sites-".length()), "sites/" + ns.substring("sites-".length()) + "/build",
        m == null || m.optedIn() ? Naming.OPT_IN_VALUE : null, m != null && m.terminating(), null);
  }

  private Admission admit(String ns, DeletionCause cause) {
    boolean approved = census.containsKey(ns) && census.get(ns).approvedDeletion();
    return guard.admit(site(ns), new Plan.Delete(SyncFixtures.managedIn(ns, uid(ns)), cause, "test"), approved);
  }

  private Admission admitOptOut(String ns) {
    return admit(ns, DeletionCause.OPTED_OUT);
  }

  private Admission admitMissing(String ns) {
    return admit(ns, DeletionCause.UPSTREAM_MISSING);
  }

  /** The Secrets whose deletion the ledger counts against the budget now. */
  private java.util.Set<String> sentUids() {
    return ledger.saved().uidsSince(clock.instant().minus(WINDOW));
  }

  private int reserved() {
    return sentUids().size();
  }

  /** A new process: fresh per-site state, the same ledger (and the same informer caches once synced). */
  private void restart() {
    store = new SiteStore();
    guard = guard(BUDGET);
  }

  /** The new process's first sweep: every opted-in key read present again. */
  private void everyKeyReadAgain() {
    census.values().stream().filter(FleetCensus.Member::optedIn).forEach(m -> store.noteRead(m.namespace(), FOUND,
        clock.instant()));
  }

  /** A fleet of 20 whose first five opted out one by one and were deleted: the budget is used up. */
  private void fiveOptOutsDeleted() {
    fleetOf(20);
    for (int i = 0; i < 5; i++) {
      optOut(ns(i));
      assertThat(admitOptOut(ns(i))).as(ns(i)).isInstanceOf(Allowed.class);
      deleted(ns(i));
    }
  }

  /** A fleet of 20, all read, whose first key went missing a confirmation delay ago. */
  private void missingForTheConfirmationDelay() {
    fleetOf(20);
    goMissing(ns(0));
    clock.advance(CONFIRMATION);
  }

  private static String reason(Admission a) {
    assertThat(a).isInstanceOf(Paused.class);
    return ((Paused) a).reason();
  }

  // ---------------------------------------------------------------- the budget

  @Nested
  class Budget {

    @Test
    void aCensusWhereEveryMemberIsOptedOutPausesTheVeryFirstDeletion() {
      // A mistyped opt-in annotation in the chart: every namespace looks opted out at once.
      fleetOf(20);
      census.keySet().forEach(DeletionGuardTest.this::optOut);

      Admission first = admitOptOut(ns(0));

      assertThat(reason(first))
          .contains("20 of 20 managed Secrets would be deleted (20 opt-out, 0 upstream missing)")
          .contains("over the deletion budget of 5")
          .contains("configuration mistake");
      assertThat(reserved()).isZero();
      for (int i = 1; i < 20; i++) {
        assertThat(admitOptOut(ns(i))).as(ns(i)).isInstanceOf(Paused.class);
      }
      assertThat(reserved()).as("nothing deleted").isZero();
    }

    @ParameterizedTest(name = "{1} opted out of {0} -> allowed")
    @CsvSource({"20, 5", "20, 1", "1000, 100", "1000, 99", "3, 3"})
    void optOutsWithinTheBudgetAreAllAllowed(int total, int optedOut) {
      fleetOf(total);
      for (int i = 0; i < optedOut; i++) {
        optOut(ns(i));
      }

      for (int i = 0; i < optedOut; i++) {
        assertThat(admitOptOut(ns(i))).as(ns(i)).isInstanceOf(Allowed.class);
      }
      assertThat(reserved()).isEqualTo(optedOut);
    }

    @ParameterizedTest(name = "{1} opted out of {0} -> paused, budget {2}")
    @CsvSource({"20, 6, 5", "1000, 101, 100", "60, 7, 6"})
    void optOutsOverTheBudgetPauseWithTheCounts(int total, int optedOut, int allowed) {
      fleetOf(total);
      for (int i = 0; i < optedOut; i++) {
        optOut(ns(i));
      }

      assertThat(reason(admitOptOut(ns(0))))
          .contains(optedOut + " of " + total + " managed Secrets would be deleted (" + optedOut + " opt-out")
          .contains("budget of " + allowed);
      assertThat(reserved()).isZero();
    }

    @Test
    void optOutsArrivingOneByOneStopAtTheBudgetAndThePauseNamesTheCause() {
      fleetOf(20);
      List<Boolean> allowed = new ArrayList<>();
      Admission last = null;

      for (int i = 0; i < 8; i++) {
        optOut(ns(i));
        last = admitOptOut(ns(i));
        allowed.add(last instanceof Allowed);
        if (last instanceof Allowed) {
          deleted(ns(i));
        }
        clock.advance(Duration.ofMinutes(1));
      }

      assertThat(allowed).containsExactly(true, true, true, true, true, false, false, false);
      assertThat(reserved()).isEqualTo(5);
      assertThat(reason(last)).contains("opt-out");
    }

    @Test
    void thePauseAfterRecentDeletionsSaysSo() {
      fiveOptOutsDeleted();
      optOut(ns(5));

      assertThat(reason(admitOptOut(ns(5))))
          .contains("1 of 15 managed Secrets would be deleted (1 opt-out, 0 upstream missing)")
          .contains("and 5 were deleted recently")
          .contains("budget of 5");
    }

    @Test
    void aSecretAlreadyDeletedButStillInTheCensusIsNotCountedTwice() {
      // The delete was sent, but the informer cache still holds the Secret: counted once, as recent.
      fleetOf(20);
      for (int i = 0; i < 5; i++) {
        optOut(ns(i));
      }

      for (int i = 0; i < 5; i++) {
        assertThat(admitOptOut(ns(i))).as(ns(i)).isInstanceOf(Allowed.class); // never deleted(): cache lag
      }
      optOut(ns(5));

      assertThat(reason(admitOptOut(ns(5))))
          .contains("1 of 15 managed Secrets would be deleted (1 opt-out, 0 upstream missing) and 5 were deleted "
              + "recently");
    }

    @Test
    void aReservationIsSeenByTheNextAdmissionBeforeTheDeleteLands() {
      // 5 of 20 opted out plus a 6th: over budget from the start; 5 of 20: exactly at it.
      fleetOf(20);
      for (int i = 0; i < 5; i++) {
        optOut(ns(i));
      }
      assertThat(admitOptOut(ns(0))).isInstanceOf(Allowed.class);
      optOut(ns(5));

      assertThat(reason(admitOptOut(ns(1)))).contains("5 of 19").contains("1 were deleted recently");
      assertThat(reserved()).isEqualTo(1);
    }

    @Test
    void missingKeysCountTowardsTheSameBudgetAsOptOuts() {
      fleetOf(20);
      for (int i = 0; i < 3; i++) {
        optOut(ns(i));
      }
      for (int i = 3; i < 6; i++) {
        goMissing(ns(i));
      }

      assertThat(reason(admitOptOut(ns(0))))
          .contains("6 of 20 managed Secrets would be deleted (3 opt-out, 3 upstream missing)");
    }

    @Test
    void anOptedOutNamespaceWhoseKeyIsMissingIsCountedOnce() {
      fleetOf(20);
      for (int i = 0; i < 5; i++) {
        optOut(ns(i));
        goMissing(ns(i));
      }

      assertThat(admitOptOut(ns(0))).isInstanceOf(Allowed.class);
    }

    @Test
    void deletionsOlderThanTheWindowStopCounting() {
      fiveOptOutsDeleted();
      optOut(ns(5));
      assertThat(guard.wouldAllowAny()).isFalse();

      clock.advance(WINDOW.plusSeconds(1));

      assertThat(guard.wouldAllowAny()).isTrue();
      assertThat(admitOptOut(ns(5))).isInstanceOf(Allowed.class);
    }

    @Test
    void aDeletionExactlyAWindowOldStillCounts() {
      fiveOptOutsDeleted();
      optOut(ns(5));

      clock.advance(WINDOW);

      assertThat(guard.wouldAllowAny()).isFalse();
    }

    @Test
    void wouldAllowAnyNeverReserves() {
      fleetOf(20);
      optOut(ns(0));

      for (int i = 0; i < 10; i++) {
        assertThat(guard.wouldAllowAny()).isTrue();
      }

      assertThat(reserved()).isZero();
    }

    @Test
    void aPausedAdmissionReservesNothing() {
      fleetOf(20);
      for (int i = 0; i < 6; i++) {
        optOut(ns(i));
      }

      assertThat(admitOptOut(ns(0))).isInstanceOf(Paused.class);

      assertThat(reserved()).isZero();
    }

    @Test
    void terminatingNamespacesAreNotPartOfThePopulation() {
      fleetOf(20);
      for (int i = 10; i < 20; i++) {
        put(ns(i), false, true, false); // being deleted with their namespaces
      }
      for (int i = 0; i < 5; i++) {
        optOut(ns(i));
      }

      // 5 of 10 is within the minimum of 5; the ten terminating ones are neither candidates nor population.
      assertThat(admitOptOut(ns(0))).isInstanceOf(Allowed.class);
      optOut(ns(5));
      assertThat(reason(admitOptOut(ns(1)))).contains("5 of 9");
    }
  }

  // ---------------------------------------------------------------- latched

  @Nested
  class Latched {

    /** Opt-outs one by one until the guard trips: s0..s4 deleted, s5 paused. */
    private void tripOverTheBudget() {
      fleetOf(20);
      for (int i = 0; i < 6; i++) {
        optOut(ns(i));
        Admission a = admitOptOut(ns(i));
        if (a instanceof Allowed) {
          deleted(ns(i));
        }
      }
      assertThat(census).containsKey(ns(5));
    }

    @Test
    void afterAPauseALaterOptOutPausesTooEvenOnceTheWindowHasRefilled() {
      tripOverTheBudget();

      clock.advance(WINDOW.plusMinutes(1));
      optOut(ns(6));

      assertThat(reason(admitOptOut(ns(6)))).contains("paused since the budget was exceeded")
          .contains("2 of 15").contains("approve");
      assertThat(reason(admitOptOut(ns(5)))).contains("paused since the budget was exceeded");
      assertThat(guard.wouldAllowAny()).isFalse();
      assertThat(reserved()).as("the window refilled, and nothing new was let through").isZero();
    }

    @Test
    void aStandingMistakeNeverDrainsThroughTheWindow() {
      tripOverTheBudget();
      optOut(ns(6)); // the bulk change goes on after the trip
      int allowed = 0;

      for (int hour = 0; hour < 24; hour++) {
        clock.advance(Duration.ofHours(1));
        for (int i = 5; i < 7; i++) {
          if (admitOptOut(ns(i)) instanceof Allowed) {
            allowed++;
          }
        }
      }

      assertThat(allowed).isZero();
    }

    @Test
    void theLastCandidateLeftIsAnOrdinaryDeletionOnceTheWindowHasRoom() {
      // The latch holds while any candidate other than the one asking is left; the last one only
      // waits for the budget, like any lone deletion.
      tripOverTheBudget();
      assertThat(reason(admitOptOut(ns(5)))).contains("5 were deleted recently");

      clock.advance(WINDOW.plusSeconds(1));

      assertThat(guard.wouldAllowAny()).isTrue();
      assertThat(admitOptOut(ns(5))).isInstanceOf(Allowed.class);
    }

    @Test
    void approvedDeletionsStillPassWhileTripped() {
      tripOverTheBudget();
      approve(ns(5));

      assertThat(admitOptOut(ns(5))).isInstanceOf(Allowed.class);
    }

    @Test
    void theTripClearsOnceNoUnapprovedCandidateRemains() {
      tripOverTheBudget();
      optBackIn(ns(5)); // the mistake is undone
      clock.advance(WINDOW.plusMinutes(1));
      assertThat(guard.wouldAllowAny()).isTrue();

      // A lone opt-out afterwards is an ordinary deletion again.
      optOut(ns(7));

      assertThat(admitOptOut(ns(7))).isInstanceOf(Allowed.class);
    }

    @Test
    void theTripClearsOnceEveryRemainingCandidateIsApprovedAndGone() {
      tripOverTheBudget();
      approve(ns(5));
      assertThat(admitOptOut(ns(5))).isInstanceOf(Allowed.class);
      deleted(ns(5));
      clock.advance(WINDOW.plusMinutes(1));

      optOut(ns(7));

      assertThat(admitOptOut(ns(7))).isInstanceOf(Allowed.class);
    }
  }

  // ---------------------------------------------------------------- outside the budget

  @Nested
  class OutsideTheBudget {

    @Test
    void anApprovedMemberIsAllowedOverBudgetAndNotCounted() {
      fleetOf(20);
      census.keySet().forEach(DeletionGuardTest.this::optOut);
      approve(ns(0));

      Admission a = admitOptOut(ns(0));

      assertThat(a).isInstanceOf(Allowed.class);
      assertThat(reserved()).isZero();
    }

    @Test
    void approvedMembersAreNotCandidates() {
      fleetOf(20);
      for (int i = 0; i < 6; i++) {
        optOut(ns(i));
      }
      approve(ns(5));

      assertThat(admitOptOut(ns(0))).isInstanceOf(Allowed.class);
    }

    @Test
    void anApprovalLiftsOnlyTheBudgetAMissingKeyIsStillConfirmedAndCorroborated() {
      fleetOf(20);
      goMissing(ns(0));
      approve(ns(0));

      assertThat(admitMissing(ns(0))).as("within the confirmation delay").isEqualTo(new Confirming(CONFIRMATION));
      clock.advance(CONFIRMATION);
      Admission a = admitMissing(ns(0));
      assertThat(a).as("after the delay: other keys are read first").isInstanceOf(Corroborate.class);
      assertThat(guard.corroborated((Corroborate) a, 5, 0)).as("all other keys missing too: a wrong region").isNotNull();
      assertThat(admitMissing(ns(0))).as("an approval never overrides a failed corroboration").isInstanceOf(Paused.class);
      clock.advance(CONFIRMATION.plusSeconds(1));
      Admission again = admitMissing(ns(0));
      assertThat(guard.corroborated((Corroborate) again, 0, 5)).isNull();
      assertThat(admitMissing(ns(0))).isInstanceOf(Allowed.class);
      assertThat(reserved()).as("outside the budget").isZero();
    }

    @Test
    void anApprovedMissingKeyWaitsForACompletePass() {
      fleetOf(19);
      put(ns(19), true, false, false); // not read since start-up
      goMissing(ns(0));
      approve(ns(0));
      clock.advance(CONFIRMATION);

      assertThat(reason(admitMissing(ns(0)))).contains("waiting for a complete pass");
    }

    @Test
    void aNamespaceBeingDeletedIsAlwaysAllowedAndNeverCounted() {
      fleetOf(20);
      census.keySet().forEach(DeletionGuardTest.this::optOut);
      assertThat(admitOptOut(ns(1))).isInstanceOf(Paused.class); // tripped
      put(ns(0), false, true, false);

      Admission a = admit(ns(0), DeletionCause.NAMESPACE_DELETED);

      assertThat(a).isInstanceOf(Allowed.class);
      assertThat(reserved()).isZero();
    }
  }

  // ---------------------------------------------------------------- permits

  @Nested
  class Permits {

    @Test
    void anAllowedAdmissionReservesASlotAndReleaseGivesItBack() {
      fleetOf(20);
      optOut(ns(0));

      Allowed allowed = (Allowed) admitOptOut(ns(0));
      assertThat(reserved()).isEqualTo(1);

      allowed.permit().deleteFailed(409);

      assertThat(reserved()).isZero();
    }

    @Test
    void aReDecideAfterAConflictDoesNotHoldTwoSlots() {
      fleetOf(20);
      for (int i = 0; i < 5; i++) {
        optOut(ns(i));
      }
      Allowed first = (Allowed) admitOptOut(ns(0));
      first.permit().deleteFailed(409); // the reconcile decides again with the fresh Secret

      Allowed again = (Allowed) admitOptOut(ns(0));

      assertThat(sentUids()).containsExactly(uid(ns(0)));
      for (int i = 1; i < 5; i++) {
        assertThat(admitOptOut(ns(i))).as(ns(i)).isInstanceOf(Allowed.class);
      }
      again.permit().deleteFailed(409);
      assertThat(sentUids()).hasSize(4).doesNotContain(uid(ns(0)));
    }

    @Test
    void aReleasedSlotLetsTheNextDeletionThrough() {
      fleetOf(20);
      for (int i = 0; i < 5; i++) {
        optOut(ns(i));
        Allowed a = (Allowed) admitOptOut(ns(i));
        if (i == 4) {
          a.permit().deleteFailed(403); // the last delete was refused: its Secret stays
        } else {
          deleted(ns(i));
        }
      }
      optOut(ns(5));

      // Released: s4 is a candidate again, not a recent deletion (else "1 of 15 ... and 5 were deleted").
      assertThat(reason(admitOptOut(ns(5)))).contains("2 of 16").contains("4 were deleted recently");
    }

    @Test
    void aDeleteWhoseAnswerWasLostKeepsItsSlot() {
      fleetOf(20);
      optOut(ns(0));
      Allowed first = (Allowed) admitOptOut(ns(0));

      first.permit().deleteFailed(0); // no answer: the API server may have committed it
      assertThat(reserved()).as("no answer").isEqualTo(1);
      first.permit().deleteFailed(503);
      first.permit().deleteFailed(408);
      assertThat(reserved()).as("5xx, 408").isEqualTo(1);

      // The retry finds it gone (404): our first attempt may have deleted it, so it stays counted, once.
      Allowed retry = (Allowed) admitOptOut(ns(0));
      retry.permit().deleteFailed(404);

      assertThat(sentUids()).containsExactly(uid(ns(0)));
    }

    @Test
    void lostAnswersNeverCarryDeletionsPastTheBudget() {
      fleetOf(50); // budget: max(5, 10% of 50) = 5
      for (int i = 0; i < 8; i++) {
        optOut(ns(i));
        Admission a = admitOptOut(ns(i));
        if (i < 5) {
          ((Allowed) a).permit().deleteFailed(0); // committed, answer lost
          deleted(ns(i));
        } else {
          assertThat(a).as(ns(i)).isInstanceOf(Paused.class);
        }
      }
    }

    @Test
    void releasingAnUnbudgetedPermitIsHarmless() {
      fleetOf(20);
      optOut(ns(0));
      assertThat(admitOptOut(ns(0))).isInstanceOf(Allowed.class);
      put(ns(1), false, true, false);

      ((Allowed) admit(ns(1), DeletionCause.NAMESPACE_DELETED)).permit().deleteFailed(409);

      assertThat(reserved()).isEqualTo(1);
    }
  }

  // ---------------------------------------------------------------- upstream missing

  @Nested
  class UpstreamMissing {

    @Test
    void aManagedSecretNeverReadPausesUntilACompletePass() {
      fleetOf(19);
      put(ns(19), true, false, false); // in the caches, not read yet
      goMissing(ns(0));
      clock.advance(CONFIRMATION);

      assertThat(reason(admitMissing(ns(0)))).contains("waiting for a complete pass").contains("1 of 20");
    }

    @Test
    void aSiteRecordedWithoutAReadStillCountsAsNotRead() {
      fleetOf(19);
      put(ns(19), true, false, false);
      store.record(ns(19), new SiteState.Result(Outcome.SOURCE_ERROR, "throttled", 1, null, null, null), T0);
      goMissing(ns(0));
      clock.advance(CONFIRMATION);

      assertThat(reason(admitMissing(ns(0)))).contains("waiting for a complete pass").contains("1 of 20");
    }

    @Test
    void optedOutMembersNeedNoReadForACompletePass() {
      fleetOf(19);
      put(ns(19), false, false, false); // opted out: never read, never counted as unread
      goMissing(ns(0));

      assertThat(admitMissing(ns(0))).isInstanceOf(Confirming.class);
    }

    @Test
    void aMissingKeyIsConfirmingUntilTheDelayHasPassedSinceItWentMissing() {
      fleetOf(20);
      goMissing(ns(0));
      clock.advance(Duration.ofMinutes(3));
      goMissing(ns(0)); // missing again: the clock runs from the first miss

      Admission a = admitMissing(ns(0));

      assertThat(a).isEqualTo(new Confirming(Duration.ofMinutes(7)));
      assertThat(reserved()).isZero();
    }

    @Test
    void aKeyThatCameBackRestartsTheConfirmation() {
      missingForTheConfirmationDelay();
      store.noteRead(ns(0), FOUND, clock.instant());
      goMissing(ns(0));

      assertThat(admitMissing(ns(0))).isEqualTo(new Confirming(CONFIRMATION));
    }

    @Test
    void afterTheDelayTheGuardAsksForACorroborationOfUpToFiveOtherOptedInSites() {
      fleetOf(20);
      optOut(ns(19));
      put(ns(18), false, true, false);
      goMissing(ns(0));
      clock.advance(CONFIRMATION);

      Admission a = admitMissing(ns(0));

      assertThat(a).isInstanceOf(Corroborate.class);
      Corroborate asked = (Corroborate) a;
      assertThat(asked.asked()).isEqualTo(clock.instant());
      assertThat(asked.namespaces()).hasSize(DeletionGuard.CORROBORATION_SAMPLE).doesNotHaveDuplicates()
          .doesNotContain(ns(0), ns(18), ns(19));
      assertThat(reserved()).isZero();
    }

    @Test
    void aSmallFleetIsCorroboratedByEveryOtherSite() {
      fleetOf(3);
      goMissing(ns(0));
      clock.advance(CONFIRMATION);

      Corroborate asked = (Corroborate) admitMissing(ns(0));

      assertThat(asked.namespaces()).containsExactlyInAnyOrder(ns(1), ns(2));
    }

    @Test
    void aCleanCorroborationLetsTheDeletionThrough() {
      missingForTheConfirmationDelay();
      Corroborate asked = (Corroborate) admitMissing(ns(0));

      assertThat(guard.corroborated(asked, 0, 5)).isNull();

      assertThat(admitMissing(ns(0))).isInstanceOf(Allowed.class);
      assertThat(reserved()).isEqualTo(1);
    }

    @Test
    void oneCleanCorroborationServesKeysThatWentMissingBeforeIt() {
      fleetOf(20);
      goMissing(ns(0));
      goMissing(ns(1));
      clock.advance(CONFIRMATION);
      Corroborate asked = (Corroborate) admitMissing(ns(0));
      assertThat(guard.corroborated(asked, 1, 4)).isNull();

      assertThat(admitMissing(ns(1))).isInstanceOf(Allowed.class);
    }

    @Test
    void aKeyThatWentMissingAfterTheLastCorroborationIsCorroboratedAgain() {
      missingForTheConfirmationDelay();
      Corroborate asked = (Corroborate) admitMissing(ns(0));
      assertThat(guard.corroborated(asked, 0, 5)).isNull();
      clock.advance(Duration.ofSeconds(1));
      goMissing(ns(1));
      clock.advance(CONFIRMATION);

      assertThat(admitMissing(ns(1))).isInstanceOf(Corroborate.class);
    }

    @ParameterizedTest(name = "{0} missing, {1} found -> paused")
    @CsvSource({"3, 2", "5, 0", "2, 2", "1, 1", "0, 0"})
    void aCorroborationWithoutAClearMajorityPresentPauses(int missing, int found) {
      missingForTheConfirmationDelay();
      Corroborate asked = (Corroborate) admitMissing(ns(0));

      Paused paused = guard.corroborated(asked, missing, found);

      assertThat(paused).isNotNull();
      assertThat(paused.reason()).contains(missing + " of " + (missing + found)).contains("wrong region or account");
      assertThat(reason(admitMissing(ns(0)))).as("no second corroboration within the delay")
          .isEqualTo(paused.reason());
      assertThat(reserved()).isZero();
    }

    @Test
    void aFailedCorroborationIsTriedAgainAfterTheConfirmationDelay() {
      missingForTheConfirmationDelay();
      assertThat(guard.corroborated((Corroborate) admitMissing(ns(0)), 4, 1)).isNotNull();

      clock.advance(CONFIRMATION);
      Admission again = admitMissing(ns(0));

      assertThat(again).isInstanceOf(Corroborate.class);
      assertThat(guard.corroborated((Corroborate) again, 0, 5)).isNull();
      assertThat(admitMissing(ns(0))).isInstanceOf(Allowed.class);
    }

    @Test
    void theBudgetIsCheckedBeforeConfirming() {
      fleetOf(20);
      for (int i = 0; i < 6; i++) {
        goMissing(ns(i));
      }

      assertThat(reason(admitMissing(ns(0)))).contains("6 of 20").contains("6 upstream missing")
          .contains("wrong region or account");
    }

    @ParameterizedTest(name = "budget {0}%")
    @ValueSource(ints = {10, 100})
    void aFleetWhereEveryKeyIsMissingNeverGetsAnAllowedInAnyOrderOfReads(int percent) {
      // A wrong region or account: every direct read says missing. With a 100% budget only the
      // complete pass, the confirmation delay and the corroboration stand in the way.
      for (long seed = 0; seed < 20; seed++) {
        Random random = new Random(seed);
        census.clear();
        store.snapshot().keySet().forEach(store::forget);
        clock.advance(Duration.ofDays(1));
        guard = guard(new DeletionBudget(percent, 0, WINDOW));
        int size = 2 + random.nextInt(12);
        for (int i = 0; i < size; i++) {
          put(ns(i), true, false, false);
        }

        for (int step = 0; step < 300; step++) {
          String ns = ns(random.nextInt(size));
          goMissing(ns); // a force-sync, a fresh opt-in, a per-key read or the sweep: a direct read
          Admission a = admitMissing(ns);
          if (a instanceof Corroborate asked) {
            asked.namespaces().forEach(DeletionGuardTest.this::goMissing);
            Paused p = guard.corroborated(asked, asked.namespaces().size(), 0);
            assertThat(p).isNotNull();
            a = admitMissing(ns);
          }
          assertThat(a).as("seed %d, step %d, %s of %d", seed, step, ns, size).isNotInstanceOf(Allowed.class);
          clock.advance(Duration.ofSeconds(random.nextInt(600)));
        }
        assertThat(reserved()).isZero();
      }
    }
  }

  // ---------------------------------------------------------------- summary

  // ---------------------------------------------------------------- the ledger

  @Nested
  class Remembered {

    /** A bulk opt-out of 10 in a fleet of 20 (budget 5): the first deletion asked trips the guard. */
    private void bulkOptOutTrips() {
      fleetOf(20);
      for (int i = 0; i < 10; i++) {
        optOut(ns(i));
      }
      assertThat(reason(admitOptOut(ns(0)))).contains("over the deletion budget of 5");
    }

    @Test
    void aRestartRemembersTheTripSoAPartlyUndoneMistakeStaysPaused() {
      bulkOptOutTrips();
      restart();
      for (int i = 0; i < 6; i++) {
        optBackIn(ns(i)); // four opt-outs are left: within the budget, but the mistake is not undone
      }
      everyKeyReadAgain();

      assertThat(reason(admitOptOut(ns(6)))).contains("paused since the budget was exceeded").contains("4 of 20");
      assertThat(guard.wouldAllowAny()).isFalse();
      assertThat(ledger.saved().trippedSince()).isEqualTo(T0);
    }

    @Test
    void withoutALedgerARestartForgetsTheTrip() {
      // The documented limit of --deletion-ledger=none, and the reason the ledger exists.
      bulkOptOutTrips();
      guard = new DeletionGuard(new SiteStore(), DeletionLedger.inMemory(),
          () -> new FleetCensus(List.copyOf(census.values())), BUDGET, CONFIRMATION, clock);
      for (int i = 0; i < 6; i++) {
        optBackIn(ns(i));
      }

      assertThat(admitOptOut(ns(6))).isInstanceOf(Allowed.class);
    }

    @Test
    void theTripClearsOnceTheMistakeIsUndoneAndTheLedgerSaysSo() {
      bulkOptOutTrips();
      restart();
      for (int i = 1; i < 10; i++) {
        optBackIn(ns(i)); // only s0 is left: the mistake was undone
      }
      everyKeyReadAgain();

      assertThat(admitOptOut(ns(0))).isInstanceOf(Allowed.class);
      assertThat(ledger.saved().tripped()).isFalse();
      assertThat(sentUids()).containsExactly(uid(ns(0)));
    }

    @Test
    void aRestartCountsTheDeletionsSentBeforeIt() {
      fiveOptOutsDeleted();
      restart();
      optOut(ns(5));

      assertThat(reason(admitOptOut(ns(5)))).contains("5 were deleted recently").contains("over the deletion budget");
    }

    @Test
    void deletionsOlderThanTheWindowAreDroppedFromTheLedger() {
      fiveOptOutsDeleted();
      clock.advance(WINDOW.plusMinutes(1));
      optOut(ns(5));

      assertThat(admitOptOut(ns(5))).isInstanceOf(Allowed.class);
      assertThat(ledger.saved().sent()).extracting(DeletionLedger.Sent::secretUid).containsExactly(uid(ns(5)));
    }

    @Test
    void anUnreadableLedgerPausesBudgetedDeletionsButNeitherApprovedNorNamespaceOnes() {
      fleetOf(20);
      optOut(ns(0));
      optOut(ns(1));
      approve(ns(1));
      ledger.failLoads = true;

      assertThat(reason(admitOptOut(ns(0)))).contains("deletion ledger could not be read").contains("HTTP 403");
      assertThat(guard.wouldAllowAny()).isFalse();
      assertThat(admitOptOut(ns(1))).as("approved").isInstanceOf(Allowed.class);
      assertThat(admit(ns(2), DeletionCause.NAMESPACE_DELETED)).as("namespace deleted").isInstanceOf(Allowed.class);

      ledger.failLoads = false;
      assertThat(reason(admitOptOut(ns(0)))).as("the failed read's answer stands a while")
          .contains("could not be read");
      clock.advance(DeletionGuard.LEDGER_RETRY);
      assertThat(admitOptOut(ns(0))).isInstanceOf(Allowed.class);
    }

    @Test
    void theLedgerIsReadOnceNotPerDeletion() {
      fiveOptOutsDeleted();
      optOut(ns(5));
      admitOptOut(ns(5));
      guard.wouldAllowAny();

      assertThat(ledger.loads).isEqualTo(1);
    }

    @Test
    void aDeletionThatCannotBeRecordedFirstIsNotSent() {
      fleetOf(20);
      optOut(ns(0));
      ledger.failSaves = true;

      assertThat(reason(admitOptOut(ns(0)))).contains("could not be recorded first").contains("HTTP 503");
      assertThat(reserved()).isZero();

      ledger.failSaves = false;
      assertThat(admitOptOut(ns(0))).isInstanceOf(Allowed.class);
      assertThat(sentUids()).containsExactly(uid(ns(0)));
    }

    @Test
    void aTripTheLedgerMissedSaysSoAndUpkeepSavesItWithoutARetryPerPausedDeletion() {
      fleetOf(20);
      for (int i = 0; i < 10; i++) {
        optOut(ns(i));
      }
      ledger.failSaves = true;

      assertThat(reason(admitOptOut(ns(0)))).contains("over the deletion budget")
          .contains("not yet in the deletion ledger").contains("a restart may not remember this pause");
      int saves = ledger.saves;
      for (int i = 1; i < 10; i++) {
        assertThat(reason(admitOptOut(ns(i)))).contains("paused since the budget was exceeded");
      }
      assertThat(ledger.saves).as("a slow or failing API server is not hammered by paused deletions").isEqualTo(saves);

      ledger.failSaves = false;
      guard.upkeep();
      assertThat(ledger.saved().tripped()).isTrue();
    }

    @Test
    void upkeepClearsATripOnceTheMistakeIsWhollyUndone() {
      bulkOptOutTrips();
      for (int i = 0; i < 10; i++) {
        optBackIn(ns(i)); // no candidate is left, so no deletion will ever ask and clear the trip
      }

      guard.upkeep();

      assertThat(ledger.saved().tripped()).isFalse();
      optOut(ns(0));
      optOut(ns(1));
      assertThat(admitOptOut(ns(0))).as("weeks later, two ordinary opt-outs").isInstanceOf(Allowed.class);
      assertThat(admitOptOut(ns(1))).isInstanceOf(Allowed.class);
    }

    @Test
    void afterARestartTheTripIsJudgedOnlyOnceEveryKeyWasReadAgain() {
      // A wrong region trips the guard; it is half fixed while the operator restarts.
      fleetOf(20);
      for (int i = 0; i < 10; i++) {
        goMissing(ns(i));
      }
      clock.advance(CONFIRMATION);
      assertThat(reason(admitMissing(ns(0)))).contains("over the deletion budget");
      restart();

      guard.upkeep();
      assertThat(ledger.saved().tripped()).as("no candidate yet, but nothing read yet either").isTrue();

      for (int i = 0; i < 20; i++) {
        store.noteRead(ns(i), i < 3 ? MISSING : FOUND, clock.instant()); // three keys are still missing
      }
      guard.upkeep();
      clock.advance(CONFIRMATION);

      assertThat(ledger.saved().tripped()).isTrue();
      assertThat(reason(admitMissing(ns(0)))).contains("paused since the budget was exceeded");
    }

    @Test
    void aKeyNotReadSinceStartUpHoldsTheTripAndIsNamedButApprovalsStillPass() {
      bulkOptOutTrips();
      restart();
      for (int i = 0; i < 10; i++) {
        optBackIn(ns(i)); // the mistake is wholly undone...
      }
      census.values().stream().filter(m -> !m.namespace().equals(ns(5))) // ...but s5's reads keep failing
          .forEach(m -> store.noteRead(m.namespace(), FOUND, clock.instant()));
      optOut(ns(19));
      optOut(ns(18));

      assertThat(reason(admitOptOut(ns(19)))).contains("paused since the budget was exceeded")
          .contains("1 managed Secrets not yet read since start-up (sites-s5)");
      approve(ns(18));
      assertThat(admitOptOut(ns(18))).isInstanceOf(Allowed.class);
    }

    @Test
    void aTripAnotherWriterRecordedIsAdoptedAndHoldsForTheDeletionThatMetIt() {
      fleetOf(20);
      optOut(ns(0));
      optOut(ns(1));
      guard.upkeep(); // this process has read the ledger: not yet tripped
      ledger.anotherWriterSaves(new DeletionLedger.State(T0, List.of()));

      assertThat(reason(admitOptOut(ns(0)))).contains("another operator process");
      assertThat(ledger.saved().tripped()).isTrue();
      // Decided again, its own attempt already recorded: s1 is still a candidate, so the trip holds.
      assertThat(reason(admitOptOut(ns(0)))).contains("paused since the budget was exceeded");
    }

    @Test
    void deletionsAnotherWriterRecordedAreAdoptedAndTheDeletionDecidedAgain() {
      fleetOf(20);
      optOut(ns(0));
      guard.upkeep(); // this process has read the ledger
      List<DeletionLedger.Sent> theirs = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        theirs.add(new DeletionLedger.Sent(T0, "uid-deleted-by-the-former-leader-" + i));
      }
      ledger.anotherWriterSaves(new DeletionLedger.State(T0, theirs));

      assertThat(reason(admitOptOut(ns(0)))).contains("another operator process");
      assertThat(ledger.saved().tripped()).isTrue();
      assertThat(sentUids()).hasSize(6).contains(uid(ns(0)));
      assertThat(reason(admitOptOut(ns(0)))).as("decided again: 5 deleted recently, over the budget")
          .contains("over the deletion budget");
    }

    @Test
    void aGivenBackSlotLeavesTheLedgerToo() {
      fleetOf(20);
      optOut(ns(0));
      Allowed allowed = (Allowed) admitOptOut(ns(0));

      allowed.permit().deleteFailed(409);

      assertThat(ledger.saved().sent()).isEmpty();
    }
  }

  @Nested
  class TheWindowIsACapNotARate {

    @Test
    void aSlowTrickleOfOptOutsStopsAtTheBudget() {
      // One opt-out every 4 minutes: each one is long past the last resync period, but all of them
      // fall within the budget's window.
      fleetOf(20);
      int allowed = 0;
      for (int i = 0; i < 12; i++) {
        optOut(ns(i));
        if (admitOptOut(ns(i)) instanceof Allowed) {
          allowed++;
          deleted(ns(i));
        }
        clock.advance(Duration.ofMinutes(1));
      }

      assertThat(allowed).isEqualTo(5);
    }

    @Test
    void theTrickleStopsAtTheBudgetAcrossARestart() {
      fleetOf(20);
      for (int i = 0; i < 3; i++) {
        optOut(ns(i));
        assertThat(admitOptOut(ns(i))).isInstanceOf(Allowed.class);
        deleted(ns(i));
        clock.advance(Duration.ofMinutes(1));
      }
      restart();
      everyKeyReadAgain();
      int allowed = 0;
      for (int i = 3; i < 12; i++) {
        optOut(ns(i));
        if (admitOptOut(ns(i)) instanceof Allowed) {
          allowed++;
          deleted(ns(i));
        }
        clock.advance(Duration.ofMinutes(1));
      }

      assertThat(allowed).as("the ledger remembers the three sent before the restart").isEqualTo(2);
    }

    @Test
    void aDeletionOlderThanTheWindowNoLongerCounts() {
      fiveOptOutsDeleted();
      clock.advance(WINDOW.plusSeconds(1));
      optOut(ns(5));

      assertThat(admitOptOut(ns(5))).isInstanceOf(Allowed.class);
    }
  }

  // ---------------------------------------------------------------- keys removed upstream

  @Nested
  class KeysRemovedUpstream {

    private Admission admitRemoval(String ns) {
      boolean approved = census.containsKey(ns) && census.get(ns).approvedKeyRemoval();
      return guard.admit(site(ns), SyncFixtures.managedIn(ns, uid(ns)), DeletionCause.KEYS_REMOVED, approved, false);
    }

    private void removesKeys(String ns) {
      store.noteKeyRemoval(ns, true, clock.instant());
    }

    @Test
    void aLoneRemovalOfKeysIsAllowedAndCounted() {
      fleetOf(20);
      removesKeys(ns(0));

      assertThat(admitRemoval(ns(0))).isInstanceOf(Allowed.class);
      assertThat(sentUids()).containsExactly(uid(ns(0)));
    }

    @Test
    void aMassRemovalOfKeysStopsAtTheBudgetAndLatches() {
      fleetOf(20);
      int allowed = 0;
      for (int i = 0; i < 12; i++) {
        removesKeys(ns(i)); // arriving one by one, as force-syncs do
        if (admitRemoval(ns(i)) instanceof Allowed) {
          allowed++;
          store.noteKeyRemoval(ns(i), false, clock.instant()); // applied
        }
      }

      assertThat(allowed).isEqualTo(5);
      optOut(ns(19));
      assertThat(reason(admitOptOut(ns(19)))).as("latched for every cause").contains("paused since the budget");
    }

    @Test
    void removalsCountTogetherWithDeletionsInOneBudget() {
      fleetOf(20);
      for (int i = 0; i < 3; i++) {
        optOut(ns(i));
        assertThat(admitOptOut(ns(i))).isInstanceOf(Allowed.class);
        deleted(ns(i));
      }
      for (int i = 3; i < 6; i++) {
        removesKeys(ns(i));
      }

      assertThat(reason(admitRemoval(ns(3)))).contains("would be deleted or lose keys (0 opt-out, 0 upstream missing, 3 keys removed)")
          .contains("3 were deleted recently").contains("over the deletion budget");
    }

    @Test
    void anUndoneRemovalIsNoLongerACandidateAndTheTripClears() {
      fleetOf(20);
      for (int i = 0; i < 8; i++) {
        removesKeys(ns(i));
      }
      assertThat(admitRemoval(ns(0))).isInstanceOf(Paused.class);
      for (int i = 0; i < 8; i++) {
        store.noteKeyRemoval(ns(i), false, clock.instant()); // upstream restored
      }
      guard.upkeep();
      removesKeys(ns(9));

      assertThat(admitRemoval(ns(9))).isInstanceOf(Allowed.class);
    }

    @Test
    void anApprovedRemovalPassesOverBudgetWithoutASlot() {
      fleetOf(20);
      for (int i = 0; i < 8; i++) {
        removesKeys(ns(i));
      }
      approve(ns(0));

      assertThat(admitRemoval(ns(0))).isInstanceOf(Allowed.class);
      assertThat(reserved()).isZero();
    }
  }

  @Nested
  class Summary {

    @Test
    void noSummaryWhenNothingIsPaused() {
      fleetOf(20);

      assertThat(guard.pauseSummary()).isNull();
    }

    @Test
    void theSummaryCountsPausedDeletionsByCauseAndNamesTheBudget() {
      fleetOf(20);
      for (int i = 0; i < 4; i++) {
        optOut(ns(i));
      }
      for (int i = 4; i < 7; i++) {
        goMissing(ns(i));
      }
      for (int i = 0; i < 2; i++) {
        store.record(ns(i), new SiteState.Result(Outcome.DELETION_PAUSED, "paused", 0, null, null,
            DeletionCause.OPTED_OUT), T0);
      }
      store.record(ns(4), new SiteState.Result(Outcome.DELETION_PAUSED, "paused", 0, null, null,
          DeletionCause.UPSTREAM_MISSING), T0);

      assertThat(guard.pauseSummary())
          .startsWith("deletion guard: 3 deletions paused (2 opt-out, 1 upstream missing)")
          .contains("7 of 20 managed Secrets would be deleted (4 opt-out, 3 upstream missing)")
          .contains("budget 5 per 15m");
    }
  }
}
