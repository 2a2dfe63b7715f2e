package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.NAMING;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.sync.DeletionCause;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.Plan;

/** The STATE column, computed through the operator's own rule table. */
class SiteStateTest {

  private static StatusState state(Secret secret, Source source, boolean lastEventPaused) {
    Inspection in = Inspection.of(CliFixtures.site("enabled"), secret, NAMING, source);
    return StatusState.of(in.plan(), lastEventPaused);
  }

  @Test
  void identicalDataAndVersionIsSynced() {
    assertThat(state(PlanDescriptionTest.ownedAsWritten(Map.of("A", "1"), "v1"),
        CliFixtures.answering("{\"A\":\"1\"}", "v1"), false))
        .isEqualTo(StatusState.SYNCED);
  }

  @Test
  void identicalDataAndVersionWithoutAMatchingDigestIsOutOfSync() {
    assertThat(state(CliFixtures.owned(Map.of("A", "1"), "v1"), CliFixtures.answering("{\"A\":\"1\"}", "v1"), false))
        .isEqualTo(StatusState.OUT_OF_SYNC);
  }

  @Test
  void aMissingSecretOrDifferentDataOrVersionIsOutOfSync() {
    assertThat(state(null, CliFixtures.answering("{\"A\":\"1\"}", "v1"), false)).isEqualTo(StatusState.OUT_OF_SYNC);
    assertThat(state(CliFixtures.owned(Map.of("A", "1"), "v1"), CliFixtures.answering("{\"A\":\"2\"}", "v2"), false))
        .isEqualTo(StatusState.OUT_OF_SYNC);
    assertThat(state(CliFixtures.owned(Map.of("A", "1"), "v1"), CliFixtures.answering("{\"A\":\"1\"}", "v2"), false))
        .isEqualTo(StatusState.OUT_OF_SYNC);
  }

  @Test
  void aMissingKeyIsUpstreamMissingUnlessTheOperatorLastReportedDeletionPaused() {
    assertThat(state(null, CliFixtures.missing(), false)).isEqualTo(StatusState.UPSTREAM_MISSING);
    // A managed Secret whose key is missing: the table plans a budgeted delete; whether the
    // operator's guard paused it, only its last Event tells.
    Inspection in = Inspection.of(CliFixtures.site("enabled"), PlanDescriptionTest.ownedAsWritten(Map.of("A", "1"), "v1"),
        NAMING, CliFixtures.missing());
    assertThat(in.plan()).isInstanceOfSatisfying(Plan.Delete.class,
        d -> assertThat(d.cause()).isEqualTo(DeletionCause.UPSTREAM_MISSING));
    assertThat(StatusState.needsLastEvent(in.plan())).isTrue();
    assertThat(StatusState.of(in.plan(), false)).isEqualTo(StatusState.UPSTREAM_MISSING);
    assertThat(StatusState.of(in.plan(), true)).isEqualTo(StatusState.DELETION_PAUSED);
  }

  @Test
  void notOwnedInvalidAndErrorComeFromTheirRows() {
    assertThat(state(CliFixtures.handMade(Map.of("A", "1")), CliFixtures.failing(SourceException.Kind.ACCESS_DENIED), false))
        .isEqualTo(StatusState.NOT_OWNED);
    assertThat(state(null, CliFixtures.answering("{\"A\":1}", "v1"), false)).isEqualTo(StatusState.INVALID);
    assertThat(state(CliFixtures.owned(Map.of("A", "1"), "v1"), CliFixtures.failing(SourceException.Kind.ACCESS_DENIED), false))
        .isEqualTo(StatusState.ERROR);
  }

  @Test
  void anOptedOutNamespaceIsOffAndItsManagedSecretIsABudgetedDeletion() {
    Inspection in = Inspection.of(CliFixtures.site(null), CliFixtures.owned(Map.of("A", "1"), "v1"), NAMING,
        CliFixtures.failing(SourceException.Kind.TIMEOUT));
    assertThat(in.upstream()).isNull();
    assertThat(in.plan()).isInstanceOfSatisfying(Plan.Delete.class,
        d -> assertThat(d.cause()).isEqualTo(DeletionCause.OPTED_OUT));
    assertThat(StatusState.needsLastEvent(in.plan())).isTrue();
    assertThat(StatusState.of(in.plan(), false)).isEqualTo(StatusState.OUT_OF_SYNC);
    assertThat(StatusState.of(in.plan(), true)).isEqualTo(StatusState.DELETION_PAUSED);
    assertThat(StatusState.of(new Plan.Keep(Outcome.OPTED_OUT, "x"), false)).isEqualTo(StatusState.OFF);
    assertThat(StatusState.of(new Plan.Keep(Outcome.UNRECOGNISED_OPT_IN, "x"), false)).isEqualTo(StatusState.OFF);
  }

  @Test
  void onlyBudgetedDeletionsNeedTheEventLookup() {
    var managed = (sites.deco.buildsecrets.sync.LocalSecret.Managed) sites.deco.buildsecrets.sync.LocalSecret.of(
        CliFixtures.owned(Map.of("A", "1"), "v1"), NAMING);
    assertThat(StatusState.needsLastEvent(new Plan.Delete(managed, DeletionCause.OPTED_OUT, "x"))).isTrue();
    assertThat(StatusState.needsLastEvent(new Plan.Delete(managed, DeletionCause.UPSTREAM_MISSING, "x"))).isTrue();
    assertThat(StatusState.needsLastEvent(new Plan.Delete(managed, DeletionCause.NAMESPACE_DELETED, "x"))).isFalse();
    // Without a managed Secret nothing can be paused: no Event lookup.
    assertThat(StatusState.needsLastEvent(new Plan.Keep(Outcome.UPSTREAM_MISSING, "x"))).isFalse();
    assertThat(StatusState.needsLastEvent(new Plan.Keep(Outcome.UNCHANGED, "x"))).isFalse();
    assertThat(StatusState.needsLastEvent(new Plan.Keep(Outcome.SOURCE_ERROR, "x"))).isFalse();
  }
}
