package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.sync.Outcome;

/**
 * Records core/v1 Events about a site Namespace, in that namespace, so the tenant sees them with
 * {@code kubectl get events -n sites-<site>}. Messages name keys at most. A failure to record is
 * logged and never fails the reconcile.
 *
 * <p>Events are written by one background thread, in order: a reconcile never waits for them. A
 * cold start over thousands of namespaces would otherwise double the API writes on the reconcile
 * threads (a Secret and an Event each). The queue is bounded; when full, an Event is dropped and
 * counted, never the sync.
 */
final class NamespaceEvents implements AutoCloseable {
  static final String COMPONENT = "build-secrets-operator";
  private static final Logger LOG = LoggerFactory.getLogger(NamespaceEvents.class);
  private static final int MAX_MESSAGE = 1024;
  private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(3);
  private static final DateTimeFormatter RFC3339 =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private static final int QUEUE = 10_000;

  private final KubernetesClient client;
  private final String instance;
  private final Runnable dropped;
  private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
      new ArrayBlockingQueue<>(QUEUE), r -> {
        Thread t = new Thread(r, "namespace-events");
        t.setDaemon(true);
        return t;
      });

  /** @param dropped called for each Event dropped because the queue was full */
  NamespaceEvents(KubernetesClient client, String instance, Runnable dropped) {
    this.client = client;
    this.instance = instance;
    this.dropped = dropped;
  }

  /** Queues the Event; the timestamp is taken now, when the outcome happened. */
  void record(String namespace, Outcome outcome, String message) {
    if (outcome.eventType() == null) {
      return;
    }
    String now = RFC3339.format(Instant.now());
    String text = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 1) + "…" : message;
    try {
      writer.execute(() -> write(namespace, outcome, text, now));
    } catch (RejectedExecutionException e) {
      dropped.run();
      LOG.debug("event queue full: dropped {} event for {}", outcome.eventReason(), namespace);
    }
  }

  /** Writes what is still queued, for a few seconds at most, then stops. */
  @Override
  public void close() {
    writer.shutdown();
    try {
      if (!writer.awaitTermination(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.info("{} events not written at shutdown", writer.shutdownNow().size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(String namespace, Outcome outcome, String text, String now) {
    try {
      client.v1().events().inNamespace(namespace).resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(namespace + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 16))
                  .withNamespace(namespace)
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withApiVersion("v1")
                  .withKind("Namespace")
                  .withName(namespace)
                  .withNamespace(namespace)
                  .endInvolvedObject()
                  .withType(outcome.eventType().apiValue())
                  .withReason(outcome.eventReason())
                  .withMessage(text)
                  .withNewSource().withComponent(COMPONENT).endSource()
                  .withReportingComponent(COMPONENT)
                  .withReportingInstance(instance)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .build())
          .create();
    } catch (RuntimeException e) {
      LOG.debug("could not record {} event in {}: {}", outcome.eventReason(), namespace, e.getClass().getSimpleName());
    }
  }
}
