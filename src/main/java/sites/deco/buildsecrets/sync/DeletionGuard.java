package sites.deco.buildsecrets.sync;

/**
 * Fleet-wide consent for a deletion caused by an upstream key going missing. Consulted only for
 * that row of the rule table, so a wrong region or account can never empty the cluster.
 */
@FunctionalInterface
public interface DeletionGuard {

  Verdict verdict();

  record Verdict(boolean allowed, String reason) {
    public static final Verdict ALLOW = new Verdict(true, "within the deletion budget");

    public static Verdict pause(String reason) {
      return new Verdict(false, reason);
    }
  }
}
