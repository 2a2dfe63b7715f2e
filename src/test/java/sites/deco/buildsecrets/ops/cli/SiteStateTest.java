package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.NAMING;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.Plan;

/** The STATE column, computed through the operator's own rule table. */
class SiteStateTest {

  private static SiteState state(Secret secret, Source source, boolean lastEventPaused) {
    Inspection in = Inspection.of(CliFixtures.site("enabled"), secret, NAMING, source);
    return SiteState.of(in.plan(), lastEventPaused);
  }

  @Test
  void identicalDataAndVersionIsSynced() {
    assertThat(state(CliFixtures.owned(Map.of("A", "1"), "v1"), CliFixtures.answering("{\"A\":\"1\"}", "v1"), false))
        .isEqualTo(SiteState.SYNCED);
  }

  @Test
  void aMissingSecretOrDifferentDataOrVersionIsOutOfSync() {
    assertThat(state(null, CliFixtures.answering("{\"A\":\"1\"}", "v1"), false)).isEqualTo(SiteState.OUT_OF_SYNC);
    assertThat(state(CliFixtures.owned(Map.of("A", "1"), "v1"), CliFixtures.answering("{\"A\":\"2\"}", "v2"), false))
        .isEqualTo(SiteState.OUT_OF_SYNC);
    assertThat(state(CliFixtures.owned(Map.of("A", "1"), "v1"), CliFixtures.answering("{\"A\":\"1\"}", "v2"), false))
        .isEqualTo(SiteState.OUT_OF_SYNC);
  }

  @Test
  void aMissingKeyIsUpstreamMissingUnlessTheOperatorLastReportedDeletionPaused() {
    assertThat(state(null, CliFixtures.missing(), false)).isEqualTo(SiteState.UPSTREAM_MISSING);
    // A managed Secret whose key is missing: the CLI's guard always pauses, so the plan keeps it.
    Inspection in = Inspection.of(CliFixtures.site("enabled"), CliFixtures.owned(Map.of("A", "1"), "v1"), NAMING,
        CliFixtures.missing());
    assertThat(in.plan()).isInstanceOf(Plan.Keep.class);
    assertThat(in.plan().outcome()).isEqualTo(Outcome.DELETION_PAUSED);
    assertThat(SiteState.needsLastEvent(in.plan())).isTrue();
    assertThat(SiteState.of(in.plan(), false)).isEqualTo(SiteState.UPSTREAM_MISSING);
    assertThat(SiteState.of(in.plan(), true)).isEqualTo(SiteState.DELETION_PAUSED);
  }

  @Test
  void notOwnedInvalidAndErrorComeFromTheirRows() {
    assertThat(state(CliFixtures.handMade(Map.of("A", "1")), CliFixtures.failing(SourceException.Kind.ACCESS_DENIED), false))
        .isEqualTo(SiteState.NOT_OWNED);
    assertThat(state(null, CliFixtures.answering("{\"A\":1}", "v1"), false)).isEqualTo(SiteState.INVALID);
    assertThat(state(CliFixtures.owned(Map.of("A", "1"), "v1"), CliFixtures.failing(SourceException.Kind.ACCESS_DENIED), false))
        .isEqualTo(SiteState.ERROR);
  }

  @Test
  void anOptedOutNamespaceIsOffAndItsManagedSecretWouldBeDeleted() {
    Inspection in = Inspection.of(CliFixtures.site(null), CliFixtures.owned(Map.of("A", "1"), "v1"), NAMING,
        CliFixtures.failing(SourceException.Kind.TIMEOUT));
    assertThat(in.upstream()).isNull();
    assertThat(in.plan()).isInstanceOf(Plan.Delete.class);
    assertThat(SiteState.of(new Plan.Keep(Outcome.OPTED_OUT, "x"), false)).isEqualTo(SiteState.OFF);
    assertThat(SiteState.of(new Plan.Keep(Outcome.UNRECOGNISED_OPT_IN, "x"), false)).isEqualTo(SiteState.OFF);
  }

  @Test
  void onlyMissingKeyPlansNeedTheEventLookup() {
    assertThat(SiteState.needsLastEvent(new Plan.Keep(Outcome.UPSTREAM_MISSING, "x"))).isTrue();
    assertThat(SiteState.needsLastEvent(new Plan.Keep(Outcome.UNCHANGED, "x"))).isFalse();
    assertThat(SiteState.needsLastEvent(new Plan.Keep(Outcome.SOURCE_ERROR, "x"))).isFalse();
  }
}
