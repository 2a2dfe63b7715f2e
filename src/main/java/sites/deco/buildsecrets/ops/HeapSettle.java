package sites.deco.buildsecrets.ops;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the heap near the live set. Serial GC promotes a burst's short-lived objects (a cold start
 * writing every Secret, a fleet-wide change) into the old generation, which it then grows instead
 * of collecting, up to the heap's cap; and it gives heap back to the OS only at a full collection,
 * which a quiet operator may not see for hours. So RSS would stay at the cap after the first burst.
 * Instead, whenever the old generation has grown by {@link #GROWTH} since the last look, one full
 * collection is asked for; with {@code -XX:-ShrinkHeapInSteps} and {@code MaxHeapFreeRatio}
 * (jvm.options) it shrinks the old generation to a quarter above the live set in that one step.
 * It costs a full collection per {@link #GROWTH} of promotions (tens of milliseconds for a
 * 10,000-site live set; a handful during a 10,000-site cold start), and nothing while the
 * operator is quiet.
 */
final class HeapSettle {
  private static final Logger LOG = LoggerFactory.getLogger(HeapSettle.class);
  static final long GROWTH = 24L << 20;
  static final Duration CHECK = Duration.ofSeconds(10);

  private final LongSupplier oldCommitted;
  private final Runnable collect;
  private long settled;

  /**
   * @param oldCommitted the old generation's committed bytes
   * @param collect a full collection
   */
  HeapSettle(LongSupplier oldCommitted, Runnable collect) {
    this.oldCommitted = oldCommitted;
    this.collect = collect;
    this.settled = oldCommitted.getAsLong();
  }

  /**
   * Checks the JVM's old generation every {@link #CHECK} on a daemon thread; does nothing when the
   * collector has no single old generation (another GC chosen through JAVA_TOOL_OPTIONS).
   */
  static void start() {
    MemoryPoolMXBean old = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && p.getName().equals("Tenured Gen"))
        .findFirst().orElse(null);
    if (old == null) {
      return;
    }
    HeapSettle settle = new HeapSettle(() -> old.getUsage().getCommitted(), System::gc);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "heap-settle");
      t.setDaemon(true);
      return t;
    });
    scheduler.scheduleWithFixedDelay(settle::check, CHECK.toMillis(), CHECK.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** One look: a full collection when the old generation grew by {@link #GROWTH} since the last one. */
  void check() {
    long now = oldCommitted.getAsLong();
    if (now - settled < GROWTH) {
      settled = Math.min(settled, now); // a shrink by a natural full collection lowers the mark
      return;
    }
    collect.run();
    settled = oldCommitted.getAsLong();
    LOG.debug("heap: the old generation grew to {} MB; a full collection brought it to {} MB", now >> 20,
        settled >> 20);
  }
}
