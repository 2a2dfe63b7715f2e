package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.source.Upstream;

/** The budget from counts alone: who is a candidate, what counts as recent, when the latch holds. */
class BudgetCountTest {
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final OperatorConfig.DeletionBudget BUDGET = new OperatorConfig.DeletionBudget(10, 2);

  private static FleetCensus.Member member(String ns, boolean optedIn) {
    return new FleetCensus.Member(ns, "uid-" + ns, optedIn, false, false, false);
  }

  private static SiteState read(Upstream upstream) {
    return SiteState.fresh(NOW).withRead(upstream, NOW);
  }

  private static final SiteState FOUND = read(new Upstream.Found(null, "v1"));
  private static final SiteState MISSING = read(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));

  @Test
  void optOutsAndMissingKeysAreCandidatesAndRecentRemovalsCountOnceAgainstTheBudget() {
    FleetCensus census = new FleetCensus(List.of(member("sites-a", false), member("sites-b", true),
        member("sites-c", true), member("sites-d", true)));
    Map<String, SiteState> states = Map.of("sites-b", MISSING, "sites-c", FOUND, "sites-d", FOUND);

    BudgetCount count = BudgetCount.of(census, ns -> Optional.ofNullable(states.get(ns)), Set.of("uid-sites-d"),
        BUDGET, 5);

    assertThat(count.population()).as("the one removed recently is counted as recent, not twice").isEqualTo(3);
    assertThat(count.recent()).isEqualTo(1);
    assertThat(count.candidates()).isEqualTo(2);
    assertThat(count.allowed()).as("max(minimum 2, 10% of 4)").isEqualTo(2);
    assertThat(count.overBudget()).as("2 candidates + 1 recent > 2").isTrue();
  }

  @Test
  void theLatchHoldsWhileOthersAreLeftOrAnyManagedSecretIsUnread() {
    FleetCensus census = new FleetCensus(List.of(member("sites-a", true), member("sites-b", true)));

    BudgetCount unread = BudgetCount.of(census, ns -> Optional.empty(), Set.of(), BUDGET, 1);
    assertThat(unread.notYetRead()).isEqualTo(2);
    assertThat(unread.unread()).containsExactly("sites-a");
    assertThat(unread.latchHolds(true, 0)).isTrue();
    assertThat(unread.latchHolds(false, 0)).as("never without a trip").isFalse();

    BudgetCount oneMissing = BudgetCount.of(census, ns -> Optional.of(ns.equals("sites-a") ? MISSING : FOUND),
        Set.of(), BUDGET, 1);
    assertThat(oneMissing.latchHolds(true, 1)).as("the one asking is the only candidate left").isFalse();
    assertThat(oneMissing.latchHolds(true, 0)).isTrue();
  }
}
