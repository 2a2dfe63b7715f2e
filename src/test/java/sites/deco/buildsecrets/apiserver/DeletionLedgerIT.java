package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.sync.DeletionLedger.Sent;
import sites.deco.buildsecrets.sync.DeletionLedger.State;
import sites.deco.buildsecrets.testbed.ClientCerts;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/** The deletion ledger's ConfigMap on a real API server: created, read back, and never overwritten blindly. */
class DeletionLedgerIT {
  private static final String NAMESPACE = "default";
  private static final Instant T = Instant.parse("2026-12-05T23:30:00.5Z");

  private final TestBed bed = TestBed.get();
  private final String name = Sites.fresh("ledger-it");

  private ConfigMapDeletionLedger ledger(KubernetesClient client) {
    return new ConfigMapDeletionLedger(client, NAMESPACE, name);
  }

  private ConfigMap stored() {
    return bed.admin().configMaps().inNamespace(NAMESPACE).withName(name).get();
  }

  @Test
  void aMissingLedgerReadsEmptyAndTheFirstSaveCreatesIt() throws Exception {
    ConfigMapDeletionLedger ledger = ledger(bed.admin());
    assertThat(ledger.load()).isEqualTo(State.EMPTY);

    State state = new State(T, List.of(new Sent(T, "uid-1")));
    ledger.save(state);

    assertThat(stored().getData()).containsEntry("tripped-since", "2026-12-05T23:30:00.500Z")
        .containsEntry("sent", "2026-12-05T23:30:00.500Z uid-1\n");
    assertThat(stored().getMetadata().getLabels()).containsEntry("app.kubernetes.io/component", "deletion-ledger");
    assertThat(ledger(bed.admin()).load()).as("a new process reads it back").isEqualTo(state);
  }

  @Test
  void aStaleWriterMergesWithWhatTheOtherWroteInsteadOfOverwritingIt() throws Exception {
    ConfigMapDeletionLedger former = ledger(bed.admin());
    former.load();
    former.save(new State(null, List.of(new Sent(T, "uid-former"))));
    ConfigMapDeletionLedger successor = ledger(bed.admin());
    State seen = successor.load();
    successor.save(new State(T, List.of(new Sent(T.plusSeconds(1), "uid-successor"))).merge(seen));

    // The former leader's last write, a moment late, carries a stale resourceVersion: 409, re-read, union.
    State written = former.save(new State(null, List.of(new Sent(T, "uid-former"), new Sent(T.plusSeconds(2), "uid-late"))));

    State now = ledger(bed.admin()).load();
    assertThat(written).as("the writer learns what it wrote, so the guard adopts the other's records").isEqualTo(now);
    assertThat(now.sent()).extracting(Sent::secretUid).containsExactly("uid-former", "uid-successor", "uid-late");
    assertThat(now.trippedSince()).as("the trip is not undone by a stale writer").isEqualTo(T);
  }

  @Test
  void aLedgerDeletedUnderneathIsCreatedAgainOnTheNextSave() throws Exception {
    ConfigMapDeletionLedger ledger = ledger(bed.admin());
    ledger.save(new State(null, List.of(new Sent(T, "uid-1"))));
    bed.admin().configMaps().inNamespace(NAMESPACE).withName(name).delete();
    org.awaitility.Awaitility.await().until(() -> stored() == null);

    ledger.save(new State(null, List.of(new Sent(T, "uid-1"), new Sent(T, "uid-2"))));

    assertThat(stored().getData().get("sent")).contains("uid-1").contains("uid-2");
  }

  @Test
  void anIdentityWithoutRbacGetsUnavailableNamingTheConfigMapAndStatus() {
    KubernetesClient nobody = ClientCerts.client(bed, ClientCerts.mint(bed, "ledger-it-nobody", List.of()));
    ConfigMapDeletionLedger ledger = ledger(nobody);

    assertThatThrownBy(ledger::load).isInstanceOf(DeletionLedger.Unavailable.class)
        .hasMessage("cannot read ConfigMap default/" + name + ": HTTP 403");
    assertThatThrownBy(() -> ledger.save(State.EMPTY)).isInstanceOf(DeletionLedger.Unavailable.class)
        .hasMessage("cannot write ConfigMap default/" + name + ": HTTP 403");
    nobody.close();
  }

  @Test
  void aHandEditThatNoLongerParsesIsRefused() throws Exception {
    ledger(bed.admin()).save(new State(null, List.of(new Sent(T, "uid-1"))));
    bed.admin().configMaps().inNamespace(NAMESPACE).withName(name).edit(c -> {
      c.getData().put("sent", "recently uid-1\n");
      return c;
    });

    assertThatThrownBy(() -> ledger(bed.admin()).load()).isInstanceOf(DeletionLedger.Unavailable.class)
        .hasMessageStartingWith("cannot read ConfigMap default/" + name + ": a time in it is not RFC 3339");
  }
}
