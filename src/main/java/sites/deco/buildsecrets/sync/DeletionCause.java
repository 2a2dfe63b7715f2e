package sites.deco.buildsecrets.sync;

/**
 * Why the rule table wants a managed Secret gone, or emptied of some keys. Every cause but a
 * namespace being deleted goes through the fleet-wide deletion budget: an opt-out can be a
 * configuration mistake (a mistyped opt-in annotation makes every namespace look opted out) as
 * surely as a missing key can be a wrong region, and an upstream update that drops keys (a bad
 * bulk write of {@code {}}) strips builds of their variables as surely as a deletion.
 */
public enum DeletionCause {
  NAMESPACE_DELETED("namespace deleted", false),
  OPTED_OUT("opt-out", true),
  UPSTREAM_MISSING("upstream missing", true),
  KEYS_REMOVED("keys removed", true);

  private final String description;
  private final boolean budgeted;

  DeletionCause(String description, boolean budgeted) {
    this.description = description;
    this.budgeted = budgeted;
  }

  public String description() {
    return description;
  }

  /** Whether a deletion for this cause needs the deletion guard's consent. */
  public boolean budgeted() {
    return budgeted;
  }

  /** A bounded metric label. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
