package sites.deco.buildsecrets.controller;

import io.javaoperatorsdk.operator.processing.event.rate.RateLimiter;
import java.time.Duration;
import java.util.Optional;

/**
 * Reconciles are not rate-limited per namespace: the reconcile slots ({@link ReconcileExecutor}) and
 * the upstream token bucket bound the work. JOSDK's default limiter, even deactivated, keeps a
 * timestamped state per namespace (about 100 bytes each, a megabyte at 10,000 sites); this one
 * shares a single stateless one.
 */
enum NoRateLimit implements RateLimiter<RateLimiter.RateLimitState> {
  INSTANCE;

  private static final RateLimitState NONE = new RateLimitState() {};

  @Override
  public Optional<Duration> isLimited(RateLimitState state) {
    return Optional.empty();
  }

  @Override
  public RateLimitState initState() {
    return NONE;
  }
}
