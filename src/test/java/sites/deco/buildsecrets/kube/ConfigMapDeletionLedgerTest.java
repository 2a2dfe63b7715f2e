package sites.deco.buildsecrets.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.sync.DeletionLedger.Sent;
import sites.deco.buildsecrets.sync.DeletionLedger.State;

/** The deletion ledger's ConfigMap form: exact round trips, and refusals of what it cannot read. */
class ConfigMapDeletionLedgerTest {
  private static final Instant NOW = Instant.parse("2026-12-05T23:30:00.123456Z");

  private static Sent sent(int secondsAfter, String uid) {
    return new Sent(NOW.plusSeconds(secondsAfter), uid);
  }

  @Test
  void aStateRoundTripsExactly() throws Exception {
    State s = State.EMPTY.trip(NOW).with(sent(0, "0b7e-uid-1")).with(sent(3, "0b7e-uid-2"));

    Map<String, String> data = ConfigMapDeletionLedger.render(s);

    assertThat(data).containsEntry("tripped-since", "2026-12-05T23:30:00.123456Z")
        .containsEntry("sent", "2026-12-05T23:30:00.123456Z 0b7e-uid-1\n2026-12-05T23:30:03.123456Z 0b7e-uid-2\n");
    assertThat(ConfigMapDeletionLedger.parse(data)).isEqualTo(s);
  }

  @Test
  void anUntrippedEmptyStateHasNoTripTime() throws Exception {
    Map<String, String> data = ConfigMapDeletionLedger.render(State.EMPTY);

    assertThat(data).doesNotContainKey("tripped-since").containsEntry("sent", "");
    assertThat(ConfigMapDeletionLedger.parse(data)).isEqualTo(State.EMPTY);
    assertThat(ConfigMapDeletionLedger.parse(Map.of())).isEqualTo(State.EMPTY);
  }

  @Test
  void aLedgerEditedIntoNonsenseIsRefusedNotReadAsEmpty() {
    // Read as empty, it would reopen the budget and forget the trip.
    assertThatThrownBy(() -> ConfigMapDeletionLedger.parse(Map.of("sent", "yesterday u1\n")))
        .isInstanceOf(DeletionLedger.Unavailable.class).hasMessageContaining("not RFC 3339");
    assertThatThrownBy(() -> ConfigMapDeletionLedger.parse(Map.of("sent", "2026-12-05T23:30:00Z\n")))
        .isInstanceOf(DeletionLedger.Unavailable.class).hasMessageContaining("<time> <Secret UID>");
    assertThatThrownBy(() -> ConfigMapDeletionLedger.parse(Map.of("tripped-since", "soon")))
        .isInstanceOf(DeletionLedger.Unavailable.class);
  }

  @Test
  void theInMemoryLedgerKeepsWhatWasSaved() throws Exception {
    DeletionLedger memory = DeletionLedger.inMemory();
    State s = State.EMPTY.with(sent(0, "u1"));

    memory.save(s);

    assertThat(memory.load()).isEqualTo(s);
    assertThat(memory.describe()).isEqualTo("memory only");
  }
}
