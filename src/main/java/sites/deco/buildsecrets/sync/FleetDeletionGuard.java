package sites.deco.buildsecrets.sync;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.function.Supplier;
import sites.deco.buildsecrets.config.OperatorConfig.DeletionBudget;

/**
 * Allows an upstream-missing deletion only when (1) every managed Secret has had an upstream read
 * since start-up, so the operator has seen the whole fleet, and (2) the managed Secrets whose key
 * is missing, plus those already deleted for that reason within the last window, stay within the
 * budget. Counting recent deletions matters: without it, keys vanishing one by one would each look
 * like a lone removal and the whole fleet would go. A wrong region or account makes every key
 * missing at once, far over budget: nothing beyond the budget is deleted, at start-up or later.
 *
 * <p>An allowed verdict reserves its slot at once, so concurrent reconciles cannot overshoot.
 */
public final class FleetDeletionGuard implements DeletionGuard {
  private final FleetView fleet;
  private final Supplier<Collection<String>> managedSecretNamespaces;
  private final DeletionBudget budget;
  private final Duration window;
  private final Clock clock;

  /**
   * @param managedSecretNamespaces opted-in namespaces currently holding a managed Secret (from
   *     the informer cache, so the population is the cluster's, not only what was reconciled)
   * @param window how long a deletion keeps counting against the budget
   */
  public FleetDeletionGuard(
      FleetView fleet,
      Supplier<Collection<String>> managedSecretNamespaces,
      DeletionBudget budget,
      Duration window,
      Clock clock) {
    this.fleet = fleet;
    this.managedSecretNamespaces = managedSecretNamespaces;
    this.budget = budget;
    this.window = window;
    this.clock = clock;
  }

  @Override
  public synchronized Verdict verdict() {
    return evaluate(true);
  }

  /** The verdict a deletion would get now, without reserving a slot. */
  public synchronized boolean wouldAllow() {
    return evaluate(false).allowed();
  }

  private Verdict evaluate(boolean reserve) {
    Collection<String> managed = managedSecretNamespaces.get();
    int notYetRead = 0;
    int missing = 0;
    for (String ns : managed) {
      FleetView.SiteStatus s = fleet.get(ns).orElse(null);
      if (s == null || !s.readSinceStart()) {
        notYetRead++;
      } else if (s.upstreamMissing()) {
        missing++;
      }
    }
    if (notYetRead > 0) {
      return Verdict.pause(
          "waiting for a complete pass: " + notYetRead + " of " + managed.size()
              + " managed Secrets not yet read since start-up");
    }
    int recentlyDeleted = fleet.missingDeletionsSince(clock.instant().minus(window));
    int population = managed.size() + recentlyDeleted;
    int allowed = budget.allowedMissing(population);
    if (missing + recentlyDeleted > allowed) {
      return Verdict.pause(
          (missing + recentlyDeleted) + " of " + population + " managed Secrets are missing upstream"
              + (recentlyDeleted > 0 ? " (" + recentlyDeleted + " of them already deleted recently)" : "")
              + ", over the deletion budget of " + allowed + " (wrong region or account?)");
    }
    if (reserve) {
      fleet.recordMissingDeletion(clock.instant());
    }
    return Verdict.ALLOW;
  }
}
