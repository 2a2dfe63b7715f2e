package sites.deco.buildsecrets.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import sites.deco.buildsecrets.config.OperatorConfig;

/**
 * The deletion budget as a pure function of counts: how many managed Secrets the fleet has, how
 * many are candidates for a budgeted removal now, how many were removed within the window, and
 * what the budget allows. {@link DeletionGuard} adds the latch, the ledger and the time.
 *
 * @param population managed Secrets not removed within the window
 * @param recent removals recorded within the window
 * @param allowed what the budget allows for {@code population + recent}
 * @param notYetRead opted-in managed Secrets whose key has not been read since start-up
 * @param unread the first few of their namespaces, to name in a pause
 */
record BudgetCount(long population, long optedOut, long missing, long removingKeys, int recent, int allowed,
    long notYetRead, List<String> unread) {

  /**
   * Counts the census.
   *
   * @param sentRecently uids of the Secrets removed (or stripped of keys) within the window
   * @param named how many unread namespaces to name at most
   */
  static BudgetCount of(FleetCensus census, Function<String, Optional<SiteState>> states, Set<String> sentRecently,
      OperatorConfig.DeletionBudget budget, int named) {
    long population = 0;
    long optedOut = 0;
    long missing = 0;
    long removingKeys = 0;
    long notYetRead = 0;
    List<String> unread = new ArrayList<>();
    for (FleetCensus.Member m : census.members()) {
      Optional<SiteState> state = states.apply(m.namespace());
      if (m.optedIn() && !m.terminating() && !state.map(SiteState::readSinceStart).orElse(false)) {
        notYetRead++;
        if (unread.size() < named) {
          unread.add(m.namespace());
        }
      }
      if (m.terminating() || sentRecently.contains(m.secretUid())) {
        continue; // deleted a moment ago (still cached) or stripped of keys (still there): counted once, as recent
      }
      population++;
      if (!m.optedIn()) {
        optedOut += m.approvedDeletion() ? 0 : 1;
      } else if (state.map(SiteState::upstreamMissing).orElse(false)) {
        missing += m.approvedDeletion() ? 0 : 1;
      } else if (state.map(SiteState::removesKeys).orElse(false)) {
        removingKeys += m.approvedKeyRemoval() ? 0 : 1;
      }
    }
    int recent = sentRecently.size();
    return new BudgetCount(population, optedOut, missing, removingKeys, recent,
        budget.allowedMissing((int) (population + recent)), notYetRead, List.copyOf(unread));
  }

  long candidates() {
    return optedOut + missing + removingKeys;
  }

  /** More removals would be sent or recorded within the window than the budget allows. */
  boolean overBudget() {
    return candidates() + recent > allowed;
  }

  /**
   * Whether a tripped budget stays tripped: while more than {@code asking} unapproved candidates
   * are left, and until every managed Secret has been read since start-up. Before that, keys
   * missing in a wrong region or account are not candidates yet, so "nothing left" cannot be told
   * (a key whose reads keep failing since start-up therefore holds it too: the pause names it).
   */
  boolean latchHolds(boolean tripped, long asking) {
    return tripped && (candidates() > asking || notYetRead > 0);
  }

  String describeNotYetRead() {
    return notYetRead + " managed Secrets not yet read since start-up (" + String.join(", ", unread)
        + (notYetRead > unread.size() ? ", ..." : "") + ")";
  }

  String describe() {
    return candidates() + " of " + population + " managed Secrets would be deleted"
        + (removingKeys > 0 ? " or lose keys" : "") + " (" + optedOut + " opt-out, " + missing + " upstream missing"
        + (removingKeys > 0 ? ", " + removingKeys + " keys removed" : "") + ")"
        + (recent > 0 ? " and " + recent + " were deleted recently (or lost keys), within the budget window" : "");
  }
}
