package sites.deco.buildsecrets.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The operator's own meters, under {@code deco_operator_buildsecrets_*}. Every label is from a
 * bounded set (outcome, operation, error kind): nothing per tenant, nothing from a value.
 */
public final class SyncMetrics {
  private static final String PREFIX = "deco_operator_buildsecrets_";

  private final MeterRegistry registry;
  private final Map<String, Counter> syncs = new ConcurrentHashMap<>();
  private final Map<String, Counter> sourceRequests = new ConcurrentHashMap<>();
  private final Map<String, Timer> sourceDurations = new ConcurrentHashMap<>();
  private final Timer reconcileDuration;
  private final Counter eventsDropped;
  private final Timer retryDelay;
  private final Timer sweepDuration;
  private final Map<String, AtomicLong> lastSweepKeys = new ConcurrentHashMap<>();
  private final AtomicInteger leader = new AtomicInteger();

  /**
   * @param results every result label a reconcile can report (the rule table's outcomes), registered
   *     at zero so rates and alerts see them before the first one happens
   */
  public SyncMetrics(MeterRegistry registry, Collection<String> results) {
    this.registry = registry;
    results.forEach(this::syncCounter);
    reconcileDuration =
        Timer.builder(PREFIX + "reconcile_duration")
            .description("Time to reconcile one site namespace, upstream read included")
            .publishPercentileHistogram()
            .register(registry);
    eventsDropped =
        Counter.builder(PREFIX + "events_dropped")
            .description("Kubernetes Events not recorded because the event queue was full")
            .register(registry);
    retryDelay =
        Timer.builder(PREFIX + "source_retry_delay")
            .description("Wait before re-reading a namespace whose upstream read failed: exponential backoff, "
                + "capped at the resync period")
            .register(registry);
    // Registered at 0, so alerts and the dashboard see the series before the first fallback.
    for (String reason : new String[] {"list_denied", "batch_denied"}) {
      fallbackCounter(reason);
    }
    sweepDuration =
        Timer.builder(PREFIX + "sweep_duration")
            .description("Time of one completed change-detection sweep (listing, batch reads and hand-offs)")
            .register(registry);
    for (String stage : new String[] {"listed", "unchanged", "read"}) {
      AtomicLong keys = new AtomicLong();
      lastSweepKeys.put(stage, keys);
      Gauge.builder(PREFIX + "sweep_keys", keys, AtomicLong::get)
          .description("Keys in the last completed sweep: listed, unchanged (no read), read in batches")
          .tag("stage", stage)
          .register(registry);
    }
    Gauge.builder(PREFIX + "leader", leader, AtomicInteger::get)
        .description("1 while this replica runs the controller (holds the Lease, or leader election is off)")
        .register(registry);
  }

  public static SyncMetrics noop() {
    return new SyncMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), java.util.List.of());
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Counts a reconcile by its bounded result label. */
  public void sync(String result) {
    syncCounter(result).increment();
  }

  private Counter syncCounter(String result) {
    return syncs.computeIfAbsent(result, r -> Counter.builder(PREFIX + "syncs")
        .description("Reconciles of site namespaces, by result")
        .tag("result", r)
        .register(registry));
  }

  public void reconciled(Duration took) {
    reconcileDuration.record(took);
  }

  public void sourceRequest(String operation, String outcome, Duration took) {
    sourceRequests
        .computeIfAbsent(
            operation + "/" + outcome,
            k -> Counter.builder(PREFIX + "source_requests")
                .description("Requests to the upstream source, by operation and outcome")
                .tag("operation", operation)
                .tag("outcome", outcome)
                .register(registry))
        .increment();
    sourceDurations
        .computeIfAbsent(
            operation,
            k -> Timer.builder(PREFIX + "source_request_duration")
                .description("Latency of upstream source requests")
                .tag("operation", operation)
                .publishPercentileHistogram()
                .register(registry))
        .record(took);
  }

  /** Counts a switch away from the cheap change detection, by reason (list_denied, batch_denied). */
  public void changeDetectionFallback(String reason) {
    fallbackCounter(reason).increment();
  }

  private Counter fallbackCounter(String reason) {
    return Counter.builder(PREFIX + "change_detection_fallbacks")
        .description("Switches from listing/batch reads to per-key reads, by reason")
        .tag("reason", reason)
        .register(registry);
  }

  /** Records a completed sweep: its duration and how many keys it listed, found unchanged and read. */
  public void swept(Duration took, int listed, int unchanged, int read) {
    sweepDuration.record(took);
    lastSweepKeys.get("listed").set(listed);
    lastSweepKeys.get("unchanged").set(unchanged);
    lastSweepKeys.get("read").set(read);
  }

  /** Whether this replica runs the controller now. */
  public void leading(boolean leading) {
    leader.set(leading ? 1 : 0);
  }

  /** Records the backoff chosen after a failed upstream read; its max shows how far backoff has grown. */
  public void retryScheduled(Duration delay) {
    retryDelay.record(delay);
  }

  /** Counts an Event not recorded because the event queue was full. */
  public void eventDropped() {
    eventsDropped.increment();
  }

  /** Gauges read on scrape from the site store. */
  public void gauge(String name, String description, Supplier<Number> value) {
    gauge(name, description, Map.of(), value);
  }

  /** A gauge with fixed labels from a bounded set. */
  public void gauge(String name, String description, Map<String, String> labels, Supplier<Number> value) {
    Gauge.Builder<Supplier<Number>> b = Gauge.builder(PREFIX + name, value).description(description);
    labels.forEach(b::tag);
    b.register(registry);
  }
}
