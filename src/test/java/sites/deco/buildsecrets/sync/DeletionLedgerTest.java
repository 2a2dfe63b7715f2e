package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.sync.DeletionLedger.Sent;
import sites.deco.buildsecrets.sync.DeletionLedger.State;

/** The deletion guard's memory: its state's arithmetic, and the ConfigMap form it is kept in. */
class DeletionLedgerTest {
  private static final Instant NOW = Instant.parse("2026-12-05T23:30:00.123456Z");

  private static Sent sent(int secondsAfter, String uid) {
    return new Sent(NOW.plusSeconds(secondsAfter), uid);
  }

  @Nested
  class StateArithmetic {

    @Test
    void nothingIsRememberedAtFirst() {
      assertThat(State.EMPTY.tripped()).isFalse();
      assertThat(State.EMPTY.uidsSince(Instant.MIN)).isEmpty();
    }

    @Test
    void deletionsAtOrAfterTheCutOffCount() {
      State s = State.EMPTY.with(sent(0, "u1")).with(sent(10, "u2")).with(sent(20, "u3"));

      assertThat(s.uidsSince(NOW)).containsExactly("u1", "u2", "u3");
      assertThat(s.uidsSince(NOW.plusSeconds(10))).containsExactly("u2", "u3");
      assertThat(s.uidsSince(NOW.plusSeconds(21))).isEmpty();
      assertThat(s.since(NOW.plusSeconds(10)).sent()).containsExactly(sent(10, "u2"), sent(20, "u3"));
    }

    @Test
    void aGivenBackDeletionNoLongerCountsButARetryOfTheSameSecretCountsOnce() {
      State s = State.EMPTY.with(sent(0, "u1")).with(sent(0, "u2")).with(sent(5, "u2"));

      assertThat(s.without(sent(0, "u1")).uidsSince(Instant.MIN)).containsExactly("u2");
    }

    @Test
    void aTripKeepsItsFirstTime() {
      State s = State.EMPTY.trip(NOW).trip(NOW.plusSeconds(60));

      assertThat(s.trippedSince()).isEqualTo(NOW);
      assertThat(s.untrip().tripped()).isFalse();
    }

    @Test
    void twoWritersMergeTheCautiousWay() {
      State mine = State.EMPTY.with(sent(10, "u2")).untrip();
      State theirs = State.EMPTY.trip(NOW).with(sent(0, "u1")).with(sent(10, "u2"));

      State merged = mine.merge(theirs);

      assertThat(merged.trippedSince()).as("tripped if either is").isEqualTo(NOW);
      assertThat(merged.sent()).as("every deletion either recorded, once, oldest first")
          .containsExactly(sent(0, "u1"), sent(10, "u2"));
      assertThat(theirs.merge(mine)).isEqualTo(merged);
      assertThat(State.EMPTY.trip(NOW.plusSeconds(5)).merge(State.EMPTY.trip(NOW)).trippedSince()).isEqualTo(NOW);
    }
  }

}
