package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.dependent.managed.ManagedWorkflowAndDependentResourceContext;
import io.javaoperatorsdk.operator.processing.event.EventSourceRetriever;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.kube.SecretWriter;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.DeletionGuard;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.sync.FleetCensus;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.ReadSchedule;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.telemetry.SyncMetrics;

/**
 * The reconcile, fast: a hand-made context and fabric8's API server mock in CRUD mode stand in
 * for JOSDK and the API server, so each path of observe, decide, act and record runs in
 * milliseconds. The API-server and e2e suites prove the same against the real thing.
 */
@EnableKubernetesMockClient(crud = true)
class BuildSecretsReconcilerTest {
  private static final Naming N = Naming.DEFAULTS;
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final Duration RESYNC = Duration.ofMinutes(15);

  KubernetesClient client;

  private final Map<String, Upstream> upstream = new ConcurrentHashMap<>();
  private final AtomicInteger reads = new AtomicInteger();
  private volatile SourceException failure;
  private final Source source = new Source() {
    @Override
    public Upstream read(String key) throws SourceException {
      reads.incrementAndGet();
      if (failure != null) {
        throw failure;
      }
      return upstream.getOrDefault(key, new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
    }

    @Override
    public String name() {
      return "fake";
    }
  };

  private final SiteStore store = new SiteStore();
  private final Map<String, Namespace> namespaces = new HashMap<>();
  private final UpstreamAnswers answers = new UpstreamAnswers();
  private final List<String> triggered = new ArrayList<>();
  private NamespaceEvents events;
  private BuildSecretsReconciler reconciler;

  @BeforeEach
  void wire() {
    answers.setEventHandler(e -> triggered.add(e.getRelatedCustomResourceID().getName()));
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    DeletionGuard guard = new DeletionGuard(store, DeletionLedger.inMemory(), this::census,
        new OperatorConfig.DeletionBudget(10, 5), Duration.ofMinutes(5), clock);
    FleetChores chores = new FleetChores(guard, store, answers, RESYNC, clock);
    events = new NamespaceEvents(client, "unit-test", () -> { });
    ChangeDetection getMode = new ChangeDetection(source, N, store, answers, () -> namespaces.values().stream(),
        new DirectReads(source, DirectReads.WINDOW, clock), chores, null, null, RESYNC);
    BuildSecretsReconciler.Parts parts = new BuildSecretsReconciler.Parts(List.of(answers), answers, getMode,
        new SecretWriter(client, N, new SecretWriter.WriteListener() {
          @Override
          public void created(Secret written) { }

          @Override
          public void updated(Secret written, Secret previous) { }
        }),
        new DeletionAdmission(guard, store, source, N, Duration.ofMinutes(5), clock),
        new ReconcileRecorder(store, events, SyncMetrics.noop(), chores));
    reconciler = new BuildSecretsReconciler(N, store, new ReadSchedule(RESYNC, RESYNC), clock, context -> parts);
    reconciler.prepareEventSources(null);
  }

  @AfterEach
  void flush() {
    events.close();
  }

  private FleetCensus census() {
    List<FleetCensus.Member> members = new ArrayList<>();
    for (Secret s : client.secrets().inAnyNamespace().list().getItems()) {
      if (N.isOwned(s.getMetadata().getLabels())) {
        members.add(new FleetCensus.Member(s.getMetadata().getNamespace(), s.getMetadata().getUid(), true, false,
            false, false));
      }
    }
    return new FleetCensus(members);
  }

  private Namespace optedIn(String site, String syncToken) {
    var meta = new NamespaceBuilder().withNewMetadata().withName("sites-" + site)
        .addToAnnotations(N.managedAnnotation(), Naming.OPT_IN_VALUE);
    if (syncToken != null) {
      meta.addToAnnotations(N.syncAnnotation(), syncToken);
    }
    Namespace ns = meta.endMetadata().build();
    namespaces.put(ns.getMetadata().getName(), ns);
    return ns;
  }

  private static Upstream found(String version, Map<String, String> values) {
    return new Upstream.Found(SecretData.fromStrings(values), version);
  }

  private Secret stored(String ns) {
    return client.secrets().inNamespace(ns).withName(N.secretName()).get();
  }

  private UpdateControl<Namespace> reconcile(Namespace ns) {
    return reconciler.reconcile(ns, new HandMadeContext(ns, stored(ns.getMetadata().getName()), answers));
  }

  private List<Event> eventsIn(String ns) {
    return client.v1().events().inNamespace(ns).list().getItems();
  }

  @Test
  void aFreshOptInReadsItsKeyAndCreatesTheManagedSecret() {
    Namespace ns = optedIn("acme", null);
    upstream.put("sites/acme/build", found("v1", Map.of("NPM_TOKEN", "t-1")));

    UpdateControl<Namespace> control = reconcile(ns);

    Secret secret = stored("sites-acme");
    assertThat(secret.getData()).containsOnlyKeys("NPM_TOKEN");
    assertThat(N.isOwned(secret.getMetadata().getLabels())).isTrue();
    assertThat(reads).hasValue(1);
    assertThat(store.get("sites-acme").orElseThrow().outcome()).isEqualTo(Outcome.CREATED);
    assertThat(control.getScheduleDelay()).as("get mode: the jittered resync").hasValueSatisfying(d ->
        assertThat(d).isBetween(RESYNC.toMillis() * 9 / 10, RESYNC.toMillis() * 11 / 10));
    await().atMost(Duration.ofSeconds(5)).until(() -> eventsIn("sites-acme").stream()
        .anyMatch(e -> "Created".equals(e.getReason())));
  }

  @Test
  void anUnchangedKeyWritesNothingAndAChangedOneUpdatesInPlace() {
    Namespace ns = optedIn("acme", null);
    upstream.put("sites/acme/build", found("v1", Map.of("A", "1")));
    reconcile(ns);
    String rv = stored("sites-acme").getMetadata().getResourceVersion();

    reconcile(optedIn("acme", "sync-1")); // a force-sync: a fresh read, same answer
    assertThat(stored("sites-acme").getMetadata().getResourceVersion()).isEqualTo(rv);
    assertThat(store.get("sites-acme").orElseThrow().outcome()).isEqualTo(Outcome.UNCHANGED);

    upstream.put("sites/acme/build", found("v2", Map.of("A", "2", "B", "3")));
    reconcile(optedIn("acme", "sync-2"));
    assertThat(stored("sites-acme").getData()).containsOnlyKeys("A", "B");
    assertThat(store.get("sites-acme").orElseThrow().outcome()).isEqualTo(Outcome.UPDATED);
  }

  @Test
  void anUnreachableUpstreamKeepsTheSecretAndBacksOff() {
    Namespace ns = optedIn("acme", null);
    upstream.put("sites/acme/build", found("v1", Map.of("A", "1")));
    reconcile(ns);
    Map<String, String> before = stored("sites-acme").getData();
    failure = new SourceException(SourceException.Kind.UNAVAILABLE, "connection refused");

    UpdateControl<Namespace> control = reconcile(optedIn("acme", "sync-1"));

    assertThat(stored("sites-acme").getData()).isEqualTo(before);
    assertThat(store.get("sites-acme").orElseThrow().outcome()).isEqualTo(Outcome.SOURCE_ERROR);
    assertThat(control.getScheduleDelay()).as("the first retry: 2 s ±10%").hasValueSatisfying(d ->
        assertThat(d).isBetween(1800L, 2200L));
    await().atMost(Duration.ofSeconds(5)).until(() -> eventsIn("sites-acme").stream()
        .anyMatch(e -> "SourceError".equals(e.getReason())));
  }

  @Test
  void aMissingKeyIsConfirmedBeforeAnyDeletion() {
    Namespace ns = optedIn("acme", null);
    upstream.put("sites/acme/build", found("v1", Map.of("A", "1")));
    reconcile(ns);
    upstream.remove("sites/acme/build");

    UpdateControl<Namespace> control = reconcile(optedIn("acme", "sync-1"));

    assertThat(stored("sites-acme")).as("kept while the key is being confirmed missing").isNotNull();
    assertThat(store.get("sites-acme").orElseThrow().outcome()).isEqualTo(Outcome.UPSTREAM_MISSING);
    assertThat(control.getScheduleDelay()).as("the recheck timer").isPresent();
  }

  @Test
  void aSecretTheOperatorDoesNotOwnIsNeverReadForNorTouched() {
    Namespace ns = optedIn("acme", null);
    client.secrets().inNamespace("sites-acme").resource(new SecretBuilder().withNewMetadata()
        .withName(N.secretName()).withNamespace("sites-acme").endMetadata()
        .addToStringData("HAND", "made").build()).create();

    reconcile(ns);

    assertThat(reads).hasValue(0);
    assertThat(stored("sites-acme").getMetadata().getLabels()).isNullOrEmpty();
    assertThat(store.get("sites-acme").orElseThrow().outcome()).isEqualTo(Outcome.NOT_OWNED);
  }

  @Test
  void anAnswerWaitingInTheContextIsAppliedWithoutAReadAndTaken() {
    Namespace ns = optedIn("acme", "sync-1");
    UpstreamAnswer offered = new UpstreamAnswer(found("v9", Map.of("FROM", "sweep")), "sync-1",
        UpstreamAnswer.Origin.SWEEP);
    answers.offer("sites-acme", offered);

    reconcile(ns);

    assertThat(reads).hasValue(0);
    assertThat(stored("sites-acme").getData()).containsOnlyKeys("FROM");
    assertThat(offered.fate()).isCompletedWithValue(UpstreamAnswer.Fate.TAKEN);
  }

  @Test
  void anAnswerReadBeforeANewerForceSyncIsTakenButNotApplied() {
    Namespace ns = optedIn("acme", "sync-2");
    answers.offer("sites-acme", new UpstreamAnswer(found("v1", Map.of("OLD", "x")), "sync-1",
        UpstreamAnswer.Origin.CHANGE_EVENT));
    upstream.put("sites/acme/build", found("v2", Map.of("NEW", "y")));

    reconcile(ns);

    assertThat(reads).as("the force-sync asked for a fresh read").hasValue(1);
    assertThat(stored("sites-acme").getData()).containsOnlyKeys("NEW");
    assertThat(answers.isWaitingFor("sites-acme")).isFalse();
  }

  @Test
  void anInvalidPayloadKeepsTheSecretAndSaysWhichRuleItBreaks() {
    Namespace ns = optedIn("acme", null);
    upstream.put("sites/acme/build", found("v1", Map.of("A", "1")));
    reconcile(ns);
    upstream.put("sites/acme/build", PayloadParser.parse("[1, 2]", "v2"));

    reconcile(optedIn("acme", "sync-1"));

    assertThat(stored("sites-acme").getData()).containsOnlyKeys("A");
    assertThat(store.get("sites-acme").orElseThrow().outcome()).isEqualTo(Outcome.INVALID_PAYLOAD);
  }

  @Test
  void aDeletedNamespaceIsForgottenWithItsWaitingAnswer() {
    Namespace ns = optedIn("acme", null);
    upstream.put("sites/acme/build", found("v1", Map.of("A", "1")));
    reconcile(ns);
    UpstreamAnswer waiting = new UpstreamAnswer(found("v2", Map.of("A", "2")), null, UpstreamAnswer.Origin.SWEEP);
    answers.keep("sites-acme", waiting);

    HandMadeContext deleted = new HandMadeContext(ns, stored("sites-acme"), answers);
    deleted.primaryDeleted = true;
    reconciler.reconcile(ns, deleted);

    assertThat(store.get("sites-acme")).isEmpty();
    assertThat(waiting.fate()).isCompletedWithValue(UpstreamAnswer.Fate.DROPPED);
  }

  /** The two secondary resources a reconcile reads, as JOSDK's context would serve them. */
  private static final class HandMadeContext implements Context<Namespace> {
    private final Namespace primary;
    private final Secret secret;
    private final UpstreamAnswers answers;
    boolean primaryDeleted;

    HandMadeContext(Namespace primary, Secret secret, UpstreamAnswers answers) {
      this.primary = primary;
      this.secret = secret;
      this.answers = answers;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <R> Set<R> getSecondaryResources(Class<R> type) {
      if (type == Secret.class) {
        return secret == null ? Set.of() : Set.of((R) secret);
      }
      if (type == UpstreamAnswer.class) {
        return (Set<R>) answers.getSecondaryResources(primary);
      }
      throw new IllegalArgumentException("no event source for " + type);
    }

    @Override
    public <R> Optional<R> getSecondaryResource(Class<R> type, String eventSourceName) {
      return getSecondaryResources(type).stream().findFirst();
    }

    @Override
    public boolean isPrimaryResourceDeleted() {
      return primaryDeleted;
    }

    @Override
    public Namespace getPrimaryResource() {
      return primary;
    }

    @Override
    public KubernetesClient getClient() {
      throw new UnsupportedOperationException("a conflict re-read: not reached by these tests");
    }

    @Override
    public Optional<RetryInfo> getRetryInfo() {
      return Optional.empty();
    }

    @Override
    public ControllerConfiguration<Namespace> getControllerConfiguration() {
      throw new UnsupportedOperationException();
    }

    @Override
    public ManagedWorkflowAndDependentResourceContext managedWorkflowAndDependentResourceContext() {
      throw new UnsupportedOperationException();
    }

    @Override
    public EventSourceRetriever<Namespace> eventSourceRetriever() {
      throw new UnsupportedOperationException();
    }

    @Override
    public ExecutorService getWorkflowExecutorService() {
      throw new UnsupportedOperationException();
    }

    @Override
    public IndexedResourceCache<Namespace> getPrimaryCache() {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isNextReconciliationImminent() {
      return false;
    }

    @Override
    public boolean isPrimaryResourceFinalStateUnknown() {
      return false;
    }
  }
}
