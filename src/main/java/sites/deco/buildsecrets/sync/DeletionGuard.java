package sites.deco.buildsecrets.sync;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.OperatorConfig.DeletionBudget;

/**
 * Fleet-wide consent for every removal from a managed Secret (its deletion, except a namespace's
 * own, or an update that drops keys), asked when the write is about to be sent. Below, "deletion"
 * covers both.
 *
 * <p><b>Budget.</b> The candidates (managed Secrets in namespaces no longer opted in, those whose
 * key was read missing, and those whose upstream update would drop keys) and the budgeted
 * deletions sent within the budget's window must stay within max(minimum, percent% of the
 * population). The window is long (a day by default) and independent of the resync period, so the
 * budget caps how many tenants lose data in a window, whatever the pace. The opt-out candidates
 * come from the informer caches, so a configuration that makes every namespace look opted out
 * deletes nothing at all, and counting recent deletions means a bulk change arriving namespace by
 * namespace stops at the budget. Each Secret counts once per window, whatever happened to it.
 *
 * <p><b>Latched.</b> Once a deletion is paused over budget, the guard stays tripped: every further
 * budgeted deletion pauses too, until no unapproved candidate is left (the mistake was undone) or
 * each is approved. Waiting for the window to refill never drains a standing mistake. Whether a
 * mistake was undone is judged only once every managed Secret has been read since start-up: before
 * that, keys still missing in a wrong region or account are not counted yet.
 *
 * <p><b>Remembered.</b> The latch and the recent deletions live in a {@link DeletionLedger}, read
 * before the first budgeted deletion (or at the first {@link #upkeep}) and written before each
 * deletion is sent, so a restart or a new leader carries on where the last one stopped. A ledger
 * that cannot be read or written pauses budgeted deletions: forgetting is never the fallback.
 *
 * <p><b>Upstream missing.</b> Within the budget, a key read missing is deleted only (1) after every managed Secret has
 * been read since start-up, (2) once it has stayed missing for the confirmation delay, and (3)
 * after a clean corroboration: a direct read of a few other managed keys, taken since it went
 * missing, found most of them present (a key scheduled for deletion counts as present, and needs
 * no corroboration itself: it exists in the account and region read). A fleet with no other
 * managed key has nothing to corroborate with. A wrong region or account makes every key missing,
 * so no
 * order of reads (force-syncs, fresh opt-ins, per-key mode) gets a single deletion through.
 *
 * <p><b>Approved.</b> An approval ({@link DeletionApproval}) lifts the budget for its one Secret,
 * and only the budget: a key read missing still waits for the complete pass, the confirmation
 * delay and the corroborating reads.
 */
public final class DeletionGuard {
  /** Other keys read to tell a lone removal from a wrong region or account. */
  public static final int CORROBORATION_SAMPLE = 5;
  /** Namespaces named in a pause that waits for keys not yet read. */
  private static final int UNREAD_NAMED = 3;
  /** How long an unreadable ledger's answer stands before the next read is tried. */
  static final Duration LEDGER_RETRY = Duration.ofSeconds(10);

  private final SiteStore store;
  private final DeletionLedger ledger;
  private final Supplier<FleetCensus> census;
  private final DeletionBudget budget;
  private final Duration confirmationDelay;
  private final Clock clock;
  /** The ledger's state as last read or saved, plus changes a failed save lost; null until read. */
  private DeletionLedger.State memory;
  /** A change to {@link #memory} (a trip, an un-trip, a slot given back) is not in the ledger yet. */
  private boolean unsaved;
  private Paused ledgerUnreadable;
  private Instant ledgerUnreadableAt = Instant.MIN;
  private Instant lastCleanCorroboration = Instant.MIN;
  private Instant lastFailedCorroboration = Instant.MIN;
  private Paused lastFailure;

  /**
   * @param census the managed Secrets as the informer caches hold them
   * @param budget how many, and within which window
   * @param confirmationDelay how long a key must stay missing before its Secret is deleted
   */
  public DeletionGuard(SiteStore store, DeletionLedger ledger, Supplier<FleetCensus> census, DeletionBudget budget,
      Duration confirmationDelay, Clock clock) {
    this.store = store;
    this.ledger = ledger;
    this.census = census;
    this.budget = budget;
    this.confirmationDelay = confirmationDelay;
    this.clock = clock;
  }

  /** The guard's answer for one deletion. */
  public sealed interface Admission {}

  /** Send it now; if it fails or meets a conflict, tell the {@link Permit#deleteFailed permit}. */
  public record Allowed(Permit permit) implements Admission {}

  /** Keep the Secret; {@code reason} says why, with counts. */
  public record Paused(String reason) implements Admission {}

  /** Keep the Secret for now and read the key again after {@code remaining}. */
  public record Confirming(Duration remaining) implements Admission {}

  /** Read these other keys directly, note the answers, and ask again. */
  public record Corroborate(List<String> namespaces, Instant asked) implements Admission {}

  /** A reserved budget slot: it counts as a sent deletion unless the API server's answer proves none happened. */
  public final class Permit {
    private final DeletionLedger.Sent sent;

    /** @param sent null for a deletion outside the budget */
    private Permit(DeletionLedger.Sent sent) {
      this.sent = sent;
    }

    /**
     * The delete did not succeed. The slot is given back only when the answer proves that nothing
     * was deleted: a 4xx such as a 409 (a precondition failed), a 403 or a 429. No answer, a 5xx or
     * a 408 may hide a delete the API server did commit, and a 404 may be an earlier attempt of ours
     * that did: those keep the slot, so lost answers never carry deletions past the budget. (A
     * retry of the same Secret is counted once: the budget counts Secret UIDs.)
     *
     * @param httpStatus the API server's status code; 0 or less when no answer came
     */
    public void deleteFailed(int httpStatus) {
      boolean nothingDeleted = httpStatus >= 400 && httpStatus < 500 && httpStatus != 404 && httpStatus != 408;
      if (sent != null && nothingDeleted) {
        synchronized (DeletionGuard.this) {
          memory = memory.without(sent);
          unsaved = true;
          saveQuietly(); // if lost, the ledger counts one deletion too many: the safe side
        }
      }
    }
  }

  /** Asks whether {@code plan} may be sent now; reserves its slot when it may. */
  public Admission admit(SiteRef site, Plan.Delete plan, boolean approved) {
    return admit(site, plan.current(), plan.cause(), approved, false);
  }

  /**
   * @param current the managed Secret the deletion or update would remove data from
   * @param approved a trusted person approved exactly this removal: the budget does not apply
   * @param scheduledForDeletion the key was read as scheduled for deletion: it exists in this
   *     account and region, so the read itself proves the operator looks at the right place and
   *     needs no corroboration
   */
  public Admission admit(SiteRef site, LocalSecret.Managed current, DeletionCause cause, boolean approved,
      boolean scheduledForDeletion) {
    if (!cause.budgeted()) {
      return new Allowed(new Permit(null)); // never waits for the ledger, nor for the lock its I/O holds
    }
    if (approved) {
      // Lifts the budget only: an approved deletion for a missing key is confirmed like any other.
      if (cause == DeletionCause.UPSTREAM_MISSING) {
        Admission first;
        synchronized (this) {
          first = upstreamMissingChecks(site, clock.instant(), notYetRead(), scheduledForDeletion);
        }
        if (first != null) {
          return first;
        }
      }
      return new Allowed(new Permit(null));
    }
    synchronized (this) {
      return admitBudgeted(site, current, cause, scheduledForDeletion);
    }
  }

  private Admission admitBudgeted(SiteRef site, LocalSecret.Managed current, DeletionCause cause,
      boolean scheduledForDeletion) {
    Instant now = clock.instant();
    Paused unread = readLedger(now);
    if (unread != null) {
      return unread;
    }
    BudgetCount count = count(now);
    // The deletion asked for is a candidate itself, unless a recorded attempt already counts it as
    // recent: the trip holds while any other candidate is left.
    boolean alreadyRecorded = memory.uidsSince(now.minus(budget.window())).contains(current.uid());
    if (count.latchHolds(memory.tripped(), alreadyRecorded ? 0 : 1)) {
      return new Paused("deletions are paused since the budget was exceeded: " + count.describe()
          + (count.notYetRead() > 0 ? "; " + count.describeNotYetRead() : "")
          + "; undo the change, or approve each deletion (approve-deletions)");
    }
    if (memory.tripped()) {
      memory = memory.untrip();
      unsaved = true; // saved with the next deletion; if lost, a restart re-checks the same condition
    }
    if (count.overBudget()) {
      memory = memory.trip(now);
      unsaved = true;
      return new Paused(count.describe() + ", over the deletion budget of " + count.allowed()
          + " (a configuration mistake, a bulk opt-out, or a wrong region or account?)" + saveQuietly());
    }
    if (cause == DeletionCause.UPSTREAM_MISSING) {
      Admission first = upstreamMissingChecks(site, now, count.notYetRead(), scheduledForDeletion);
      if (first != null) {
        return first;
      }
    }
    DeletionLedger.Sent sent = new DeletionLedger.Sent(now, current.uid());
    DeletionLedger.State next = memory.with(sent).since(now.minus(budget.window()));
    DeletionLedger.State written;
    try {
      written = ledger.save(next); // before the delete is sent: a crash in between over-counts, never under-counts
    } catch (DeletionLedger.Unavailable e) {
      return new Paused("the deletion could not be recorded first (" + e.getMessage()
          + "); budgeted deletions wait for the deletion ledger");
    }
    memory = written;
    unsaved = false;
    Instant cutoff = now.minus(budget.window());
    if (written.tripped() != next.tripped() || !written.uidsSince(cutoff).equals(next.uidsSince(cutoff))) {
      // Another writer (a former leader's last reconciles) recorded a trip or deletions we had not
      // counted: decide again with them. Our record stays, counting one deletion too many at most.
      return new Paused("the deletion ledger held deletions or a trip recorded by another operator process "
          + "(a former leader?); deciding again with them");
    }
    return new Allowed(new Permit(sent));
  }


  /**
   * Housekeeping on the sweep's cadence: reads the ledger if nothing has yet, clears a trip whose
   * cause was wholly undone (with no candidate left, no deletion would ever ask and clear it), and
   * saves a change an earlier save lost.
   */
  public synchronized void upkeep() {
    Instant now = clock.instant();
    if (readLedger(now) != null) {
      return;
    }
    if (memory.tripped() && !count(now).latchHolds(true, 0)) {
      memory = memory.untrip();
      unsaved = true;
    }
    if (unsaved) {
      saveQuietly();
    }
  }

  /** Null once the ledger has been read; else the pause that keeps budgeted deletions waiting for it. */
  private Paused readLedger(Instant now) {
    if (memory != null) {
      return null;
    }
    if (ledgerUnreadable != null && now.isBefore(ledgerUnreadableAt.plus(LEDGER_RETRY))) {
      return ledgerUnreadable;
    }
    try {
      memory = ledger.load().since(now.minus(budget.window()));
      ledgerUnreadable = null;
      return null;
    } catch (DeletionLedger.Unavailable e) {
      ledgerUnreadableAt = now;
      ledgerUnreadable = new Paused("the deletion ledger could not be read (" + e.getMessage() + "); budgeted "
          + "deletions wait for it, so that a restart never forgets a tripped guard or recent deletions");
      return ledgerUnreadable;
    }
  }

  /**
   * Saves a change that is safe to lose for a while ({@link #upkeep} tries again); returns what a
   * message should add when it was not saved.
   */
  private String saveQuietly() {
    try {
      memory = ledger.save(memory);
      unsaved = false;
      return "";
    } catch (DeletionLedger.Unavailable e) {
      return "; not yet in the deletion ledger (" + e.getMessage() + "), so a restart may not remember this pause";
    }
  }

  /** Opted-in managed Secrets whose key has not been read since start-up. */
  private long notYetRead() {
    return census.get().members().stream().filter(m -> m.optedIn() && !m.terminating()
        && !store.get(m.namespace()).map(SiteState::readSinceStart).orElse(false)).count();
  }

  /** Null when the upstream-missing conditions hold; else what to do first. */
  private Admission upstreamMissingChecks(SiteRef site, Instant now, long notYetRead, boolean scheduledForDeletion) {
    FleetCensus fleet = census.get();
    if (notYetRead > 0) {
      return new Paused("waiting for a complete pass: " + notYetRead + " of " + fleet.population()
          + " managed Secrets not yet read since start-up");
    }
    Instant missingSince = store.get(site.namespace()).map(SiteState::missingSince).orElse(now);
    Duration waited = Duration.between(missingSince, now);
    if (waited.compareTo(confirmationDelay) < 0) {
      return new Confirming(confirmationDelay.minus(waited));
    }
    if (!scheduledForDeletion && lastCleanCorroboration.isBefore(missingSince)) {
      if (lastFailedCorroboration.isAfter(missingSince) && lastFailedCorroboration.plus(confirmationDelay).isAfter(now)) {
        return lastFailure; // one corroboration a confirmation delay says it for every missing key
      }
      List<String> sample = corroborationSample(fleet, site.namespace());
      if (!sample.isEmpty()) {
        return new Corroborate(sample, now);
      }
    }
    return null;
  }

  /**
   * Records what a corroboration read found: clean when most sampled keys were present. A key
   * scheduled for deletion counts as present: it exists in the account and region read.
   *
   * @return null when clean (ask {@link #admit} again), else the pause to report
   */
  public synchronized Paused corroborated(Corroborate asked, int missing, int found) {
    if (found > 0 && missing * 2 < missing + found) {
      lastCleanCorroboration = asked.asked();
      return null;
    }
    lastFailedCorroboration = asked.asked();
    lastFailure = new Paused(missing + " of " + (missing + found) + " other managed keys read just now are missing "
        + "or unreadable too (a wrong region or account?)");
    return lastFailure;
  }

  /**
   * Other managed, opted-in sites, picked at random, whatever their last answer: a wrong region or
   * account makes them all read missing again, so it never corroborates.
   */
  private static List<String> corroborationSample(FleetCensus fleet, String except) {
    List<String> others = new ArrayList<>();
    for (FleetCensus.Member m : fleet.members()) {
      if (m.optedIn() && !m.terminating() && !m.namespace().equals(except)) {
        others.add(m.namespace());
      }
    }
    Collections.shuffle(others);
    return List.copyOf(others.subList(0, Math.min(CORROBORATION_SAMPLE, others.size())));
  }

  /** Whether a paused deletion could now pass, without reserving anything: then it is re-examined. */
  public synchronized boolean wouldAllowAny() {
    Instant now = clock.instant();
    if (readLedger(now) != null) {
      return false;
    }
    BudgetCount count = count(now);
    if (count.latchHolds(memory.tripped(), 1)) {
      return false;
    }
    return !count.overBudget();
  }

  /** One line for the once-per-sweep summary; null when nothing is paused. */
  public String pauseSummary() {
    Map<DeletionCause, Long> paused = store.pausedByCause();
    if (paused.isEmpty()) {
      return null;
    }
    BudgetCount count;
    Paused unreadable;
    synchronized (this) {
      count = count(clock.instant());
      unreadable = memory == null ? ledgerUnreadable : null;
    }
    long total = paused.values().stream().mapToLong(Long::longValue).sum();
    List<String> byCause = new ArrayList<>();
    paused.forEach((cause, n) -> byCause.add(n + " " + cause.description()));
    return "deletion guard: " + total + " deletions paused (" + String.join(", ", byCause) + "); " + count.describe()
        + "; budget " + count.allowed() + " per " + GoDuration.format(budget.window())
        + "; Secrets keep their data until the cause is undone or each deletion is approved"
        + (unreadable == null ? "" : "; " + unreadable.reason());
  }

  private BudgetCount count(Instant now) {
    Set<String> sent = memory == null ? Set.of() : memory.uidsSince(now.minus(budget.window()));
    return BudgetCount.of(census.get(), store::get, sent, budget, UNREAD_NAMED);
  }
}
