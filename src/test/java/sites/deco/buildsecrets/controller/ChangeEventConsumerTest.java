package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.ChangeFeed;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.source.aws.CloudTrailEvents;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.telemetry.ChangeEventMetrics;

/**
 * The consumer without AWS or a cluster: which events cost a read, how a burst is coalesced, that
 * answers go through the site store like the sweep's, and which messages are deleted.
 */
class ChangeEventConsumerTest {
  private static final Naming NAMING = Naming.DEFAULTS;
  private static final Instant NOW = Instant.parse("2026-11-30T16:00:00Z");

  private final SiteStore store = new SiteStore();
  private final Map<String, Namespace> namespaces = new HashMap<>();
  private final Map<String, Secret> secrets = new HashMap<>();
  private final FakeFeed feed = new FakeFeed();
  private final FakeSource source = new FakeSource();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  /** What each triggered reconcile found in its context and took; null when it found nothing. */
  private final Map<String, UpstreamAnswer> taken = new HashMap<>();
  private final UpstreamAnswers answers = new UpstreamAnswers();
  /** Whether the reconciles take their answers (false: the controller is stuck). */
  private boolean reconcilesRun = true;

  private ChangeEventConsumer consumer() {
    answers.setEventHandler(event -> {
      String ns = event.getRelatedCustomResourceID().getName();
      if (reconcilesRun) {
        UpstreamAnswer found = answers.getSecondaryResource(namespaces.get(ns)).orElse(null);
        if (found != null) {
          answers.taken(ns, found);
        }
        taken.put(ns, found);
      }
    });
    ChangeEventMetrics metrics = new ChangeEventMetrics(registry);
    return new ChangeEventConsumer(feed, new ChangeEventHandler(source, NAMING, store, metrics,
        Clock.fixed(NOW, ZoneOffset.UTC), ns -> Optional.ofNullable(namespaces.get(ns)), secrets::get, answers),
        metrics, CompletableFuture.completedFuture(null), 0);
  }

  private void site(String site, String optIn, String syncToken) {
    var meta = new NamespaceBuilder().withNewMetadata().withName("sites-" + site);
    if (optIn != null) meta.addToAnnotations(NAMING.managedAnnotation(), optIn);
    if (syncToken != null) meta.addToAnnotations(NAMING.syncAnnotation(), syncToken);
    namespaces.put("sites-" + site, meta.endMetadata().build());
  }

  private static ChangeFeed.Message message(String body) {
    String id = "m" + COUNTER.incrementAndGet();
    return new ChangeFeed.Message(id, "handle-" + id, CloudTrailEvents.parse(body), NOW.minusMillis(250));
  }

  private static final AtomicInteger COUNTER = new AtomicInteger();

  static String put(String secretId) {
    return "{\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.secretsmanager\",\"detail\":{"
        + "\"eventSource\":\"secretsmanager.amazonaws.com\",\"eventName\":\"PutSecretValue\","
        + "\"requestParameters\":{\"secretId\":\"" + secretId + "\"},\"responseElements\":null}}";
  }

  private double events(String outcome) {
    return registry.get("deco_operator_buildsecrets_change_events").tag("outcome", outcome).counter().count();
  }

  @Test
  void anEventBecomesOneReadWhoseAnswerTheReconcileTakesWithItsSyncToken() throws Exception {
    site("acme", "enabled", "t1");
    source.put("sites/acme/build", "v2");
    ChangeFeed.Message m = message(put("arn:aws:secretsmanager:us-east-1:1:secret:sites/acme/build-AbCdEf"));

    consumer().handle(List.of(m));

    assertThat(source.batchCalls.get()).isEqualTo(1);
    assertThat(taken.get("sites-acme")).isNotNull();
    assertThat(taken.get("sites-acme").syncToken()).isEqualTo("t1");
    assertThat(((Upstream.Found) taken.get("sites-acme").upstream()).version()).isEqualTo("v2");
    assertThat(store.get("sites-acme").orElseThrow().seen().version()).isEqualTo("v2");
    assertThat(feed.deleted).containsExactly(m);
    assertThat(events("applied")).isEqualTo(1);
    assertThat(registry.get("deco_operator_buildsecrets_change_event_latency").timer().count()).isEqualTo(1);
  }

  @Test
  void eventsOutsideTheTemplateOrForSitesNotOptedInCostNoReadAndAreDeleted() throws Exception {
    site("off", null, null);
    site("typo", "true", null);
    List<ChangeFeed.Message> all = List.of(message(put("other/acme/build")), message(put("sites/off/build")),
        message(put("sites/typo/build")), message(put("sites/nonamespace/build")));

    consumer().handle(all);

    assertThat(source.batchCalls.get()).isZero();
    assertThat(source.keysRead).isEmpty();
    assertThat(feed.deleted).containsExactlyInAnyOrderElementsOf(all);
    assertThat(events("outside_template")).isEqualTo(1);
    assertThat(events("not_opted_in")).isEqualTo(3);
  }

  @Test
  void anUnownedSecretIsNeverReadFor() throws Exception {
    site("hand", "enabled", null);
    secrets.put("sites-hand", new SecretBuilder().withNewMetadata().withName("build-secrets")
        .withNamespace("sites-hand").endMetadata().build());
    ChangeFeed.Message m = message(put("sites/hand/build"));

    consumer().handle(List.of(m));

    assertThat(source.keysRead).isEmpty();
    assertThat(feed.deleted).containsExactly(m);
    assertThat(events("no_action")).isEqualTo(1);
  }

  @Test
  void malformedAndOversizedMessagesAreCountedAndDeleted() throws Exception {
    List<ChangeFeed.Message> bad = List.of(message("canary-Xq7pL2 not json"), message("{}"),
        message("{\"x\":\"" + "y".repeat(CloudTrailEvents.MAX_BODY_BYTES) + "\"}"),
        message(put("sites/acme/build" + " ".repeat(CloudTrailEvents.MAX_BODY_BYTES))));

    consumer().handle(bad);

    assertThat(feed.deleted).containsExactlyInAnyOrderElementsOf(bad);
    assertThat(events("malformed")).isEqualTo(2);
    assertThat(events("too_large")).isEqualTo(2);
    assertThat(source.batchCalls.get()).isZero();
  }

  @Test
  void aRoundEndedByAnErrorIsStartedAgainAndFailsReadinessWhileItKeepsFailing() {
    site("acme", "enabled", null);
    source.put("sites/acme/build", "v2");
    feed.throwErrors = ChangeEventConsumer.FAILURES_BEFORE_UNREADY;
    ChangeEventConsumer c = consumer();
    c.start();
    try {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> c.problem() != null);
      assertThat(c.problem()).contains("failed 3 times in a row (StackOverflowError)");
      assertThat(registry.get("deco_operator_buildsecrets_change_event_consumer_failures").counter().count())
          .isEqualTo(3);

      // The consumer is alive after three Errors: an event sent now is consumed, and readiness recovers.
      ChangeFeed.Message m = message(put("sites/acme/build"));
      feed.queued.add(m);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> feed.deletedCount() == 1);
      assertThat(taken.get("sites-acme").upstream()).isInstanceOf(Upstream.Found.class);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> c.problem() == null);
    } finally {
      c.stop();
    }
  }

  @Test
  void aBurstOfAThousandEventsCostsAtMostFiftyBatchReadsAndDuplicatesOneRead() throws Exception {
    List<ChangeFeed.Message> burst = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      site("s" + i, "enabled", null);
      source.put("sites/s" + i + "/build", "v1");
      burst.add(message(put("sites/s" + i + "/build")));
      if (i == 7) {
        burst.add(message(put("arn:aws:secretsmanager:us-east-1:1:secret:sites/s7/build-AbCdEf"))); // a duplicate
      }
    }
    for (ChangeFeed.Message m : burst) {
      feed.queued.add(m);
    }

    ChangeEventConsumer c = consumer();
    while (!feed.queued.isEmpty()) {
      c.round();
    }

    // 1,000 keys are 50 full batches; rounds of 200 messages (one holds the duplicate) end one batch short.
    assertThat(source.batchCalls.get()).isLessThanOrEqualTo(51);
    assertThat(source.keysRead).hasSize(1000).doesNotHaveDuplicates();
    assertThat(feed.deleted).hasSize(1001);
    assertThat(taken).hasSize(1000);
    assertThat(events("applied")).isEqualTo(1001);
  }

  @Test
  void aRoundKeepsReceivingWhileReceivesComeBackFullAndEndsOnAShortPoll() throws Exception {
    for (int i = 0; i < 25; i++) {
      site("r" + i, "enabled", null);
      source.put("sites/r" + i + "/build", "v1");
      feed.queued.add(message(put("sites/r" + i + "/build")));
    }

    consumer().round();

    // Full receives are followed by a 1 s wait (SQS's short polls may miss messages); a partial one
    // by a short poll that confirms the queue is drained.
    assertThat(feed.waits).containsExactly(0, 1, 1, 0);
    assertThat(feed.deleted).hasSize(25);
    assertThat(source.batchCalls.get()).isEqualTo(2);
  }

  @Test
  void aFailedReadLeavesTheMessageForRedelivery() throws Exception {
    site("acme", "enabled", null);
    source.failing = true;
    ChangeFeed.Message m = message(put("sites/acme/build"));

    consumer().handle(List.of(m));

    assertThat(feed.deleted).isEmpty();
    assertThat(taken).isEmpty();
    assertThat(answers.isWaitingFor("sites-acme")).isFalse();
    assertThat(events("read_failed")).isEqualTo(1);
  }

  @Test
  void aDeleteEventHandsTheMissingAnswerToTheReconcileWhereTheGuardDecides() throws Exception {
    site("gone", "enabled", null);
    ChangeFeed.Message m = message(put("sites/gone/build")); // the key is not in the fake source: missing

    consumer().handle(List.of(m));

    assertThat(taken.get("sites-gone").upstream()).isInstanceOf(Upstream.Missing.class);
    assertThat(store.get("sites-gone").orElseThrow().upstreamMissing()).isTrue();
    assertThat(feed.deleted).containsExactly(m);
  }

  @Test
  void aQueueThatFailsIsCountedAndTheConsumerCarriesOn() throws Exception {
    feed.failReceives = 1;
    ChangeEventConsumer c = consumer();
    c.start();
    try {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
          registry.find("deco_operator_buildsecrets_change_event_queue_errors").counter() != null
              && feed.receives.get() >= 2);
    } finally {
      c.stop();
    }
    assertThat(registry.get("deco_operator_buildsecrets_change_event_queue_errors").tag("kind", "rejected")
        .counter().count()).isEqualTo(1);
  }

  /** A feed over an in-memory list; receive hands out up to {@code max} at a time. */
  private static final class FakeFeed implements ChangeFeed {
    final java.util.Deque<Message> queued = new java.util.ArrayDeque<>();
    final List<Message> deleted = new ArrayList<>();
    final AtomicInteger receives = new AtomicInteger();
    final List<Integer> waits = new ArrayList<>();
    volatile int failReceives;
    /** Receives that throw an Error, as a bug deep in a call would. */
    volatile int throwErrors;

    @Override
    public synchronized List<Message> receive(int max, int waitSeconds) throws SourceException {
      receives.incrementAndGet();
      waits.add(waitSeconds);
      if (throwErrors > 0) {
        throwErrors--;
        throw new StackOverflowError();
      }
      if (failReceives > 0) {
        failReceives--;
        throw new SourceException(SourceException.Kind.REJECTED, "QueueDoesNotExist (HTTP 400)");
      }
      List<Message> out = new ArrayList<>();
      while (out.size() < max && !queued.isEmpty()) {
        out.add(queued.poll());
      }
      return out;
    }

    @Override
    public synchronized void delete(Collection<Message> messages) {
      deleted.addAll(messages);
    }

    synchronized int deletedCount() {
      return deleted.size();
    }

    @Override
    public String check() {
      return "fake";
    }

    @Override
    public void close() {}
  }

  /** Keys with versions; batch reads of at most 20, counted. */
  private static final class FakeSource implements BulkSource {
    final Map<String, String> versions = new HashMap<>();
    final List<String> keysRead = new ArrayList<>();
    final AtomicInteger batchCalls = new AtomicInteger();
    boolean failing;

    void put(String key, String version) {
      versions.put(key, version);
    }

    @Override
    public Upstream read(String key) {
      keysRead.add(key);
      String v = versions.get(key);
      return v == null ? new Upstream.Missing(Upstream.MissingReason.NOT_FOUND)
          : new Upstream.Found(SecretData.fromStrings(Map.of("A", "b")), v);
    }

    @Override
    public Map<String, String> currentVersions(String keyPrefix) {
      return Map.copyOf(versions);
    }

    @Override
    public Map<String, Upstream> readAll(Collection<String> keys) throws SourceException {
      if (failing) {
        batchCalls.incrementAndGet();
        throw new SourceException(SourceException.Kind.UNAVAILABLE, "HTTP 503");
      }
      List<String> all = List.copyOf(keys);
      Map<String, Upstream> out = new HashMap<>();
      for (int from = 0; from < all.size(); from += batchSize()) {
        batchCalls.incrementAndGet();
        for (String k : all.subList(from, Math.min(all.size(), from + batchSize()))) {
          out.put(k, read(k));
        }
      }
      return out;
    }

    @Override
    public int batchSize() {
      return 20;
    }

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public void close() {}
  }
}
