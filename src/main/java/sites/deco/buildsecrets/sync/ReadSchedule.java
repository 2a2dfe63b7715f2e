package sites.deco.buildsecrets.sync;

import java.time.Duration;

/**
 * When a site reads upstream again: backoff after errors, the jittered resync otherwise, never for
 * opt-outs. Pure: the caller supplies the random draw, so a test picks it.
 *
 * @param resyncPeriod zero or negative when resync is off
 * @param retryCap the longest backoff
 */
public record ReadSchedule(Duration resyncPeriod, Duration retryCap) {
  static final Duration FIRST_RETRY = Duration.ofSeconds(2);

  /**
   * @param draw a number in [0, 1): where in the ±10% jitter band the answer falls
   * @return null when only an event can change the answer
   */
  public Duration nextRead(SiteRef site, Outcome outcome, int failures, double draw) {
    if (!site.optedIn() || outcome == Outcome.NOT_OWNED) {
      return null;
    }
    if (outcome == Outcome.SOURCE_ERROR) {
      return backoff(failures, draw);
    }
    return resyncPeriod.isPositive() ? jitter(resyncPeriod, draw) : null;
  }

  /** 2 s doubling per failure in a row, capped at {@link #retryCap}, ±10%. */
  public Duration backoff(int failures, double draw) {
    Duration backoff = FIRST_RETRY.multipliedBy(1L << Math.min(Math.max(failures, 1) - 1, 20));
    return jitter(backoff.compareTo(retryCap) > 0 ? retryCap : backoff, draw);
  }

  /** ±10%, so a restart does not bring the whole fleet due at the same instant. */
  static Duration jitter(Duration d, double draw) {
    double factor = 0.9 + 0.2 * draw;
    return Duration.ofMillis(Math.max(1, (long) (d.toMillis() * factor)));
  }
}
