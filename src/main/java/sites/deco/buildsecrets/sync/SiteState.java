package sites.deco.buildsecrets.sync;

import java.time.Instant;
import sites.deco.buildsecrets.source.Upstream;

/**
 * Everything the operator knows about one site since it started, in one immutable record. Only
 * {@link SiteStore} replaces it, atomically. Holds no Secret value outside {@link #held}, which
 * never leaves memory.
 *
 * @param outcome the last reconcile's outcome
 * @param message the last reconcile's message (key names at most)
 * @param since when the outcome last changed
 * @param upstreamVersion version id last read, null if none
 * @param upstreamMissing the last direct read (or listing) found the key missing
 * @param missingSince when the key was first found missing in the current run of misses, else null
 * @param readSinceStart an upstream answer (of any result) arrived since start-up
 * @param failures consecutive failed upstream reads or Secret writes, for backoff
 * @param fingerprint the inputs of the last reconcile (annotations, Secret uid and resourceVersion)
 * @param nextReadDue when the next upstream read is due even if nothing changes
 * @param held an upstream answer waiting for this site's reconcile: read by the sweep in a batch,
 *     or kept after a failed write so the retry applies the same answer; null when none
 * @param pausedCause why the last deletion was paused by the guard; null unless {@code outcome} is
 *     {@link Outcome#DELETION_PAUSED}
 * @param removesKeys the last upstream answer would remove keys from the managed Secret: a
 *     candidate of the deletion guard until it is applied or undone
 */
public record SiteState(
    Outcome outcome,
    String message,
    Instant since,
    String upstreamVersion,
    boolean upstreamMissing,
    Instant missingSince,
    boolean readSinceStart,
    int failures,
    String fingerprint,
    Instant nextReadDue,
    Held held,
    DeletionCause pausedCause,
    boolean removesKeys) {

  /** An upstream answer with the force-sync token the namespace had when it was read. */
  public record Held(Upstream upstream, String syncToken) {
    @Override
    public String toString() {
      return "Held[" + upstream.getClass().getSimpleName() + "]";
    }
  }

  static SiteState fresh(Instant now) {
    return new SiteState(Outcome.UNCHANGED, "", now, null, false, null, false, 0, null, null, null, null, false);
  }

  /** What an upstream answer says about the key; an unreachable upstream keeps the previous answer. */
  SiteState withRead(Upstream upstream, Instant now) {
    return switch (upstream) {
      case Upstream.Unreachable u -> this;
      case Upstream.Missing m -> new SiteState(outcome, message, since, upstreamVersion, true,
          missingSince == null ? now : missingSince, true, failures, fingerprint, nextReadDue, held, pausedCause, removesKeys);
      case Upstream.Found f -> new SiteState(outcome, message, since, f.version(), false, null, true, failures,
          fingerprint, nextReadDue, held, pausedCause, removesKeys);
      case Upstream.Invalid i -> new SiteState(outcome, message, since, upstreamVersion, false, null, true, failures,
          fingerprint, nextReadDue, held, pausedCause, removesKeys);
    };
  }

  SiteState withRemovesKeys(boolean removes) {
    return new SiteState(outcome, message, since, upstreamVersion, upstreamMissing, missingSince, readSinceStart,
        failures, fingerprint, nextReadDue, held, pausedCause, removes);
  }

  SiteState withHeld(Held answer) {
    return new SiteState(outcome, message, since, upstreamVersion, upstreamMissing, missingSince, readSinceStart,
        failures, fingerprint, nextReadDue, answer, pausedCause, removesKeys);
  }

  SiteState withFingerprint(String print, Instant due) {
    return new SiteState(outcome, message, since, upstreamVersion, upstreamMissing, missingSince, readSinceStart,
        failures, print, due, held, pausedCause, removesKeys);
  }

  /** The result of a reconcile; keeps what reads noted meanwhile. */
  SiteState withResult(Result r, Instant now) {
    return new SiteState(r.outcome(), r.message(), r.outcome() == outcome && !message.isEmpty() ? since : now,
        upstreamVersion, upstreamMissing, missingSince, readSinceStart, r.failures(), r.fingerprint(),
        r.nextReadDue(), held, r.pausedCause(), removesKeys);
  }

  /**
   * What a reconcile concluded.
   *
   * @param failures consecutive failures after this reconcile
   * @param fingerprint null to make the next reconcile read upstream whatever changed
   * @param nextReadDue null when only an event can change the answer
   */
  public record Result(
      Outcome outcome, String message, int failures, String fingerprint, Instant nextReadDue,
      DeletionCause pausedCause) {}
}
