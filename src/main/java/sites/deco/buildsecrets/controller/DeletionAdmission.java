package sites.deco.buildsecrets.controller;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.DeletionApproval;
import sites.deco.buildsecrets.sync.DeletionCause;
import sites.deco.buildsecrets.sync.DeletionGuard;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.Plan;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SiteStore;

/**
 * Admits a plan the moment before it is sent: every deletion and key removal but a namespace's own
 * teardown goes through the deletion guard here, with the corroborating reads the guard asks for.
 * A plan the guard does not let through becomes a {@link Plan.Keep} that says why.
 */
final class DeletionAdmission {
  private final DeletionGuard guard;
  private final SiteStore store;
  private final Source source;
  private final Naming naming;
  private final Duration confirmation;
  private final Clock clock;

  DeletionAdmission(DeletionGuard guard, SiteStore store, Source source, Naming naming, Duration confirmation,
      Clock clock) {
    this.guard = guard;
    this.store = store;
    this.source = source;
    this.naming = naming;
    this.confirmation = confirmation;
    this.clock = clock;
  }

  /**
   * A plan as the deletion guard lets it run.
   *
   * @param permit the budget slot a sent deletion holds; null when none was reserved
   * @param recheck read the key again after this long (a missing key being confirmed); else null
   * @param pausedCause the cause of a paused deletion; else null
   */
  record Admitted(Plan plan, DeletionGuard.Permit permit, Duration recheck, DeletionCause pausedCause) {
    /** @param httpStatus the API server's answer to the failed write; 0 or less when none came */
    void writeFailed(int httpStatus) {
      if (permit != null) {
        permit.deleteFailed(httpStatus);
      }
    }
  }

  /**
   * Tells the store, before the guard is asked, whether the latest upstream answer would remove
   * keys: the guard counts every such site as a candidate, as it counts opt-outs and missing keys.
   * An unreachable upstream changes nothing.
   */
  void noteKeyRemoval(SiteRef site, Upstream upstream, Plan plan) {
    if (upstream != null && !(upstream instanceof Upstream.Unreachable)) {
      store.noteKeyRemoval(site.namespace(), plan instanceof Plan.Update u && u.removesKeys(), clock.instant());
    }
  }

  Admitted admit(SiteRef site, Plan plan, Upstream upstream, String approval) {
    LocalSecret.Managed current;
    DeletionCause cause;
    if (plan instanceof Plan.Delete delete) {
      current = delete.current();
      cause = delete.cause();
    } else if (plan instanceof Plan.Update update && update.removesKeys()) {
      current = update.current();
      cause = DeletionCause.KEYS_REMOVED;
    } else {
      return new Admitted(plan, null, null, null);
    }
    boolean approved = DeletionApproval.approves(approval, current, cause);
    boolean scheduled = scheduledForDeletion(upstream);
    DeletionGuard.Admission admission = guard.admit(site, current, cause, approved, scheduled);
    if (admission instanceof DeletionGuard.Corroborate asked) {
      DeletionGuard.Paused inconclusive = corroborate(asked);
      admission = inconclusive != null ? inconclusive : guard.admit(site, current, cause, approved, scheduled);
    }
    String why = plan instanceof Plan.Delete delete ? delete.why() : plan.message();
    return switch (admission) {
      case DeletionGuard.Allowed allowed -> new Admitted(approved ? approvedPlan(plan) : plan, allowed.permit(), null, null);
      case DeletionGuard.Confirming confirming -> new Admitted(
          new Plan.Keep(Outcome.UPSTREAM_MISSING, why + "; the Secret is deleted once the key has stayed "
              + "missing for " + GoDuration.format(confirmation) + " (in "
              + GoDuration.formatWholeSecondsUp(confirming.remaining()) + ") and other keys are confirmed present"),
          null, confirming.remaining(), null);
      case DeletionGuard.Paused paused -> new Admitted(
          new Plan.Keep(Outcome.DELETION_PAUSED, pausedWhy(plan, why) + " (" + cause.description() + ") paused: "
              + paused.reason() + "; " + kept(cause)), null, null, cause);
      case DeletionGuard.Corroborate again -> new Admitted(
          new Plan.Keep(Outcome.DELETION_PAUSED, pausedWhy(plan, why) + " paused: other keys changed while "
              + "corroborating; " + kept(cause)), null, null, cause);
    };
  }

  private static String pausedWhy(Plan plan, String why) {
    return plan instanceof Plan.Update ? "not " + why + "; the update" : why + "; deletion";
  }

  private static String kept(DeletionCause cause) {
    return cause == DeletionCause.KEYS_REMOVED ? "the Secret keeps its current data" : "the Secret is kept";
  }

  private static Plan approvedPlan(Plan plan) {
    return switch (plan) {
      case Plan.Delete d -> new Plan.Delete(d.current(), d.cause(), d.why() + " (deletion approved)");
      default -> plan;
    };
  }

  /** Reads the sampled keys directly, notes what they hold, and tells the guard; null when clean. */
  private DeletionGuard.Paused corroborate(DeletionGuard.Corroborate asked) {
    Map<String, String> keyToNamespace = new HashMap<>();
    for (String ns : asked.namespaces()) {
      naming.siteOf(ns).ifPresent(site -> keyToNamespace.put(naming.upstreamKey(site), ns));
    }
    Map<String, Upstream> answers = ReconcileExecutor.withoutSlot(() -> source.readEach(keyToNamespace.keySet()));
    int missing = 0;
    int found = 0;
    Instant now = clock.instant();
    for (Map.Entry<String, String> e : keyToNamespace.entrySet()) {
      Upstream answer = answers.get(e.getKey());
      store.noteRead(e.getValue(), answer, now);
      if (answer instanceof Upstream.Missing && !scheduledForDeletion(answer)) {
        missing++;
      } else if (!(answer instanceof Upstream.Unreachable)) {
        found++; // found, invalid, or scheduled for deletion: the key exists where we look
      }
    }
    return guard.corroborated(asked, missing, found);
  }

  private static boolean scheduledForDeletion(Upstream upstream) {
    return upstream instanceof Upstream.Missing m && m.reason() == Upstream.MissingReason.SCHEDULED_FOR_DELETION;
  }
}
