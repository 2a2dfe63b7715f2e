package sites.deco.buildsecrets.sync;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * What the operator last learned about every site it reconciled, since it started. It feeds the
 * deletion guard (which sites are missing upstream, and whether every managed Secret has been read
 * at least once), Event de-duplication, skipping redundant reads, the gauges and {@code status}.
 * Holds no Secret value.
 */
public final class FleetView {

  /**
   * @param since when the outcome last changed
   * @param upstreamVersion version id last read, null if none
   * @param upstreamMissing the last read found the key missing
   * @param readSinceStart an upstream read (of any result) happened since start-up
   * @param failures consecutive failed reads, for backoff
   * @param fingerprint the inputs of the last reconcile (annotations, Secret resourceVersion)
   * @param nextReadDue when the next upstream read is due even if nothing changes
   */
  public record SiteStatus(
      Outcome outcome,
      String message,
      Instant since,
      String upstreamVersion,
      boolean upstreamMissing,
      boolean readSinceStart,
      int failures,
      String fingerprint,
      Instant nextReadDue) {}

  private final Map<String, SiteStatus> sites = new ConcurrentHashMap<>();
  /** Sites whose last outcome is DELETION_PAUSED, kept with each record: asked after every reconcile. */
  private final Set<String> pausedDeletions = ConcurrentHashMap.newKeySet();
  /** When each recent upstream-missing deletion was allowed, oldest first. */
  private final java.util.Deque<Instant> missingDeletions = new java.util.ArrayDeque<>();

  public Optional<SiteStatus> get(String namespace) {
    return Optional.ofNullable(sites.get(namespace));
  }

  /**
   * How long to wait before reading again, when nothing that could change the answer has changed
   * since the last reconcile: our own writes and unrelated Namespace edits land here.
   */
  public Optional<Duration> waitIfUnchanged(String namespace, String fingerprint, Instant now) {
    SiteStatus s = sites.get(namespace);
    if (s == null || s.fingerprint() == null || !s.fingerprint().equals(fingerprint)
        || s.nextReadDue() == null || !now.isBefore(s.nextReadDue())) {
      return Optional.empty();
    }
    return Optional.of(Duration.between(now, s.nextReadDue()));
  }

  /**
   * Notes what an upstream read (or a listing) said about a site, keeping its last outcome: the
   * deletion guard counts it at once, before the reconcile that acts on it.
   *
   * @param missing the key does not exist (or is scheduled for deletion); an unreachable upstream
   *     keeps the previous answer
   * @param version the current version, or null to keep the previous one
   */
  public void noteRead(String namespace, Boolean missing, String version, Instant now) {
    sites.compute(namespace, (ns, p) -> new SiteStatus(
        p == null ? Outcome.UNCHANGED : p.outcome(),
        p == null ? "" : p.message(),
        p == null ? now : p.since(),
        version != null ? version : p == null ? null : p.upstreamVersion(),
        missing != null ? missing : p != null && p.upstreamMissing(),
        true,
        p == null ? 0 : p.failures(),
        p == null ? null : p.fingerprint(),
        p == null ? null : p.nextReadDue()));
  }

  /** Records a reconcile's result; true when outcome or message changed, i.e. an Event is due. */
  public boolean record(String namespace, SiteStatus status) {
    SiteStatus previous = sites.put(namespace, status);
    if (status.outcome() == Outcome.DELETION_PAUSED) {
      pausedDeletions.add(namespace);
    } else {
      pausedDeletions.remove(namespace);
    }
    return previous == null
        || previous.outcome() != status.outcome()
        || !previous.message().equals(status.message());
  }

  /** Drops a site that needs no memory: not opted in and holding no Secret. */
  public void forget(String namespace) {
    sites.remove(namespace);
    pausedDeletions.remove(namespace);
  }

  /** Makes the next reconcile read upstream, whatever the fingerprint says. */
  public void invalidate(String namespace) {
    sites.computeIfPresent(
        namespace,
        (ns, s) -> new SiteStatus(s.outcome(), s.message(), s.since(), s.upstreamVersion(), s.upstreamMissing(),
            s.readSinceStart(), s.failures(), null, s.nextReadDue()));
  }

  /** Counts a deletion allowed because an upstream key went missing. */
  public synchronized void recordMissingDeletion(Instant at) {
    missingDeletions.addLast(at);
  }

  /** Upstream-missing deletions allowed at or after {@code since}; older ones are forgotten. */
  public synchronized int missingDeletionsSince(Instant since) {
    while (!missingDeletions.isEmpty() && missingDeletions.peekFirst().isBefore(since)) {
      missingDeletions.removeFirst();
    }
    return missingDeletions.size();
  }

  /** Namespaces whose deletion the guard paused; O(paused), not O(fleet). */
  public Set<String> pausedDeletions() {
    return Set.copyOf(pausedDeletions);
  }

  public Map<Outcome, Long> countByOutcome() {
    return sites.values().stream().collect(Collectors.groupingBy(SiteStatus::outcome, Collectors.counting()));
  }
}
