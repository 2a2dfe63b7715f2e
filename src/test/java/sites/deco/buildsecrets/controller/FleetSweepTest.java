package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.DataDigest;
import sites.deco.buildsecrets.sync.DeletionCause;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SiteState;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.telemetry.SyncMetrics;

/** The sweep's choices: what it reads, what it skips, how it hands answers off, and how it falls back. */
class FleetSweepTest {
  private static final Naming N = Naming.DEFAULTS;
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
  private static final SecretData DATA = SecretData.fromStrings(Map.of("A", "1"));

  private final Map<String, String> listed = new ConcurrentHashMap<>();
  private final Map<String, Upstream> stored = new ConcurrentHashMap<>();
  private final List<Collection<String>> batches = new CopyOnWriteArrayList<>();
  private final AtomicInteger batchAttempts = new AtomicInteger();
  private final AtomicInteger listings = new AtomicInteger();
  private final List<Long> listingTimes = new CopyOnWriteArrayList<>();
  private final AtomicInteger listingsInFlight = new AtomicInteger();
  private final AtomicInteger mostListingsInFlight = new AtomicInteger();
  private final List<String> triggered = new CopyOnWriteArrayList<>();
  private final List<Namespace> namespaces = new CopyOnWriteArrayList<>();
  private final Map<String, Secret> secrets = new ConcurrentHashMap<>();
  private final SiteStore store = new SiteStore();
  private final SyncMetrics metrics = SyncMetrics.noop();
  private final AtomicInteger toPerKeyReads = new AtomicInteger();
  private final AtomicInteger toListing = new AtomicInteger();
  private volatile SourceException listingFailure;
  private volatile SourceException batchFailure;

  private final BulkSource source = new BulkSource() {
    @Override
    public Map<String, String> currentVersions(String keyPrefix) throws SourceException {
      listings.incrementAndGet();
      listingTimes.add(System.nanoTime());
      mostListingsInFlight.accumulateAndGet(listingsInFlight.incrementAndGet(), Math::max);
      try {
        SourceException failure = listingFailure;
        if (failure != null) {
          throw failure;
        }
        return Map.copyOf(listed);
      } finally {
        listingsInFlight.decrementAndGet();
      }
    }

    @Override
    public Map<String, Upstream> readAll(Collection<String> keys) throws SourceException {
      batchAttempts.incrementAndGet();
      SourceException failure = batchFailure;
      if (failure != null) {
        throw failure;
      }
      batches.add(List.copyOf(keys));
      Map<String, Upstream> out = new HashMap<>();
      keys.forEach(k -> out.put(k, stored.getOrDefault(k, new Upstream.Missing(Upstream.MissingReason.NOT_FOUND))));
      return out;
    }

    @Override
    public int batchSize() {
      return 20;
    }

    @Override
    public Upstream read(String key) {
      throw new AssertionError("the sweep never reads one key alone");
    }

    @Override
    public String name() {
      return "fake";
    }
  };

  /** What the controller does with a trigger; by default it only notes it. */
  private volatile Consumer<String> onTrigger = ns -> { };
  private final UpstreamAnswers answers = new UpstreamAnswers();

  {
    answers.setEventHandler(event -> {
      String ns = event.getRelatedCustomResourceID().getName();
      triggered.add(ns);
      onTrigger.accept(ns);
    });
  }

  private final FleetSweep sweep = sweep(CompletableFuture.completedFuture(null));
  private final List<FleetSweep> started = new ArrayList<>();

  /** What a reconcile does first: takes the answer waiting in its context, if any. */
  private Optional<UpstreamAnswer> take(String ns) {
    Optional<UpstreamAnswer> found = answers.getSecondaryResource(namespace(ns));
    found.ifPresent(a -> answers.taken(ns, a));
    return found;
  }

  private FleetSweep sweep(CompletableFuture<Void> cachesSynced) {
    return new FleetSweep(source, N, store, metrics, Clock.fixed(NOW, ZoneOffset.UTC), namespaces::stream,
        secrets::get, answers, new FleetSweep.ModeSwitch(toPerKeyReads::incrementAndGet, toListing::incrementAndGet),
        () -> null, 40, cachesSynced);
  }

  private void start(FleetSweep s, Duration period) {
    started.add(s);
    s.start(period);
  }

  @AfterEach
  void stopSweeps() {
    started.forEach(FleetSweep::stop);
  }

  private String optedIn(String site) {
    String ns = "sites-" + site;
    namespaces.add(new NamespaceBuilder().withNewMetadata().withName(ns)
        .addToAnnotations(N.managedAnnotation(), "enabled").endMetadata().build());
    return ns;
  }

  private Namespace namespace(String ns) {
    return namespaces.stream().filter(n -> n.getMetadata().getName().equals(ns)).findFirst().orElseThrow();
  }

  private SiteRef site(String ns) {
    return SiteRef.from(namespace(ns), N).orElseThrow();
  }

  /** A managed Secret as the operator writes it: version annotation and a digest of its data. */
  private Secret managedSecret(String ns, String version) {
    return managedSecret(ns, version, DataDigest.of(DATA));
  }

  private Secret managedSecret(String ns, String version, String digest) {
    SecretBuilder b = new SecretBuilder().withNewMetadata().withName(N.secretName()).withNamespace(ns)
        .withUid("uid-" + ns).withResourceVersion("5").withLabels(N.ownershipLabels())
        .addToAnnotations(N.versionAnnotation(), version).endMetadata()
        .withData(DATA.base64());
    if (digest != null) {
      b.editMetadata().addToAnnotations(Naming.DIGEST_ANNOTATION, digest).endMetadata();
    }
    Secret secret = b.build();
    secrets.put(ns, secret);
    return secret;
  }

  private static SourceException failure(SourceException.Kind kind) {
    return new SourceException(kind, "SomeError (HTTP 400)");
  }

  // ---------------------------------------------------------------- what is read

  @Test
  void aSiteNeverReadIsReadDirectlyEvenWhenALaggingListingMissesItsKey() {
    String ns = optedIn("fresh");
    stored.put("sites/fresh/build", new Upstream.Found(DATA, "v1"));

    sweep.sweep();

    assertThat(batches).containsExactly(List.of("sites/fresh/build"));
    assertThat(take(ns)).hasValueSatisfying(h -> assertThat(h.upstream()).isInstanceOf(Upstream.Found.class));
    assertThat(triggered).containsExactly(ns);
  }

  @Test
  void aSiteKnownMissingIsNotReadWhileTheListingAgrees() {
    String ns = optedIn("unprovisioned");
    store.noteRead(ns, new Upstream.Missing(Upstream.MissingReason.NOT_FOUND), NOW);

    sweep.sweep();

    assertThat(batches).isEmpty();
    assertThat(triggered).isEmpty();
  }

  @Test
  void aWarmRestartOfAnInSyncSecretReadsNothingAndSettlesItsFingerprint() {
    String ns = optedIn("same");
    Secret secret = managedSecret(ns, "v1");
    listed.put("sites/same/build", "v1");

    sweep.sweep();

    assertThat(batches).isEmpty();
    assertThat(batchAttempts).hasValue(0);
    assertThat(triggered).isEmpty();
    assertThat(answers.isWaitingFor(ns)).isFalse();
    assertThat(answers.waitingCount()).isZero();
    SiteState s = store.get(ns).orElseThrow();
    assertThat(s.readSinceStart()).isTrue();
    assertThat(s.upstreamMissing()).isFalse();
    assertThat(s.seen().version()).isEqualTo("v1");
    String fingerprint = BuildSecretsReconciler.fingerprintOf(site(ns), secret, namespace(ns));
    assertThat(s.fingerprint()).isEqualTo(fingerprint);
    assertThat(store.waitIfUnchanged(ns, fingerprint, NOW)).as("its reconcile makes no read").isPresent();
  }

  @Test
  void aSecretWhoseDigestNoLongerMatchesItsDataIsReadAndHandedOff() {
    // Edited while no operator was watching: same version, different data.
    String ns = optedIn("edited");
    managedSecret(ns, "v1", DataDigest.of(SecretData.fromStrings(Map.of("A", "other"))));
    listed.put("sites/edited/build", "v1");
    stored.put("sites/edited/build", new Upstream.Found(DATA, "v1"));

    sweep.sweep();

    assertThat(batches).containsExactly(List.of("sites/edited/build"));
    assertThat(triggered).containsExactly(ns);
    assertThat(take(ns)).isPresent();
    assertThat(store.get(ns).orElseThrow().fingerprint()).as("nothing settled").isNull();
  }

  @Test
  void aSecretWithoutADigestIsRead() {
    String ns = optedIn("olderoperator");
    managedSecret(ns, "v1", null);
    listed.put("sites/olderoperator/build", "v1");

    sweep.sweep();

    assertThat(batches).containsExactly(List.of("sites/olderoperator/build"));
    assertThat(triggered).containsExactly(ns);
  }

  @Test
  void aChangedVersionAndAKeyGoneFromTheListingAreReadInOneBatch() {
    String changed = optedIn("changed");
    managedSecret(changed, "v1");
    listed.put("sites/changed/build", "v2");
    String gone = optedIn("gone");
    managedSecret(gone, "v1");

    sweep.sweep();

    assertThat(batches).hasSize(1);
    assertThat(batches.get(0)).containsExactlyInAnyOrder("sites/changed/build", "sites/gone/build");
    assertThat(triggered).containsExactlyInAnyOrder(changed, gone);
  }

  @Test
  void unownedSecretsAndOptedOutNamespacesAreNeverRead() {
    String ns = optedIn("unowned");
    secrets.put(ns, new SecretBuilder().withNewMetadata().withName(N.secretName()).withNamespace(ns).endMetadata()
        .build());
    namespaces.add(new NamespaceBuilder().withNewMetadata().withName("sites-off").endMetadata().build());

    sweep.sweep();

    assertThat(batches).isEmpty();
    assertThat(triggered).isEmpty();
  }

  @Test
  void aPausedDeletionIsReReadEvenWhenItsKeyIsListedUnchanged() {
    String ns = optedIn("paused");
    managedSecret(ns, "v1");
    listed.put("sites/paused/build", "v1");
    store.record(ns, new SiteState.Result(Outcome.DELETION_PAUSED, "paused", 0, "fp", null,
        DeletionCause.UPSTREAM_MISSING), NOW);

    sweep.sweep();

    assertThat(batches).containsExactly(List.of("sites/paused/build"));
    assertThat(triggered).containsExactly(ns);
  }

  @Test
  void aKeyGoneFromTheListingCountsAsMissingBeforeItsChunkIsReadSoTheGuardSeesTheWholeFleet() {
    List<String> gone = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String ns = optedIn("g" + i);
      managedSecret(ns, "v1");
      gone.add(ns); // nothing listed: another account, say
    }
    List<Long> missingWhenTriggered = new ArrayList<>();
    onTrigger = ns -> {
      missingWhenTriggered.add(gone.stream()
          .filter(g -> store.get(g).map(SiteState::upstreamMissing).orElse(false)).count());
      take(ns);
    };

    sweep.sweep();

    assertThat(missingWhenTriggered).as("the first reconcile already sees all 60 missing").first().isEqualTo(60L);
  }

  @Test
  void theHeldAnswerCarriesTheForceSyncTokenTheNamespaceHadWhenItWasRead() {
    String ns = optedIn("forced");
    namespace(ns).getMetadata().getAnnotations().put(N.syncAnnotation(), "token-1");
    stored.put("sites/forced/build", new Upstream.Found(DATA, "v1"));

    sweep.sweep();
    namespace(ns).getMetadata().getAnnotations().put(N.syncAnnotation(), "token-2"); // force-sync after the read

    UpstreamAnswer held = take(ns).orElseThrow();
    assertThat(held.syncToken()).as("the reconcile sees the answer is older than the force-sync")
        .isEqualTo("token-1").isNotEqualTo(site(ns).syncToken());
  }

  @Test
  void aForceSyncItsReconcileHasNotAnsweredIsReadNotSettledByTheListing() {
    // Found in sync by a reconcile with token-1; token-2 arrives (the informer cache has it) while
    // the sweep runs, before that namespace's reconcile does. The listing may predate the request.
    String ns = optedIn("racing");
    namespace(ns).getMetadata().getAnnotations().put(N.syncAnnotation(), "token-1");
    Secret secret = managedSecret(ns, "v1");
    listed.put("sites/racing/build", "v1");
    stored.put("sites/racing/build", new Upstream.Found(DATA, "v1"));
    store.record(ns, new SiteState.Result(Outcome.UNCHANGED, "in sync", 0,
        BuildSecretsReconciler.fingerprintOf(site(ns), secret, namespace(ns)), NOW.plusSeconds(900), null), NOW);
    namespace(ns).getMetadata().getAnnotations().put(N.syncAnnotation(), "token-2");

    sweep.sweep();

    assertThat(batches).containsExactly(List.of("sites/racing/build"));
    assertThat(triggered).containsExactly(ns);
    assertThat(take(ns)).hasValueSatisfying(h -> assertThat(h.syncToken()).isEqualTo("token-2"));
  }

  @Test
  void aSiteLastFoundInSyncWithTheSameInputsIsSettledByTheListing() {
    String ns = optedIn("steady");
    Secret secret = managedSecret(ns, "v1");
    listed.put("sites/steady/build", "v1");
    store.record(ns, new SiteState.Result(Outcome.UNCHANGED, "in sync", 0,
        BuildSecretsReconciler.fingerprintOf(site(ns), secret, namespace(ns)), NOW.plusSeconds(900), null), NOW);

    sweep.sweep();

    assertThat(batches).isEmpty();
    assertThat(triggered).isEmpty();
  }

  // ---------------------------------------------------------------- hand-off

  @Test
  void aChangeEventsAnswerHeldBeforeTheSweepStartsIsKeptForItsReconcileWhileTheListingLags() {
    String ns = optedIn("rotated");
    managedSecret(ns, "v1");
    listed.put("sites/rotated/build", "v1"); // the listing has not seen the rotation yet
    UpstreamAnswer rotated = new UpstreamAnswer(new Upstream.Found(SecretData.fromStrings(Map.of("A", "2")), "v2"), null,
        UpstreamAnswer.Origin.CHANGE_EVENT);
    answers.keep(ns, rotated); // offered by the consumer; its reconcile has not run yet

    sweep.sweep();

    assertThat(batches).as("the lagging listing settles the site").isEmpty();
    assertThat(take(ns)).as("the reconcile still finds the rotation").contains(rotated);
  }

  @Test
  void anAnswerTheLastSweepHeldForAReconcileThatNeverCameIsDropped() {
    String ns = optedIn("deleted");
    stored.put("sites/deleted/build", new Upstream.Found(DATA, "v1"));
    sweep.sweep();
    assertThat(answers.waitingCount()).isEqualTo(1);
    namespaces.remove(namespace(ns)); // gone before its reconcile ran

    sweep.sweep();

    assertThat(answers.isWaitingFor(ns)).isFalse();
    assertThat(answers.waitingCount()).isZero();
  }

  @Test
  void chunkSizeIsTwiceTheThreadsInWholeBatches() {
    assertThat(FleetSweep.chunkSize(16, 20)).isEqualTo(40);
    assertThat(FleetSweep.chunkSize(10, 20)).isEqualTo(20);
    assertThat(FleetSweep.chunkSize(1, 20)).isEqualTo(20);
    assertThat(FleetSweep.chunkSize(4, 1)).isEqualTo(8);
  }

  @Test
  void changedKeysAreReadAndHandedOffOneChunkAtATime() {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String ns = optedIn("c" + i);
      managedSecret(ns, "v1");
      listed.put("sites/c" + i + "/build", "v2");
      all.add(ns);
    }
    List<String> order = new ArrayList<>();
    onTrigger = ns -> {
      order.add("trigger@batch" + batches.size());
      take(ns); // the reconcile starts at once
    };

    sweep.sweep();

    assertThat(batches).extracting(Collection::size).containsExactly(40, 40, 20);
    assertThat(triggered).containsExactlyInAnyOrderElementsOf(all);
    // Each chunk's triggers come after its read and before the next one.
    assertThat(order.subList(0, 40)).containsOnly("trigger@batch1");
    assertThat(order.subList(40, 80)).containsOnly("trigger@batch2");
    assertThat(order.subList(80, 100)).containsOnly("trigger@batch3");
  }

  @Test
  void theNextChunkWaitsUntilTheReconcilesOfTheLastOneHaveStarted() {
    for (int i = 0; i < 120; i++) {
      String ns = optedIn("w" + i);
      managedSecret(ns, "v1");
      listed.put("sites/w" + i + "/build", "v2");
    }
    List<String> handedOff = Collections.synchronizedList(new ArrayList<>());
    onTrigger = handedOff::add;
    Thread sweeping = new Thread(sweep::sweep);
    sweeping.start();
    try {
      await().atMost(Duration.ofSeconds(5))
          .until(() -> sweeping.getState() == Thread.State.TIMED_WAITING && handedOff.size() == 80);
      assertThat(batches).as("two chunks handed off, none taken: the third waits").hasSize(2);
      assertThat(answers.waitingCount()).isEqualTo(80);

      List.copyOf(handedOff).subList(0, 40).forEach(this::take); // one chunk left untaken

      await().atMost(Duration.ofSeconds(5)).until(() -> handedOff.size() == 120);
      assertThat(batches).hasSize(3);
    } finally {
      sweeping.interrupt();
    }
  }

  @Test
  void aReconcileThatMissedAnAnswerHandedOffMeanwhileLeavesItToTheTriggeredOne() {
    String ns = optedIn("race");
    managedSecret(ns, "v1");
    listed.put("sites/race/build", "v2");
    List<Boolean> deferredWhenTriggered = new ArrayList<>();
    // The reconcile already running for this namespace found no answer; the sweep now hands one off.
    onTrigger = n -> deferredWhenTriggered.add(sweep.deferToSweep(n));

    sweep.sweep();

    assertThat(deferredWhenTriggered).containsExactly(true);
    assertThat(take(ns)).isPresent();
    assertThat(sweep.deferToSweep(ns)).as("taken: nothing waits any more").isFalse();
  }

  @Test
  void aFreshOptInDuringTheFirstSweepWaitsForTheListingOnlyWhileListedOnesWaitForTheirChunk() {
    String listedNs = optedIn("listed");
    managedSecret(listedNs, "v1");
    listed.put("sites/listed/build", "v2");
    List<Boolean> seen = new ArrayList<>();
    onTrigger = ns -> {
      if (ns.equals(listedNs)) {
        // Its chunk is read: only the triggered reconcile, which takes the answer, acts on it.
        // A site opted in after the listing never waits.
        seen.add(sweep.deferToSweep(listedNs));
        seen.add(take(listedNs).isPresent());
        seen.add(sweep.deferToSweep(listedNs));
        seen.add(sweep.deferToSweep("sites-fresh"));
      }
    };
    assertThat(sweep.deferToSweep(listedNs)).isTrue();

    sweep.sweep();

    assertThat(triggered).containsExactly(listedNs);
    assertThat(seen).containsExactly(true, true, false, false);
  }

  @Test
  void beforeTheFirstSweepReconcilesWaitAndAfterItTheyDoNot() {
    assertThat(sweep.deferToSweep("sites-early")).isTrue();

    start(sweep, Duration.ZERO);

    await().atMost(Duration.ofSeconds(5)).until(() -> !sweep.deferToSweep("sites-late"));
    assertThat(triggered).contains("sites-early");
  }

  @Test
  void theListingOverlapsTheInformersStartUpButTheComparisonWaitsForTheirCaches() {
    CompletableFuture<Void> synced = new CompletableFuture<>();
    FleetSweep early = sweep(synced);
    String ns = optedIn("early");
    stored.put("sites/early/build", new Upstream.Found(DATA, "v1"));
    Thread sweeping = new Thread(early::sweep);
    sweeping.start();
    try {
      await().atMost(Duration.ofSeconds(5))
          .until(() -> listings.get() == 1 && sweeping.getState() == Thread.State.WAITING);
      assertThat(batches).isEmpty();
      assertThat(triggered).isEmpty();

      synced.complete(null);

      await().atMost(Duration.ofSeconds(5)).until(() -> triggered.contains(ns));
    } finally {
      sweeping.interrupt();
    }
  }

  // ---------------------------------------------------------------- falling back, and back again

  @Test
  void aDeniedListingFallsBackToPerKeyReadsOnce() {
    optedIn("any");
    listingFailure = failure(SourceException.Kind.ACCESS_DENIED);

    sweep.sweep();
    sweep.sweep();
    sweep.sweep();

    assertThat(toPerKeyReads).hasValue(1);
    assertThat(toListing).hasValue(0);
    assertThat(metrics.registry().get("deco_operator_buildsecrets_change_detection_fallbacks")
        .tag("reason", "list_denied").counter().count()).isEqualTo(1.0);
    assertThat(sweep.problem()).as("per-key reads are a working mode, not a failure").isNull();
  }

  @Test
  void aListingThatWorksAgainSwitchesBackToListingOnce() {
    String ns = optedIn("back");
    listingFailure = failure(SourceException.Kind.ACCESS_DENIED);
    sweep.sweep();
    assertThat(toPerKeyReads).hasValue(1);

    listingFailure = null; // the IAM policy was fixed
    stored.put("sites/back/build", new Upstream.Found(DATA, "v1"));
    sweep.sweep();
    sweep.sweep();

    assertThat(toListing).hasValue(1);
    assertThat(toPerKeyReads).hasValue(1);
    assertThat(batches).contains(List.of("sites/back/build"));
    assertThat(triggered).contains(ns);
  }

  @Test
  void aDenialAfterTheSwitchBackFallsBackAgain() {
    optedIn("flaky");
    listingFailure = failure(SourceException.Kind.ACCESS_DENIED);
    sweep.sweep();
    listingFailure = null;
    sweep.sweep();
    listingFailure = failure(SourceException.Kind.ACCESS_DENIED);

    sweep.sweep();

    assertThat(toPerKeyReads).hasValue(2);
    assertThat(toListing).hasValue(1);
  }

  @ParameterizedTest
  @EnumSource(value = SourceException.Kind.class, names = {"CREDENTIALS", "THROTTLED", "UNAVAILABLE", "TIMEOUT",
      "UNREACHABLE", "REJECTED"})
  void aListingFailureOtherThanADenialNeverFallsBack(SourceException.Kind kind) {
    optedIn("kept");
    listingFailure = failure(kind);

    for (int i = 0; i < FleetSweep.FAILURES_BEFORE_UNREADY + 2; i++) {
      sweep.sweep();
    }

    assertThat(toPerKeyReads).hasValue(0);
    assertThat(metrics.registry().find("deco_operator_buildsecrets_change_detection_fallbacks").counters())
        .allSatisfy(c -> assertThat(c.count()).isZero());
  }

  @Test
  void deniedBatchReadsLetEachNamespaceReadItsOwnKeyAndAreTriedAgainNextSweep() {
    String ns = optedIn("batchless");
    batchFailure = failure(SourceException.Kind.ACCESS_DENIED);

    sweep.sweep();

    assertThat(toPerKeyReads).hasValue(0);
    assertThat(triggered).containsExactly(ns);
    assertThat(take(ns)).isEmpty();
    assertThat(metrics.registry().get("deco_operator_buildsecrets_change_detection_fallbacks")
        .tag("reason", "batch_denied").counter().count()).isEqualTo(1.0);

    batchFailure = null; // allowed again
    sweep.sweep();

    assertThat(batches).containsExactly(List.of("sites/batchless/build"));
    assertThat(take(ns)).isPresent();
  }

  @ParameterizedTest(name = "{0}: {1} batch attempts for two chunks")
  @CsvSource({"ACCESS_DENIED, 1", "THROTTLED, 2", "CREDENTIALS, 2"})
  void onlyADeniedBatchStopsBatchReadsForTheRestOfTheSweep(SourceException.Kind kind, int attempts) {
    for (int i = 0; i < 60; i++) {
      optedIn("b" + i);
    }
    onTrigger = this::take;
    batchFailure = failure(kind);

    sweep.sweep();

    assertThat(batchAttempts).hasValue(attempts);
    assertThat(triggered).as("each namespace then reads its own key").hasSize(60);
  }

  // ---------------------------------------------------------------- readiness, scheduling

  @Test
  void repeatedListingFailuresMakeTheSweepUnreadyAndASuccessClearsIt() {
    optedIn("x");
    listingFailure = failure(SourceException.Kind.UNAVAILABLE);

    for (int i = 1; i < FleetSweep.FAILURES_BEFORE_UNREADY; i++) {
      sweep.sweep();
      assertThat(sweep.problem()).as("after %d failures", i).isNull();
    }
    sweep.sweep();

    assertThat(sweep.problem()).isNotNull()
        .contains(FleetSweep.FAILURES_BEFORE_UNREADY + " times in a row").contains("unavailable")
        .contains("Secrets are kept");

    listingFailure = null;
    sweep.sweep();

    assertThat(sweep.problem()).isNull();
  }

  @Test
  void aDenialAfterRepeatedFailuresIsAWorkingModeAndClearsTheProblem() {
    // Per-key reads keep every Secret in sync: /readyz must not stay red for the failures before.
    optedIn("x");
    listingFailure = failure(SourceException.Kind.UNAVAILABLE);
    for (int i = 0; i < FleetSweep.FAILURES_BEFORE_UNREADY; i++) {
      sweep.sweep();
    }
    assertThat(sweep.problem()).isNotNull();

    listingFailure = failure(SourceException.Kind.ACCESS_DENIED);
    sweep.sweep();

    assertThat(toPerKeyReads).hasValue(1);
    assertThat(sweep.problem()).isNull();
  }

  @Test
  void aFailedListingIsTriedAgainWithinSecondsNotAtTheNextPeriod() {
    String ns = optedIn("retry");
    stored.put("sites/retry/build", new Upstream.Found(DATA, "v1"));
    listingFailure = failure(SourceException.Kind.UNAVAILABLE);
    start(sweep, Duration.ofHours(1));
    await().atMost(Duration.ofSeconds(5)).until(() -> listings.get() == 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> triggered.contains(ns));
    assertThat(triggered).as("at start-up each namespace then reads on its own").containsExactly(ns);

    listingFailure = null;

    await().atMost(Duration.ofSeconds(10)).until(() -> batches.contains(List.of("sites/retry/build")));
    assertThat(listings.get()).isEqualTo(2);
  }

  @Test
  void repeatedFailuresNeverScheduleASecondListing() {
    // A period shorter than the first back-off: every retry waits exactly one period after the
    // last listing ended. A second chain would show up as two listings closer than that.
    Duration period = Duration.ofMillis(300);
    optedIn("chain");
    listingFailure = failure(SourceException.Kind.THROTTLED);
    start(sweep, period);

    await().atMost(Duration.ofSeconds(10)).until(() -> listings.get() >= 8);
    listingFailure = failure(SourceException.Kind.ACCESS_DENIED);
    int before = listings.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> listings.get() >= before + 4);
    listingFailure = null;
    int after = listings.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> listings.get() >= after + 4);

    List<Long> times = List.copyOf(listingTimes);
    for (int i = 1; i < times.size(); i++) {
      assertThat(Duration.ofNanos(times.get(i) - times.get(i - 1)))
          .as("gap before listing %d", i).isGreaterThanOrEqualTo(period.minusMillis(20));
    }
    assertThat(mostListingsInFlight).hasValue(1);
  }

  @Test
  void stopEndsTheChain() {
    optedIn("stopped");
    listingFailure = failure(SourceException.Kind.UNAVAILABLE);
    start(sweep, Duration.ofMillis(100));
    await().atMost(Duration.ofSeconds(10)).until(() -> listings.get() >= 2);

    sweep.stop();
    int stoppedAt = listings.get();

    // stop() waits for a running sweep: nothing lists afterwards.
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> listings.get() == stoppedAt);
  }
}
