package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

/** The one store of per-site state: atomic writers, reads noted, results recorded. */
class SiteStoreTest {
  private static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");
  private static final String NS = "sites-acme";
  private static final Upstream MISSING = new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
  private static final Upstream FOUND_V2 = new Upstream.Found(SecretData.fromStrings(Map.of("A", "1")), "v2");

  private final SiteStore store = new SiteStore();

  private static SiteState.Result result(Outcome outcome, String message) {
    return result(outcome, message, "fp-1", NOW.plusSeconds(300));
  }

  private static SiteState.Result result(Outcome outcome, String message, String fingerprint, Instant due) {
    return new SiteState.Result(outcome, message, 0, fingerprint, due, null);
  }

  private static SiteState.Result paused(DeletionCause cause) {
    return new SiteState.Result(Outcome.DELETION_PAUSED, "paused", 0, "fp", null, cause);
  }


  private SiteState state() {
    return store.get(NS).orElseThrow();
  }

  // ---------------------------------------------------------------- record

  @Nested
  class Record {

    @Test
    void firstRecordIsAChange() {
      assertThat(store.record(NS, result(Outcome.CREATED, "created"), NOW)).isTrue();

      SiteState s = state();
      assertThat(s.outcome()).isEqualTo(Outcome.CREATED);
      assertThat(s.message()).isEqualTo("created");
      assertThat(s.result().since()).isEqualTo(NOW);
      assertThat(s.fingerprint()).isEqualTo("fp-1");
      assertThat(s.nextReadDue()).isEqualTo(NOW.plusSeconds(300));
    }

    @Test
    void identicalOutcomeAndMessageIsNotAChangeAndKeepsSince() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync with upstream version v1"), NOW);

      assertThat(store.record(NS, result(Outcome.UNCHANGED, "in sync with upstream version v1"), NOW.plusSeconds(60)))
          .isFalse();
      assertThat(state().result().since()).isEqualTo(NOW);
    }

    @Test
    void sameOutcomeAndMessageWithOtherBookkeepingIsNotAChangeButIsStored() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync"), NOW);

      assertThat(store.record(NS, new SiteState.Result(Outcome.UNCHANGED, "in sync", 2, "fp-2",
          NOW.plusSeconds(900), null), NOW)).isFalse();
      assertThat(state().fingerprint()).isEqualTo("fp-2");
      assertThat(state().nextReadDue()).isEqualTo(NOW.plusSeconds(900));
      assertThat(state().failures()).isEqualTo(2);
    }

    @Test
    void outcomeChangeIsAChangeAndMovesSince() {
      store.record(NS, result(Outcome.UNCHANGED, "same words"), NOW);

      assertThat(store.record(NS, result(Outcome.SOURCE_ERROR, "same words"), NOW.plusSeconds(60))).isTrue();
      assertThat(state().result().since()).isEqualTo(NOW.plusSeconds(60));
    }

    @Test
    void messageChangeIsAChange() {
      store.record(NS, result(Outcome.SOURCE_ERROR, "upstream read failed, throttled"), NOW);

      assertThat(store.record(NS, result(Outcome.SOURCE_ERROR, "upstream read failed, timed out"), NOW)).isTrue();
    }

    @Test
    void recordsAreKeptPerNamespace() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync"), NOW);

      assertThat(store.record("sites-other", result(Outcome.UNCHANGED, "in sync"), NOW)).isTrue();
    }

    @Test
    void aRecordKeepsWhatAReadNotedMeanwhile() {
      // The reconcile started before the sweep's read landed; its result must not wipe the read out.
      store.record(NS, result(Outcome.UNCHANGED, "in sync"), NOW);
      store.noteRead(NS, MISSING, NOW.plusSeconds(10));

      store.record(NS, result(Outcome.UNCHANGED, "in sync"), NOW.plusSeconds(20));

      SiteState s = state();
      assertThat(s.upstreamMissing()).isTrue();
      assertThat(s.missingSince()).isEqualTo(NOW.plusSeconds(10));
      assertThat(s.readSinceStart()).isTrue();
    }

    @Test
    void concurrentReadsAndRecordsNeverLoseEachOther() throws Exception {
      int sites = 200;
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        for (int round = 0; round < 20; round++) {
          SiteStore s = new SiteStore();
          CountDownLatch go = new CountDownLatch(1);
          List<Future<?>> done = new ArrayList<>();
          done.add(pool.submit(() -> {
            go.await();
            for (int i = 0; i < sites; i++) {
              s.record("sites-" + i, result(Outcome.UNCHANGED, "in sync"), NOW);
            }
            return null;
          }));
          done.add(pool.submit(() -> {
            go.await();
            for (int i = 0; i < sites; i++) {
              s.noteRead("sites-" + i, MISSING, NOW);
            }
            return null;
          }));
          go.countDown();
          for (Future<?> f : done) {
            f.get(10, TimeUnit.SECONDS);
          }

          for (int i = 0; i < sites; i++) {
            SiteState st = s.get("sites-" + i).orElseThrow();
            assertThat(st.upstreamMissing()).as("read of sites-%d kept", i).isTrue();
            assertThat(st.fingerprint()).as("result of sites-%d kept", i).isEqualTo("fp-1");
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  // ---------------------------------------------------------------- reads

  @Nested
  class Reads {

    @Test
    void aFreshSiteWasNeverRead() {
      store.record(NS, result(Outcome.NOT_OWNED, "not owned"), NOW);

      assertThat(state().readSinceStart()).isFalse();
      assertThat(state().upstreamMissing()).isFalse();
    }

    @Test
    void aMissingReadStartsTheMissingClockAndLaterMissesKeepIt() {
      store.noteRead(NS, MISSING, NOW);
      store.noteRead(NS, new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION), NOW.plusSeconds(60));

      assertThat(state().upstreamMissing()).isTrue();
      assertThat(state().missingSince()).isEqualTo(NOW);
      assertThat(state().readSinceStart()).isTrue();
    }

    @Test
    void aFoundReadEndsTheRunOfMisses() {
      store.noteRead(NS, MISSING, NOW);
      store.noteRead(NS, FOUND_V2, NOW.plusSeconds(60));
      store.noteRead(NS, MISSING, NOW.plusSeconds(120));

      assertThat(state().missingSince()).as("a new run of misses").isEqualTo(NOW.plusSeconds(120));
    }

    @Test
    void aFoundReadNotesTheVersion() {
      store.noteRead(NS, FOUND_V2, NOW);

      assertThat(state().seen().version()).isEqualTo("v2");
      assertThat(state().upstreamMissing()).isFalse();
      assertThat(state().missingSince()).isNull();
    }

    @Test
    void anUnreachableReadKeepsThePreviousAnswer() {
      store.noteRead(NS, MISSING, NOW);
      store.noteRead(NS, new Upstream.Unreachable(SourceException.Kind.TIMEOUT, "no answer"), NOW.plusSeconds(60));

      assertThat(state().upstreamMissing()).isTrue();
      assertThat(state().missingSince()).isEqualTo(NOW);
    }

    @Test
    void anUnreachableFirstReadIsNoReadAtAll() {
      store.noteRead(NS, new Upstream.Unreachable(SourceException.Kind.CREDENTIALS, "ExpiredToken"), NOW);

      assertThat(state().readSinceStart()).isFalse();
    }

    @Test
    void anInvalidPayloadIsAReadOfAPresentKey() {
      store.noteRead(NS, MISSING, NOW);
      store.noteRead(NS, new Upstream.Invalid(sites.deco.buildsecrets.source.PayloadRule.INVALID_KEY,
          sites.deco.buildsecrets.source.KeyName.of("k", 1), null),
          NOW.plusSeconds(60));

      assertThat(state().upstreamMissing()).isFalse();
      assertThat(state().readSinceStart()).isTrue();
    }

    @Test
    void noteUnchangedCountsAsAReadOfThatVersionAndSettlesTheFingerprint() {
      store.noteRead(NS, MISSING, NOW);

      store.noteUnchanged(NS, "v7", "fp-listed", NOW.plusSeconds(3600), NOW);

      SiteState s = state();
      assertThat(s.readSinceStart()).isTrue();
      assertThat(s.upstreamMissing()).isFalse();
      assertThat(s.seen().version()).isEqualTo("v7");
      assertThat(store.waitIfUnchanged(NS, "fp-listed", NOW)).contains(Duration.ofSeconds(3600));
      assertThat(store.waitIfUnchanged(NS, "fp-other", NOW)).isEmpty();
    }

    @Test
    void aKeyRemovalIsACandidateUntilAppliedOrUndone() {
      store.noteKeyRemoval(NS, true, NOW);
      assertThat(state().removesKeys()).isTrue();
      store.noteRead(NS, MISSING, NOW);
      assertThat(state().removesKeys()).as("a read keeps it; the guard counts a missing key first").isTrue();

      store.noteUnchanged(NS, "v1", "fp", NOW.plusSeconds(60), NOW);

      assertThat(state().removesKeys()).as("upstream went back to the Secret's own version").isFalse();
    }
  }

  // ---------------------------------------------------------------- waitIfUnchanged

  @Nested
  class WaitIfUnchanged {

    @Test
    void sameFingerprintBeforeTheDueTimeWaitsTheRemainder() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)), NOW);

      assertThat(store.waitIfUnchanged(NS, "fp-1", NOW.plusSeconds(100))).contains(Duration.ofSeconds(200));
    }

    @Test
    void differentFingerprintDoesNotWait() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)), NOW);

      assertThat(store.waitIfUnchanged(NS, "fp-2", NOW)).isEmpty();
    }

    @Test
    void nullRecordedFingerprintDoesNotWait() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync", null, NOW.plusSeconds(300)), NOW);

      assertThat(store.waitIfUnchanged(NS, null, NOW)).isEmpty();
      assertThat(store.waitIfUnchanged(NS, "fp-1", NOW)).isEmpty();
    }

    @Test
    void nullFingerprintAskedDoesNotWait() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)), NOW);

      assertThat(store.waitIfUnchanged(NS, null, NOW)).isEmpty();
    }

    @Test
    void dueTimePassedDoesNotWait() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)), NOW);

      assertThat(store.waitIfUnchanged(NS, "fp-1", NOW.plusSeconds(301))).isEmpty();
    }

    @Test
    void dueTimeExactlyNowDoesNotWait() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)), NOW);

      assertThat(store.waitIfUnchanged(NS, "fp-1", NOW.plusSeconds(300))).isEmpty();
    }

    @Test
    void noDueTimeDoesNotWait() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync", "fp-1", null), NOW);

      assertThat(store.waitIfUnchanged(NS, "fp-1", NOW)).isEmpty();
    }

    @Test
    void unknownNamespaceDoesNotWait() {
      assertThat(store.waitIfUnchanged(NS, "fp-1", NOW)).isEmpty();
    }

    @Test
    void invalidateMakesTheNextWaitEmptyButKeepsTheRest() {
      store.record(NS, result(Outcome.UNCHANGED, "in sync", "fp-1", NOW.plusSeconds(300)), NOW);
      store.noteRead(NS, FOUND_V2, NOW);
      SiteState before = state();
      assertThat(store.waitIfUnchanged(NS, "fp-1", NOW)).isPresent();

      store.invalidate(NS);

      assertThat(store.waitIfUnchanged(NS, "fp-1", NOW)).isEmpty();
      SiteState after = state();
      assertThat(after.fingerprint()).isNull();
      assertThat(after).usingRecursiveComparison().ignoringFields("next.fingerprint").isEqualTo(before);
    }

    @Test
    void invalidateOfAnUnknownNamespaceRecordsNothing() {
      store.invalidate(NS);

      assertThat(store.get(NS)).isEmpty();
    }
  }

  // ---------------------------------------------------------------- forget, queries

  @Nested
  class Queries {

    @Test
    void forgetRemovesTheNamespace() {
      store.record(NS, result(Outcome.OPTED_OUT, "namespace is not opted in"), NOW);

      store.forget(NS);

      assertThat(store.get(NS)).isEmpty();
      assertThat(store.record(NS, result(Outcome.OPTED_OUT, "namespace is not opted in"), NOW)).isTrue();
    }

    @Test
    void pausedDeletionsListsThoseWhoseLastOutcomeIsPaused() {
      store.record("sites-a", paused(DeletionCause.OPTED_OUT), NOW);
      store.record("sites-b", result(Outcome.UNCHANGED, "in sync"), NOW);
      store.record("sites-c", paused(DeletionCause.UPSTREAM_MISSING), NOW);

      assertThat(store.pausedDeletions()).containsExactlyInAnyOrder("sites-a", "sites-c");
    }

    @Test
    void pausedDeletionsFollowTheLatestRecordAndForget() {
      store.record("sites-a", paused(DeletionCause.OPTED_OUT), NOW);
      store.record("sites-b", paused(DeletionCause.OPTED_OUT), NOW);
      store.record("sites-a", result(Outcome.DELETED, "deleted"), NOW);
      store.forget("sites-b");

      assertThat(store.pausedDeletions()).isEmpty();
      assertThat(store.pausedByCause()).isEmpty();
    }

    @Test
    void aReadDoesNotLiftAPause() {
      store.record("sites-a", paused(DeletionCause.UPSTREAM_MISSING), NOW);

      store.noteRead("sites-a", FOUND_V2, NOW);

      assertThat(store.pausedDeletions()).containsExactly("sites-a");
    }

    @Test
    void pausedByCauseCountsEachPausedSiteUnderItsCause() {
      store.record("sites-a", paused(DeletionCause.OPTED_OUT), NOW);
      store.record("sites-b", paused(DeletionCause.OPTED_OUT), NOW);
      store.record("sites-c", paused(DeletionCause.UPSTREAM_MISSING), NOW);
      store.record("sites-d", result(Outcome.UNCHANGED, "in sync"), NOW);

      assertThat(store.pausedByCause()).containsExactlyInAnyOrderEntriesOf(
          Map.of(DeletionCause.OPTED_OUT, 2L, DeletionCause.UPSTREAM_MISSING, 1L));

      store.record("sites-a", result(Outcome.DELETED, "deleted"), NOW);

      assertThat(store.pausedByCause()).containsExactlyInAnyOrderEntriesOf(
          Map.of(DeletionCause.OPTED_OUT, 1L, DeletionCause.UPSTREAM_MISSING, 1L));
    }

    @Test
    void countByOutcomeCountsEachSiteOnce() {
      store.record("sites-a", result(Outcome.UNCHANGED, "in sync"), NOW);
      store.record("sites-b", result(Outcome.UNCHANGED, "in sync"), NOW);
      store.record("sites-c", result(Outcome.SOURCE_ERROR, "failed"), NOW);
      store.record("sites-c", result(Outcome.SOURCE_ERROR, "failed again"), NOW);

      assertThat(store.countByOutcome())
          .containsExactlyInAnyOrderEntriesOf(Map.of(Outcome.UNCHANGED, 2L, Outcome.SOURCE_ERROR, 1L));
    }

    @Test
    void countByOutcomeOfAnEmptyFleetIsEmpty() {
      assertThat(store.countByOutcome()).isEmpty();
    }

    @Test
    void snapshotIsACopy() {
      store.record("sites-a", result(Outcome.UNCHANGED, "in sync"), NOW);
      Map<String, SiteState> snapshot = store.snapshot();

      store.record("sites-b", result(Outcome.UNCHANGED, "in sync"), NOW);

      assertThat(snapshot).containsOnlyKeys("sites-a");
    }
  }
}
