package sites.deco.buildsecrets.sync;

import java.util.Collection;
import java.util.function.Supplier;
import sites.deco.buildsecrets.config.OperatorConfig.DeletionBudget;

/**
 * Allows an upstream-missing deletion only when (1) every managed Secret has had an upstream read
 * since start-up, so the operator has seen the whole fleet, and (2) the number of managed Secrets
 * whose upstream is missing is within the budget. A wrong region or account makes every key
 * missing at once, which is far over budget: nothing is deleted.
 */
public final class FleetDeletionGuard implements DeletionGuard {
  private final FleetView fleet;
  private final Supplier<Collection<String>> managedSecretNamespaces;
  private final DeletionBudget budget;

  /**
   * @param managedSecretNamespaces namespaces currently holding a managed Secret (from the
   *     informer cache, so the population is the cluster's, not only what was reconciled)
   */
  public FleetDeletionGuard(
      FleetView fleet, Supplier<Collection<String>> managedSecretNamespaces, DeletionBudget budget) {
    this.fleet = fleet;
    this.managedSecretNamespaces = managedSecretNamespaces;
    this.budget = budget;
  }

  @Override
  public Verdict verdict() {
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
    int allowed = budget.allowedMissing(managed.size());
    if (missing > allowed) {
      return Verdict.pause(
          missing + " of " + managed.size() + " managed Secrets are missing upstream, over the deletion budget of "
              + allowed + " (wrong region or account?)");
    }
    return Verdict.ALLOW;
  }
}
