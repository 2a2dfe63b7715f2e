package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.FleetView;
import sites.deco.buildsecrets.sync.SiteRef;

/** The sweep's choices: what it reads, what it skips, and how it falls back. */
class FleetSweepTest {
  private static final Naming N = Naming.DEFAULTS;
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

  private final Map<String, String> listed = new HashMap<>();
  private final Map<String, Upstream> stored = new HashMap<>();
  private final List<Collection<String>> batches = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger listings = new java.util.concurrent.atomic.AtomicInteger();
  private final List<String> triggered = new ArrayList<>();
  private final List<Namespace> namespaces = new ArrayList<>();
  private final Map<String, Secret> secrets = new HashMap<>();
  private final FleetView fleet = new FleetView();
  private final SyncMetrics metrics = SyncMetrics.noop();
  private SourceException listingFailure;
  private SourceException batchFailure;
  private boolean fellBack;

  private final BulkSource source = new BulkSource() {
    @Override
    public Map<String, String> currentVersions(String keyPrefix) throws SourceException {
      listings.incrementAndGet();
      if (listingFailure != null) throw listingFailure;
      return Map.copyOf(listed);
    }

    @Override
    public Map<String, Upstream> readAll(Collection<String> keys) throws SourceException {
      if (batchFailure != null) throw batchFailure;
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
  private Consumer<String> onTrigger = ns -> { };
  private final FleetSweep sweep = new FleetSweep(source, N, fleet, metrics, Clock.fixed(NOW, java.time.ZoneOffset.UTC),
      namespaces::stream, secrets::get, ns -> {
        triggered.add(ns);
        onTrigger.accept(ns);
      }, () -> fellBack = true, 40, java.util.concurrent.CompletableFuture.completedFuture(null));

  private String optedIn(String site) {
    String ns = "sites-" + site;
    namespaces.add(new NamespaceBuilder().withNewMetadata().withName(ns)
        .addToAnnotations(N.managedAnnotation(), "enabled").endMetadata().build());
    return ns;
  }

  private SiteRef site(String ns) {
    return namespaces.stream().filter(n -> n.getMetadata().getName().equals(ns)).findFirst()
        .flatMap(n -> SiteRef.from(n, N)).orElseThrow();
  }

  private void managedSecret(String ns, String version) {
    secrets.put(ns, new SecretBuilder().withNewMetadata().withName(N.secretName()).withNamespace(ns)
        .withLabels(N.ownershipLabels()).addToAnnotations(N.versionAnnotation(), version).endMetadata()
        .withData(Map.of("A", "MQ==")).build());
  }

  @Test
  void aSiteNeverReadIsReadDirectlyEvenWhenALaggingListingMissesItsKey() {
    String ns = optedIn("fresh");
    stored.put("sites/fresh/build", new Upstream.Found(SecretData.fromStrings(Map.of("A", "1")), "v1"));

    sweep.sweep();

    assertThat(batches).containsExactly(List.of("sites/fresh/build"));
    assertThat(sweep.take(site(ns))).containsInstanceOf(Upstream.Found.class);
    assertThat(triggered).containsExactly(ns);
  }

  @Test
  void aSiteKnownMissingIsNotReadWhileTheListingAgrees() {
    String ns = optedIn("unprovisioned");
    fleet.noteRead(ns, true, null, NOW);

    sweep.sweep();

    assertThat(batches).isEmpty();
    assertThat(triggered).isEmpty();
  }

  @Test
  void anUnchangedVersionCostsNoReadButCountsAsSeen() {
    String ns = optedIn("same");
    managedSecret(ns, "v1");
    listed.put("sites/same/build", "v1");

    sweep.sweep();

    assertThat(batches).isEmpty();
    assertThat(triggered).isEmpty();
    assertThat(fleet.get(ns)).hasValueSatisfying(s -> {
      assertThat(s.readSinceStart()).isTrue();
      assertThat(s.upstreamMissing()).isFalse();
    });
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
    secrets.put(ns, new SecretBuilder().withNewMetadata().withName(N.secretName()).withNamespace(ns).endMetadata().build());
    namespaces.add(new NamespaceBuilder().withNewMetadata().withName("sites-off").endMetadata().build());

    sweep.sweep();

    assertThat(batches).isEmpty();
    assertThat(triggered).isEmpty();
  }

  @Test
  void aDeniedListingFallsBackToPerKeyReads() {
    optedIn("any");
    listingFailure = new SourceException(SourceException.Kind.ACCESS_DENIED, "AccessDeniedException (HTTP 400)");

    sweep.sweep();

    assertThat(fellBack).isTrue();
    assertThat(metrics.registry().get("deco_operator_buildsecrets_change_detection_fallbacks")
        .tag("reason", "list_denied").counter().count()).isEqualTo(1.0);
  }

  @Test
  void deniedBatchReadsLetEachNamespaceReadItsOwnKey() {
    String ns = optedIn("batchless");
    batchFailure = new SourceException(SourceException.Kind.ACCESS_DENIED, "AccessDeniedException (HTTP 400)");

    sweep.sweep();

    assertThat(fellBack).isFalse();
    assertThat(triggered).containsExactly(ns);
    assertThat(sweep.take(site(ns))).isEmpty();
  }

  @Test
  void beforeTheFirstSweepReconcilesWaitAndAfterItTheyDoNot() {
    assertThat(sweep.deferToSweep("sites-early")).isTrue();
    sweep.start(java.time.Duration.ZERO);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
        .until(() -> !sweep.deferToSweep("sites-late"));
    assertThat(triggered).contains("sites-early");
    sweep.stop();
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
      sweep.take(site(ns)); // the reconcile starts at once
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
    List<String> handedOff = java.util.Collections.synchronizedList(new ArrayList<>());
    onTrigger = handedOff::add;
    Thread sweeping = new Thread(sweep::sweep);
    sweeping.start();

    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
        .until(() -> sweeping.getState() == Thread.State.TIMED_WAITING && handedOff.size() == 80);
    assertThat(batches).as("two chunks handed off, none taken: the third waits").hasSize(2);

    List.copyOf(handedOff).subList(0, 40).forEach(ns -> sweep.take(site(ns))); // one chunk left untaken
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> handedOff.size() == 120);
    assertThat(batches).hasSize(3);
    sweeping.interrupt();
  }

  @Test
  void aForceSyncAfterTheListingMakesTheSweepsAnswerStale() {
    String ns = optedIn("forced");
    stored.put("sites/forced/build", new Upstream.Found(SecretData.fromStrings(Map.of("A", "1")), "v1"));
    sweep.sweep();
    Namespace forced = namespaces.remove(0);
    forced.getMetadata().getAnnotations().put(N.syncAnnotation(), "now");
    namespaces.add(forced);

    assertThat(sweep.take(site(ns))).as("read before the force-sync: the reconcile must read again").isEmpty();
  }

  @Test
  void aFreshOptInDuringTheFirstSweepWaitsForTheListingOnlyWhileListedOnesWaitForTheirChunk() {
    String listedNs = optedIn("listed");
    managedSecret(listedNs, "v1");
    listed.put("sites/listed/build", "v2");
    onTrigger = ns -> {
      if (ns.equals(listedNs)) {
        // Its chunk is read: only the triggered reconcile, which takes the answer, acts on it.
        // A site opted in after the listing never waits.
        assertThat(sweep.deferToSweep(listedNs)).isTrue();
        assertThat(sweep.take(site(listedNs))).isPresent();
        assertThat(sweep.deferToSweep(listedNs)).isFalse();
        assertThat(sweep.deferToSweep("sites-fresh")).isFalse();
      }
    };
    assertThat(sweep.deferToSweep(listedNs)).isTrue();

    sweep.sweep();

    assertThat(triggered).containsExactly(listedNs);
  }

  @Test
  void theListingOverlapsTheInformersStartUpButTheComparisonWaitsForTheirCaches() {
    java.util.concurrent.CompletableFuture<Void> synced = new java.util.concurrent.CompletableFuture<>();
    FleetSweep early = new FleetSweep(source, N, fleet, metrics, Clock.fixed(NOW, java.time.ZoneOffset.UTC),
        namespaces::stream, secrets::get, triggered::add, () -> fellBack = true, 40, synced);
    String ns = optedIn("early");
    stored.put("sites/early/build", new Upstream.Found(SecretData.fromStrings(Map.of("A", "1")), "v1"));
    Thread sweeping = new Thread(early::sweep);
    sweeping.start();

    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
        .until(() -> listings.get() == 1 && sweeping.getState() == Thread.State.WAITING);
    assertThat(batches).isEmpty();
    assertThat(triggered).isEmpty();

    synced.complete(null);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> triggered.contains(ns));
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
      missingWhenTriggered.add(gone.stream().filter(g -> fleet.get(g).map(FleetView.SiteStatus::upstreamMissing)
          .orElse(false)).count());
      sweep.take(site(ns));
    };

    sweep.sweep();

    assertThat(missingWhenTriggered).as("the first reconcile already sees all 60 missing").first().isEqualTo(60L);
  }

  @Test
  void aPausedDeletionIsReReadEvenWhenItsKeyIsListedUnchanged() {
    String ns = optedIn("paused");
    managedSecret(ns, "v1");
    listed.put("sites/paused/build", "v1");
    fleet.record(ns, new FleetView.SiteStatus(sites.deco.buildsecrets.sync.Outcome.DELETION_PAUSED, "paused", NOW,
        "v1", true, true, 0, "fp", null));

    sweep.sweep();

    assertThat(batches).containsExactly(List.of("sites/paused/build"));
    assertThat(triggered).containsExactly(ns);
  }

  @Test
  void aFailedListingIsTriedAgainWithinSecondsNotAtTheNextPeriod() {
    String ns = optedIn("retry");
    stored.put("sites/retry/build", new Upstream.Found(SecretData.fromStrings(Map.of("A", "1")), "v1"));
    listingFailure = new SourceException(SourceException.Kind.UNAVAILABLE, "InternalServiceError (HTTP 500)");
    sweep.start(java.time.Duration.ofHours(1));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> listings.get() == 1);
    assertThat(triggered).as("at start-up each namespace then reads on its own").containsExactly(ns);

    listingFailure = null;

    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> batches.contains(List.of("sites/retry/build")));
    assertThat(listings.get()).isEqualTo(2);
    sweep.stop();
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
    assertThat(sweep.take(site(ns))).isPresent();
    assertThat(sweep.deferToSweep(ns)).as("taken: nothing waits any more").isFalse();
  }
}
