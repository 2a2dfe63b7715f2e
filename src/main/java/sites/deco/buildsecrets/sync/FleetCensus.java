package sites.deco.buildsecrets.sync;

import java.util.List;

/**
 * The managed Secrets in site namespaces, as the informer caches hold them right now: the
 * population the deletion budget is a share of, and the opt-out candidates, known before any
 * deletion without a single upstream read.
 */
public record FleetCensus(List<Member> members) {

  /**
   * One namespace holding a managed Secret.
   *
   * @param secretUid the managed Secret's UID
   * @param optedIn the namespace opts in (so the Secret stays unless its key goes missing)
   * @param terminating the namespace is being deleted: its Secret goes with it, unbudgeted
   * @param approvedDeletion its approval annotation approves deleting this Secret
   * @param approvedKeyRemoval its approval annotation approves removing keys from this Secret as it is
   */
  public record Member(String namespace, String secretUid, boolean optedIn, boolean terminating,
      boolean approvedDeletion, boolean approvedKeyRemoval) {}

  /** Members that count towards the budget's population. */
  public long population() {
    return members.stream().filter(m -> !m.terminating()).count();
  }
}
