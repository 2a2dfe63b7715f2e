package sites.deco.buildsecrets.controller;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/** Lets something happen at most once per interval, from any thread, without a lock. */
final class OncePer {
  private final Duration interval;
  private final AtomicReference<Instant> last = new AtomicReference<>(Instant.MIN);

  OncePer(Duration interval) {
    this.interval = interval;
  }

  /** True for the first caller at or after an interval since the last true. */
  boolean tryAcquire(Instant now) {
    Instant before = last.get();
    return !now.isBefore(before.plus(interval)) && last.compareAndSet(before, now);
  }
}
