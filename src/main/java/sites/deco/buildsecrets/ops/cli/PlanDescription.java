package sites.deco.buildsecrets.ops.cli;

import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.KeyDiff;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.Plan;

/**
 * What {@code sync} says about a plan: key names, versions and reasons only, never a value. Pure.
 *
 * @param text one line
 * @param writes the plan writes (create, update or delete)
 * @param exitCode 0 for a write or a no-op, 1 when the sync is refused, invalid or failed
 */
public record PlanDescription(String text, boolean writes, int exitCode) {
  /** Removals pass the fleet-wide budget, which only the operator keeps: a command line never bypasses it. */
  private static final String OPERATOR_ONLY = "the operator applies it within its fleet-wide deletion budget, "
      + "or at once when approved (approve-deletions); the command line does not";

  public static PlanDescription of(Plan plan, Upstream upstream) {
    return switch (plan) {
      case Plan.Create c -> new PlanDescription(
          "create with keys " + c.data().keys() + " (upstream version " + c.version() + ")", true, 0);
      case Plan.Update u -> {
        KeyDiff d = KeyDiff.between(u.current().observed(), u.data());
        String text = "update: added " + d.added() + ", removed " + d.removed() + ", changed " + d.changed()
            + " (version " + orNone(u.current().version()) + " -> " + u.version() + ")";
        yield u.removesKeys()
            ? new PlanDescription(text + ": it removes keys, so " + OPERATOR_ONLY, false, 1)
            : new PlanDescription(text, true, 0);
      }
      case Plan.Delete d when d.cause().budgeted() -> new PlanDescription(
          "delete (" + d.cause().description() + ": " + d.why() + "): " + OPERATOR_ONLY, false, 1);
      case Plan.Delete d -> new PlanDescription("delete (" + d.why() + ")", true, 0);
      case Plan.Keep k -> switch (k.outcome()) {
        case UNCHANGED -> new PlanDescription("nothing to do (in sync, version " + version(upstream) + ")", false, 0);
        case OPTED_OUT -> new PlanDescription("nothing to do (namespace is not opted in)", false, 0);
        case UNRECOGNISED_OPT_IN -> new PlanDescription("nothing to do (" + k.message() + ")", false, 0);
        case UPSTREAM_MISSING -> new PlanDescription("nothing to do (" + k.message() + ")", false, 0);
        case DELETION_PAUSED -> new PlanDescription("deletion paused: " + k.message(), false, 1);
        case NOT_OWNED -> new PlanDescription(
            "refused: not owned (a Secret of this name exists without the operator's labels; it is left untouched)",
            false, 1);
        case INVALID_PAYLOAD -> new PlanDescription("invalid payload: "
            + (upstream instanceof Upstream.Invalid i ? i.describe() : k.message()) + "; nothing is written", false, 1);
        case WRITE_ERROR -> new PlanDescription(k.message(), false, 1);
        case SOURCE_ERROR -> new PlanDescription("upstream error: "
            + (upstream instanceof Upstream.Unreachable u ? u.describe() : k.message()) + "; nothing is written",
            false, 1);
        case CREATED, UPDATED, DELETED -> new PlanDescription(k.message(), false, 0);
      };
    };
  }

  /** The Secret as it stands, for the line before the plan. */
  public static String current(LocalSecret local) {
    return switch (local) {
      case LocalSecret.Absent a -> "no Secret";
      case LocalSecret.Unowned u -> "a Secret not owned by the operator";
      case LocalSecret.Managed m -> "managed Secret at version " + orNone(m.version()) + " with keys " + m.keys();
    };
  }

  /** The upstream answer, for the line before the plan. */
  public static String upstream(Upstream upstream) {
    return switch (upstream) {
      case null -> "not read (not needed)";
      case Upstream.Found f -> "version " + f.version() + " with keys " + f.data().keys();
      case Upstream.Missing m -> m.reason().description();
      case Upstream.Invalid i -> "invalid: " + i.describe();
      case Upstream.Unreachable u -> "unreadable: " + u.describe();
    };
  }

  private static String version(Upstream upstream) {
    return upstream instanceof Upstream.Found f ? f.version() : "?";
  }

  private static String orNone(String s) {
    return s == null ? "(none)" : s;
  }
}
