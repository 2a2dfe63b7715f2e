package sites.deco.buildsecrets.sync;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import sites.deco.buildsecrets.source.Upstream;

/**
 * The one store of per-site state: a {@link SiteState} per site namespace, replaced atomically by
 * the methods below and by nothing else. The reconciler, the sweep and the deletion guard all read
 * and write through it, so a sweep's note and a reconcile's result can never overwrite each other.
 * (The fleet-wide record of budgeted deletions is the guard's own, in its {@link DeletionLedger};
 * upstream answers waiting for a reconcile live in the controller's event source.)
 */
public final class SiteStore {
  private final Map<String, SiteState> sites = new ConcurrentHashMap<>();
  /** Sites whose last outcome is DELETION_PAUSED: asked after reconciles, so O(paused), not O(fleet). */
  private final Set<String> paused = ConcurrentHashMap.newKeySet();

  public Optional<SiteState> get(String namespace) {
    return Optional.ofNullable(sites.get(namespace));
  }

  /** The one writer: replaces a site's state atomically, creating it fresh when absent. */
  private SiteState update(String namespace, Instant now, UnaryOperator<SiteState> change) {
    SiteState after = sites.compute(namespace, (ns, before) -> {
      SiteState base = before == null ? SiteState.fresh(now) : before;
      SiteState next = change.apply(base);
      // Inside the compute, so the index never disagrees with the record it indexes.
      if (next.outcome() == Outcome.DELETION_PAUSED) {
        paused.add(ns);
      } else {
        paused.remove(ns);
      }
      return next;
    });
    return after;
  }

  /** Notes what an upstream read or a listing said, before any reconcile acts on it: the guard counts it at once. */
  public void noteRead(String namespace, Upstream upstream, Instant now) {
    update(namespace, now, s -> s.withRead(upstream, now));
  }

  /**
   * Notes whether the plan made from the latest upstream answer removes keys from the managed
   * Secret, before the guard is asked: the guard counts it as a candidate at once.
   */
  public void noteKeyRemoval(String namespace, boolean removes, Instant now) {
    update(namespace, now, s -> s.removesKeys() == removes ? s : s.withRemovesKeys(removes));
  }

  /**
   * Records a reconcile's result, keeping what reads noted meanwhile.
   *
   * @return true when outcome or message changed, i.e. an Event is due
   */
  public boolean record(String namespace, SiteState.Result result, Instant now) {
    SiteState before = sites.get(namespace);
    SiteState after = update(namespace, now, s -> s.withResult(result, now));
    return before == null || before.outcome() != after.outcome() || !before.message().equals(after.message());
  }

  /**
   * Marks a site as found unchanged by the sweep's listing: its version and digest match, so its
   * reconcile needs no read until {@code due} unless its inputs change, and nothing is to be
   * removed from it (an upstream that went back to the Secret's version undid a paused removal).
   */
  public void noteUnchanged(String namespace, String version, String fingerprint, Instant due, Instant now) {
    update(namespace, now, s -> s.withRead(new Upstream.Found(null, version), now).withNext(new SiteState.NextRead(fingerprint, due))
        .withRemovesKeys(false));
  }

  /**
   * How long to wait before reading again, when nothing that could change the answer has changed
   * since the last reconcile: our own writes and unrelated Namespace edits land here.
   */
  public Optional<Duration> waitIfUnchanged(String namespace, String fingerprint, Instant now) {
    SiteState s = sites.get(namespace);
    if (s == null || s.fingerprint() == null || !s.fingerprint().equals(fingerprint)
        || s.nextReadDue() == null || !now.isBefore(s.nextReadDue())) {
      return Optional.empty();
    }
    return Optional.of(Duration.between(now, s.nextReadDue()));
  }

  /** Makes the next reconcile read upstream, whatever the fingerprint says. */
  public void invalidate(String namespace) {
    sites.computeIfPresent(namespace, (ns, s) -> s.withNext(new SiteState.NextRead(null, s.nextReadDue())));
  }

  /** Drops a site that needs no memory: gone, or not opted in and holding no Secret. */
  public void forget(String namespace) {
    sites.remove(namespace);
    paused.remove(namespace);
  }

  /** Namespaces whose deletion the guard paused. */
  public Set<String> pausedDeletions() {
    return Set.copyOf(paused);
  }

  public Map<Outcome, Long> countByOutcome() {
    Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
    sites.values().forEach(s -> counts.merge(s.outcome(), 1L, Long::sum));
    return counts;
  }

  /** Paused deletions by cause, for the gauge and the sweep's summary line. */
  public Map<DeletionCause, Long> pausedByCause() {
    Map<DeletionCause, Long> counts = new EnumMap<>(DeletionCause.class);
    for (String ns : paused) {
      SiteState s = sites.get(ns);
      if (s != null && s.pausedCause() != null) {
        counts.merge(s.pausedCause(), 1L, Long::sum);
      }
    }
    return counts;
  }

  /** Iterates every known site; for the guard's corroboration sample. */
  public Map<String, SiteState> snapshot() {
    return Map.copyOf(sites);
  }
}
