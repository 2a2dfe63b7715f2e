package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FleetViewTest {
  private static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");
  private static final String NS = "sites-acme";

  private final FleetView fleet = new FleetView();

  private static FleetView.SiteStatus status(Outcome outcome, String message) {
    return status(outcome, message, "fp-1", NOW.plusSeconds(300));
  }

  private static FleetView.SiteStatus status(Outcome outcome, String message, String fingerprint, Instant due) {
    return new FleetView.SiteStatus(outcome, message, NOW, "v1", false, true, 0, fingerprint, due);
  }

  // ---------------------------------------------------------------- record

  @Test
  void firstRecordIsAChange() {
    assertThat(fleet.record(NS, status(Outcome.CREATED, "created"))).isTrue();
    assertThat(fleet.get(NS)).contains(status(Outcome.CREATED, "created"));
  }

  @Test
  void identicalOutcomeAndMessageIsNotAChange() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync with upstream version v1"));

    assertThat(fleet.record(NS, status(Outcome.UNCHANGED, "in sync with upstream version v1"))).isFalse();
  }

  @Test
  void sameOutcomeAndMessageWithOtherBookkeepingIsNotAChange() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync"));

    FleetView.SiteStatus later = status(Outcome.UNCHANGED, "in sync", "fp-2", NOW.plusSeconds(900));
    assertThat(fleet.record(NS, later)).isFalse();
    assertThat(fleet.get(NS)).contains(later);
  }

  @Test
  void outcomeChangeIsAChange() {
    fleet.record(NS, status(Outcome.UNCHANGED, "same words"));

    assertThat(fleet.record(NS, status(Outcome.SOURCE_ERROR, "same words"))).isTrue();
  }

  @Test
  void messageChangeIsAChange() {
    fleet.record(NS, status(Outcome.SOURCE_ERROR, "upstream read failed, throttled"));

    assertThat(fleet.record(NS, status(Outcome.SOURCE_ERROR, "upstream read failed, timed out"))).isTrue();
  }

  @Test
  void recordsAreKeptPerNamespace() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync"));

    assertThat(fleet.record("sites-other", status(Outcome.UNCHANGED, "in sync"))).isTrue();
  }

  // ---------------------------------------------------------------- waitIfUnchanged

  @Test
  void sameFingerprintBeforeTheDueTimeWaitsTheRemainder() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)));

    assertThat(fleet.waitIfUnchanged(NS, "fp-1", NOW.plusSeconds(100))).contains(Duration.ofSeconds(200));
  }

  @Test
  void differentFingerprintDoesNotWait() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)));

    assertThat(fleet.waitIfUnchanged(NS, "fp-2", NOW)).isEmpty();
  }

  @Test
  void nullRecordedFingerprintDoesNotWait() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync", null, NOW.plusSeconds(300)));

    assertThat(fleet.waitIfUnchanged(NS, null, NOW)).isEmpty();
    assertThat(fleet.waitIfUnchanged(NS, "fp-1", NOW)).isEmpty();
  }

  @Test
  void nullFingerprintAskedDoesNotWait() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)));

    assertThat(fleet.waitIfUnchanged(NS, null, NOW)).isEmpty();
  }

  @Test
  void dueTimePassedDoesNotWait() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)));

    assertThat(fleet.waitIfUnchanged(NS, "fp-1", NOW.plusSeconds(301))).isEmpty();
  }

  @Test
  void dueTimeExactlyNowDoesNotWait() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)));

    assertThat(fleet.waitIfUnchanged(NS, "fp-1", NOW.plusSeconds(300))).isEmpty();
  }

  @Test
  void noDueTimeDoesNotWait() {
    fleet.record(NS, status(Outcome.UNCHANGED, "in sync", "fp-1", null));

    assertThat(fleet.waitIfUnchanged(NS, "fp-1", NOW)).isEmpty();
  }

  @Test
  void unknownNamespaceDoesNotWait() {
    assertThat(fleet.waitIfUnchanged(NS, "fp-1", NOW)).isEmpty();
  }

  @Test
  void invalidateMakesTheNextWaitEmptyButKeepsTheRest() {
    FleetView.SiteStatus before = status(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300));
    fleet.record(NS, before);
    assertThat(fleet.waitIfUnchanged(NS, "fp-1", NOW)).isPresent();

    fleet.invalidate(NS);

    assertThat(fleet.waitIfUnchanged(NS, "fp-1", NOW)).isEmpty();
    FleetView.SiteStatus after = fleet.get(NS).orElseThrow();
    assertThat(after.fingerprint()).isNull();
    assertThat(after)
        .usingRecursiveComparison()
        .ignoringFields("fingerprint")
        .isEqualTo(before);
  }

  @Test
  void invalidateOfAnUnknownNamespaceRecordsNothing() {
    fleet.invalidate(NS);

    assertThat(fleet.get(NS)).isEmpty();
  }

  // ---------------------------------------------------------------- forget, queries

  @Test
  void forgetRemovesTheNamespace() {
    fleet.record(NS, status(Outcome.OPTED_OUT, "namespace is not opted in"));

    fleet.forget(NS);

    assertThat(fleet.get(NS)).isEmpty();
    assertThat(fleet.get(NS)).isEmpty();
    assertThat(fleet.record(NS, status(Outcome.OPTED_OUT, "namespace is not opted in"))).isTrue();
  }

  @Test
  void pausedDeletionsListsThoseWhoseLastOutcomeIsPaused() {
    fleet.record("sites-a", status(Outcome.DELETION_PAUSED, "paused"));
    fleet.record("sites-b", status(Outcome.UNCHANGED, "in sync"));
    fleet.record("sites-c", status(Outcome.DELETION_PAUSED, "paused"));

    assertThat(fleet.pausedDeletions()).containsExactlyInAnyOrder("sites-a", "sites-c");
  }

  @Test
  void pausedDeletionsFollowTheLatestRecordAndForget() {
    fleet.record("sites-a", status(Outcome.DELETION_PAUSED, "paused"));
    fleet.record("sites-b", status(Outcome.DELETION_PAUSED, "paused"));
    fleet.record("sites-a", status(Outcome.DELETED, "deleted"));
    fleet.forget("sites-b");

    assertThat(fleet.pausedDeletions()).isEmpty();
  }

  @Test
  void countByOutcomeCountsEachSiteOnce() {
    fleet.record("sites-a", status(Outcome.UNCHANGED, "in sync"));
    fleet.record("sites-b", status(Outcome.UNCHANGED, "in sync"));
    fleet.record("sites-c", status(Outcome.SOURCE_ERROR, "failed"));
    fleet.record("sites-c", status(Outcome.SOURCE_ERROR, "failed again"));

    assertThat(fleet.countByOutcome())
        .containsExactlyInAnyOrderEntriesOf(Map.of(Outcome.UNCHANGED, 2L, Outcome.SOURCE_ERROR, 1L));
  }

  @Test
  void countByOutcomeOfAnEmptyFleetIsEmpty() {
    assertThat(fleet.countByOutcome()).isEmpty();
  }

  // ---------------------------------------------------------------- upstream-missing deletions

  @Test
  void noMissingDeletionsAtStart() {
    assertThat(fleet.missingDeletionsSince(Instant.MIN)).isZero();
  }

  @Test
  void missingDeletionsAtOrAfterSinceAreCounted() {
    fleet.recordMissingDeletion(NOW);
    fleet.recordMissingDeletion(NOW.plusSeconds(10));
    fleet.recordMissingDeletion(NOW.plusSeconds(20));

    assertThat(fleet.missingDeletionsSince(NOW)).isEqualTo(3);
    assertThat(fleet.missingDeletionsSince(NOW.plusSeconds(10))).isEqualTo(2);
    assertThat(fleet.missingDeletionsSince(NOW.plusSeconds(21))).isZero();
  }

  @Test
  void missingDeletionsOlderThanAskedAreForgotten() {
    fleet.recordMissingDeletion(NOW);
    fleet.recordMissingDeletion(NOW.plusSeconds(60));

    assertThat(fleet.missingDeletionsSince(NOW.plusSeconds(30))).isEqualTo(1);

    assertThat(fleet.missingDeletionsSince(Instant.MIN)).isEqualTo(1);
  }
}
