package sites.deco.buildsecrets.sync;

import sites.deco.buildsecrets.source.Upstream;

/**
 * The rule table: the seed's nine rows plus ours, as one pure function. Read it against the
 * table in the README.
 *
 * <pre>
 * opt-in | upstream            | local     | plan
 * -------+---------------------+-----------+---------------------------------------------
 * off    | (not read)          | absent    | keep: opted out (warn once if value is not "enabled")
 * off    | (not read)          | managed   | delete
 * off    | (not read)          | unowned   | keep: leave alone
 * on     | (not read)          | unowned   | keep: NotOwned warning
 * on     | unreachable         | any       | keep: SourceError (fail static)
 * on     | invalid payload     | any       | keep: InvalidPayload
 * on     | missing             | absent    | keep: upstream missing (lazy creation)
 * on     | missing             | managed   | delete if the fleet guard allows, else keep: DeletionPaused
 * on     | found               | absent    | create
 * on     | found               | managed   | update if data or version differ, else keep: unchanged
 * </pre>
 */
public final class SyncRules {
  private SyncRules() {}

  /** Whether the table needs an upstream read for this pair. Opt-outs and unowned Secrets never do. */
  public static boolean needsUpstream(SiteRef site, LocalSecret local) {
    return site.optedIn() && !(local instanceof LocalSecret.Unowned);
  }

  /**
   * @param upstream the upstream read; null exactly when {@link #needsUpstream} is false
   * @param guard consulted only when a managed Secret's upstream key is missing
   */
  public static Plan decide(SiteRef site, LocalSecret local, Upstream upstream, DeletionGuard guard) {
    if (!site.optedIn()) {
      return switch (local) {
        case LocalSecret.Managed m ->
            new Plan.Delete(m, site.terminating() ? "namespace is being deleted" : "namespace opted out");
        case LocalSecret.Absent a when site.hasUnrecognisedOptIn() -> unrecognisedOptIn(site);
        case LocalSecret.Unowned u when site.hasUnrecognisedOptIn() -> unrecognisedOptIn(site);
        default -> new Plan.Keep(Outcome.OPTED_OUT, "namespace is not opted in");
      };
    }
    if (local instanceof LocalSecret.Unowned) {
      return new Plan.Keep(
          Outcome.NOT_OWNED,
          "a Secret of this name exists without the operator's labels; it is left untouched and upstream is not read");
    }
    return switch (upstream) {
      case null -> throw new IllegalArgumentException("an opted-in namespace needs an upstream read");
      case Upstream.Unreachable u ->
          new Plan.Keep(Outcome.SOURCE_ERROR, "upstream read failed, " + u.describe() + "; " + kept(local));
      case Upstream.Invalid i ->
          new Plan.Keep(Outcome.INVALID_PAYLOAD, "upstream payload rejected, " + i.describe() + "; " + kept(local));
      case Upstream.Missing miss -> switch (local) {
        case LocalSecret.Managed m -> {
          DeletionGuard.Verdict verdict = guard.verdict();
          yield verdict.allowed()
              ? new Plan.Delete(m, "upstream key " + miss.reason().description())
              : new Plan.Keep(
                  Outcome.DELETION_PAUSED,
                  "upstream key " + miss.reason().description() + " but deletion is paused: " + verdict.reason()
                      + "; the Secret is kept");
        }
        default -> new Plan.Keep(
            Outcome.UPSTREAM_MISSING, "upstream key " + miss.reason().description() + "; no Secret is created until it exists");
      };
      case Upstream.Found found -> switch (local) {
        case LocalSecret.Managed m ->
            m.data().equals(found.data()) && found.version().equals(m.version())
                ? new Plan.Keep(Outcome.UNCHANGED, "in sync with upstream version " + found.version())
                : new Plan.Update(m, found.data(), found.version());
        default -> new Plan.Create(found.data(), found.version());
      };
    };
  }

  private static Plan unrecognisedOptIn(SiteRef site) {
    return new Plan.Keep(
        Outcome.UNRECOGNISED_OPT_IN,
        "annotation value " + sites.deco.buildsecrets.source.Printable.quote(site.optInValue())
            + " does not opt in: the value must be exactly \"enabled\"");
  }

  private static String kept(LocalSecret local) {
    return local instanceof LocalSecret.Managed ? "the existing Secret is kept" : "no Secret is written";
  }
}
