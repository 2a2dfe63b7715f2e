package sites.deco.buildsecrets.source;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A blocking token bucket: at most {@code perSecond} acquisitions per second on average, with
 * bursts up to {@code burst}. Keeps upstream calls well under the provider's quotas, so that even
 * a cold start over 10,000 namespaces never meets throttling.
 */
public final class TokenBucket {
  private final double perNano;
  private final double burst;
  private double tokens;
  private long last;

  public TokenBucket(double perSecond, int burst) {
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("rate must be > 0 and burst >= 1");
    }
    this.perNano = perSecond / TimeUnit.SECONDS.toNanos(1);
    this.burst = burst;
    this.tokens = burst;
    this.last = System.nanoTime();
  }

  /** Takes one token, waiting as long as needed. */
  public void acquire() {
    long wait;
    synchronized (this) {
      long now = System.nanoTime();
      tokens = Math.min(burst, tokens + (now - last) * perNano);
      last = now;
      tokens -= 1; // may go negative: later callers queue behind this one
      wait = tokens >= 0 ? 0 : (long) (-tokens / perNano);
    }
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    }
  }
}
