package sites.deco.buildsecrets.sync;

import sites.deco.buildsecrets.source.Printable;
import sites.deco.buildsecrets.source.Upstream;

/**
 * The rule table, as one pure function of the namespace, the local Secret and the upstream
 * answer. Read it against the table in the README. It decides what should
 * happen; whether a budgeted deletion may happen now is the deletion guard's call, made when the
 * delete is about to be sent ({@link DeletionGuard}), so the command line shows the same plan the
 * operator executes.
 *
 * <pre>
 * opt-in | upstream            | local     | plan
 * -------+---------------------+-----------+---------------------------------------------
 * off    | (not read)          | absent    | keep: opted out (warn once if value is not "enabled")
 * off    | (not read)          | managed   | delete: opt-out (budgeted), or namespace deleted (not budgeted)
 * off    | (not read)          | unowned   | keep: leave alone
 * on     | (not read)          | unowned   | keep: NotOwned warning
 * on     | unreachable         | any       | keep: SourceError (fail static)
 * on     | invalid payload     | any       | keep: InvalidPayload
 * on     | missing             | absent    | keep: upstream missing (lazy creation)
 * on     | missing             | managed   | delete: upstream missing (budgeted, confirmed, corroborated)
 * on     | found               | absent    | create
 * on     | found               | managed   | update if data, version or digest differ, else keep: unchanged
 *        |                     |           |   (data compared by the digest computed when the Secret was read);
 *        |                     |           |   an update that removes keys is budgeted like a deletion
 * </pre>
 */
public final class SyncRules {
  private SyncRules() {}

  /** Whether the table needs an upstream read for this pair. Opt-outs and unowned Secrets never do. */
  public static boolean needsUpstream(SiteRef site, LocalSecret local) {
    return site.optedIn() && !(local instanceof LocalSecret.Unowned);
  }

  /** @param upstream the upstream read; null exactly when {@link #needsUpstream} is false */
  public static Plan decide(SiteRef site, LocalSecret local, Upstream upstream) {
    if (!site.optedIn()) {
      return switch (local) {
        case LocalSecret.Managed m when site.terminating() ->
            new Plan.Delete(m, DeletionCause.NAMESPACE_DELETED, "namespace is being deleted");
        case LocalSecret.Managed m -> new Plan.Delete(m, DeletionCause.OPTED_OUT, site.hasUnrecognisedOptIn()
            ? "namespace opted out: " + unrecognised(site) : "namespace opted out");
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
        case LocalSecret.Managed m ->
            new Plan.Delete(m, DeletionCause.UPSTREAM_MISSING, "upstream key " + miss.reason().description());
        default -> new Plan.Keep(
            Outcome.UPSTREAM_MISSING, "upstream key " + miss.reason().description() + "; no Secret is created until it exists");
      };
      case Upstream.Found found -> switch (local) {
        case LocalSecret.Managed m ->
            m.holds(found.data()) && found.version().equals(m.version()) && m.digestCurrent()
                ? new Plan.Keep(Outcome.UNCHANGED, "in sync with upstream version " + found.version())
                : new Plan.Update(m, found.data(), found.version());
        default -> new Plan.Create(found.data(), found.version());
      };
    };
  }

  private static Plan unrecognisedOptIn(SiteRef site) {
    return new Plan.Keep(Outcome.UNRECOGNISED_OPT_IN, unrecognised(site));
  }

  private static String unrecognised(SiteRef site) {
    return "annotation value " + Printable.quote(site.optInValue())
        + " does not opt in: the value must be exactly \"enabled\"";
  }

  private static String kept(LocalSecret local) {
    return local instanceof LocalSecret.Managed ? "the existing Secret is kept" : "no Secret is written";
  }
}
