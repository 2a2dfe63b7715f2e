package sites.deco.buildsecrets.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Meters of the change-event consumer, under {@code deco_operator_buildsecrets_*}. Every
 * label is from a bounded set; nothing per tenant, nothing from a message.
 */
public final class ChangeEventMetrics {
  private static final String PREFIX = "deco_operator_buildsecrets_";
  /** Every outcome a received message can have, registered at zero. */
  public static final String[] OUTCOMES = {"applied", "no_action", "not_opted_in", "outside_template", "ignored",
      "malformed", "too_large", "read_failed"};
  static final String[] QUEUE_OPERATIONS = {"receive", "delete", "check"};

  private final MeterRegistry registry;
  private final Map<String, Counter> events = new ConcurrentHashMap<>();
  private final Map<String, Counter> queueErrors = new ConcurrentHashMap<>();
  private final Map<String, Counter> queueRequests = new ConcurrentHashMap<>();
  private final Timer latency;
  private final Counter consumerFailures;

  public ChangeEventMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (String outcome : OUTCOMES) {
      event(outcome, 0);
    }
    for (String op : QUEUE_OPERATIONS) {
      requestCounter(op);
    }
    latency = Timer.builder(PREFIX + "change_event_latency")
        .description("From a change event's arrival in the queue to its answer being taken by the namespace's "
            + "reconcile, which writes the Secret")
        .publishPercentileHistogram()
        .register(registry);
    consumerFailures = Counter.builder(PREFIX + "change_event_consumer_failures")
        .description("Rounds of the change-event consumer ended by an exception or error; each is retried with backoff")
        .register(registry);
  }

  /** Counts a round of the consumer ended by a Throwable. */
  public void consumerFailed() {
    consumerFailures.increment();
  }

  /** Counts received change events by outcome (see {@link #OUTCOMES}). */
  public void event(String outcome, int count) {
    events.computeIfAbsent(outcome, o -> Counter.builder(PREFIX + "change_events")
            .description("Change events received from the queue, by outcome")
            .tag("outcome", o)
            .register(registry))
        .increment(count);
  }

  /** Counts a failed queue call by its bounded error kind. */
  public void queueError(String kind) {
    queueErrors.computeIfAbsent(kind, k -> Counter.builder(PREFIX + "change_event_queue_errors")
            .description("Failed calls to the change-event queue (missing, denied, unreachable), by kind")
            .tag("kind", k)
            .register(registry))
        .increment();
  }

  /** Counts a request sent to the queue, by operation. */
  public void request(String operation) {
    requestCounter(operation).increment();
  }

  private Counter requestCounter(String operation) {
    return queueRequests.computeIfAbsent(operation, o -> Counter.builder(PREFIX + "change_event_queue_requests")
        .description("Requests sent to the change-event queue, by operation")
        .tag("operation", o)
        .register(registry));
  }

  public void latency(Duration eventToSecret) {
    latency.record(eventToSecret.isNegative() ? Duration.ZERO : eventToSecret);
  }
}
