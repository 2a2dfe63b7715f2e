package sites.deco.buildsecrets.sync;

import java.time.Instant;
import sites.deco.buildsecrets.source.Upstream;

/**
 * Everything the operator knows about one site since it started, in one immutable value of three
 * parts: the last reconcile's {@link Result}, what upstream was last {@link Seen} to hold, and when
 * to {@link NextRead read} again. Only {@link SiteStore} replaces it, atomically. Holds no Secret
 * value.
 */
public record SiteState(LastResult result, Seen seen, NextRead next) {

  /**
   * The last reconcile's result.
   *
   * @param message key names at most
   * @param since when the outcome last changed
   * @param failures consecutive failed upstream reads or Secret writes, for backoff
   * @param pausedCause why the last deletion was paused by the guard; null unless {@code outcome}
   *     is {@link Outcome#DELETION_PAUSED}
   */
  public record LastResult(Outcome outcome, String message, Instant since, int failures, DeletionCause pausedCause) {}

  /**
   * What upstream was last seen to hold, by a direct read or a listing.
   *
   * @param version version id last read, null if none
   * @param missing the last direct read (or listing) found the key missing
   * @param missingSince when the key was first found missing in the current run of misses, else null
   * @param readSinceStart an upstream answer (of any result) arrived since start-up
   * @param removesKeys the last answer would remove keys from the managed Secret: a candidate of
   *     the deletion guard until it is applied or undone
   */
  public record Seen(String version, boolean missing, Instant missingSince, boolean readSinceStart,
      boolean removesKeys) {
    static final Seen NOTHING = new Seen(null, false, null, false, false);

    /** What an answer says about the key; an unreachable upstream keeps what was seen before. */
    Seen after(Upstream upstream, Instant now) {
      return switch (upstream) {
        case Upstream.Unreachable u -> this;
        case Upstream.Missing m -> new Seen(version, true, missingSince == null ? now : missingSince, true, removesKeys);
        case Upstream.Found f -> new Seen(f.version(), false, null, true, removesKeys);
        case Upstream.Invalid i -> new Seen(version, false, null, true, removesKeys);
      };
    }

    Seen removingKeys(boolean removes) {
      return new Seen(version, missing, missingSince, readSinceStart, removes);
    }
  }

  /**
   * When the next upstream read is due.
   *
   * @param fingerprint the inputs of the last reconcile (annotations, Secret uid and
   *     resourceVersion); null to make the next reconcile read whatever changed
   * @param due when the next read is due even if nothing changes; null when only an event can
   *     change the answer
   */
  public record NextRead(String fingerprint, Instant due) {
    static final NextRead NOW = new NextRead(null, null);
  }

  static SiteState fresh(Instant now) {
    return new SiteState(new LastResult(Outcome.UNCHANGED, "", now, 0, null), Seen.NOTHING, NextRead.NOW);
  }

  public Outcome outcome() {
    return result.outcome();
  }

  public String message() {
    return result.message();
  }

  public int failures() {
    return result.failures();
  }

  public DeletionCause pausedCause() {
    return result.pausedCause();
  }

  public boolean upstreamMissing() {
    return seen.missing();
  }

  public Instant missingSince() {
    return seen.missingSince();
  }

  public boolean readSinceStart() {
    return seen.readSinceStart();
  }

  public boolean removesKeys() {
    return seen.removesKeys();
  }

  public String fingerprint() {
    return next.fingerprint();
  }

  public Instant nextReadDue() {
    return next.due();
  }

  SiteState withRead(Upstream upstream, Instant now) {
    return new SiteState(result, seen.after(upstream, now), next);
  }

  SiteState withRemovesKeys(boolean removes) {
    return new SiteState(result, seen.removingKeys(removes), next);
  }

  SiteState withNext(NextRead read) {
    return new SiteState(result, seen, read);
  }

  /** The result of a reconcile; keeps what reads noted meanwhile. */
  SiteState withResult(Result r, Instant now) {
    Instant since = r.outcome() == outcome() && !message().isEmpty() ? result.since() : now;
    return new SiteState(new LastResult(r.outcome(), r.message(), since, r.failures(), r.pausedCause()), seen,
        new NextRead(r.fingerprint(), r.nextReadDue()));
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
