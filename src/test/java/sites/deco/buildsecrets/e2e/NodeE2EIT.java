package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.testbed.ChangeEventsWiring;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The product's purpose, end to end on a real node: a node-mode test bed of this class's own
 * ({@code dev/testbed up --node}: kubelet, containerd, kube-scheduler and kube-controller-manager
 * with the namespace controller), the built jar as one process with default names and change
 * events wired as docs/operations.md does, and builder Jobs ({@link BuilderJob}) that report which
 * variables reached them. Values never leave the containers: each build reports names and one
 * digest, compared with the digest of upstream.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeE2EIT {
  private static final String AREA = "Builds on a real node";
  private static final Duration SYNC = Duration.ofSeconds(30);
  private static final Duration BUILD = Duration.ofSeconds(120);
  private static final String LEDGER = "node-e2e-deletion-ledger";

  static PrivateBed privateBed;
  static TestBed bed;
  static Sites sites;
  static OperatorProcess operator;
  static ChangeEventsWiring events;
  static String image;
  /** The site the first three builds run in, and what its upstream holds now. */
  static final String SITE = Sites.fresh("build");
  static Map<String, String> upstream;

  @BeforeAll
  static void up() throws Exception {
    privateBed = PrivateBed.up("node-testbed", "--node");
    bed = TestBed.at(privateBed.dir);
    image = bed.env().get("TESTBED_BUILDER_IMAGE");
    assertThat(image).as("TESTBED_BUILDER_IMAGE in a node-mode env file").isNotBlank();
    sites = new Sites(bed, Naming.DEFAULTS);
    events = ChangeEventsWiring.create(bed, "node-e2e");
    operator = OperatorProcess.start(bed.env(), "node", "--deletion-ledger=" + LEDGER,
        "--change-events-queue-url=" + events.queueUrl()).awaitReady();
  }

  @AfterAll
  static void down() throws Exception {
    if (operator != null) {
      operator.close();
    }
    if (events != null) {
      events.close();
    }
    if (privateBed != null) {
      privateBed.close();
    }
  }

  @Test
  @Order(1)
  void aBuildSeesExactlyTheUpstreamKeys() {
    upstream = Map.of("NPM_TOKEN", token(), "SENTRY_DSN", token(), "BUILD_MODE", "release");
    sites.putUpstream(SITE, json(upstream));
    sites.createNamespace(SITE, Naming.OPT_IN_VALUE);
    awaitSecretHolds(SITE, upstream);

    assertThat(build(SITE)).isEqualTo(BuilderJob.expected(upstream));
    ReliabilityRecord.passed(AREA, "Builder Job (envFrom build-secrets, optional) after the first sync",
        "The container gets exactly the upstream keys as variables, values intact (digest match)");
  }

  @Test
  @Order(2)
  void aForceSyncedChangeReachesTheNextBuild() {
    Map<String, String> changed = new TreeMap<>(upstream);
    changed.put("NPM_TOKEN", token());
    changed.put("FEATURE_FLAGS", "a,b");
    sites.putUpstream(SITE, json(changed));
    sites.forceSync(SITE);
    awaitSecretHolds(SITE, changed);

    BuilderJob.Seen seen = build(SITE);
    assertThat(seen).isEqualTo(BuilderJob.expected(changed));
    assertThat(seen.sha256()).isNotEqualTo(BuilderJob.expected(upstream).sha256());
    upstream = changed;
    ReliabilityRecord.passed(AREA, "Upstream value changed and a key added, then force-sync",
        "The next builder Job sees the new key set and the new digest");
  }

  @Test
  @Order(3)
  void aChangeEventAloneReachesTheNextBuild() {
    Map<String, String> changed = new TreeMap<>(upstream);
    changed.put("SENTRY_DSN", token());
    sites.putUpstream(SITE, json(changed));
    events.publish("PutSecretValue", sites.key(SITE), false); // what CloudTrail records, via EventBridge and SQS
    awaitSecretHolds(SITE, changed);

    assertThat(build(SITE)).isEqualTo(BuilderJob.expected(changed));
    upstream = changed;
    ReliabilityRecord.passed(AREA, "Upstream value changed, change events on, no force-sync",
        "The PutSecretValue event alone brings the change; the next builder Job sees the new digest");
  }

  @Test
  @Order(4)
  void anOptedOutBuildStartsWithNone() {
    sites.annotate(SITE, Naming.DEFAULTS.managedAnnotation(), null);
    await().atMost(SYNC).until(() -> sites.secret(SITE) == null);

    assertThat(build(SITE)).isEqualTo(BuilderJob.none());
    ReliabilityRecord.passed(AREA, "Site opted out (annotation removed), then a builder Job",
        "The managed Secret is deleted; the Job starts and completes with none of the variables (optional: true)");
  }

  @Test
  @Order(5)
  void aValueAtThePerVariableLimitReachesTheBuildIntact() {
    String site = Sites.fresh("big");
    String key = "BIG";
    // KEY=value and its NUL at exactly the 131,072 bytes the operator accepts (Linux's MAX_ARG_STRLEN).
    int valueBytes = PayloadParser.MAX_ENV_ENTRY_BYTES - key.length() - 2;
    String seed = token();
    Map<String, String> big = Map.of(key, (seed.repeat(valueBytes / seed.length() + 1)).substring(0, valueBytes),
        "SMALL", token());
    sites.putUpstream(site, json(big));
    sites.createNamespace(site, Naming.OPT_IN_VALUE);
    awaitSecretHolds(site, big);

    assertThat(build(site)).isEqualTo(BuilderJob.expected(big));
    ReliabilityRecord.passed(AREA, "A value at the per-variable limit (KEY=value and its NUL: 131,072 bytes)",
        "The builder container starts and gets it intact (digest match)");
  }

  @Test
  @Order(6)
  void buildsStartedWhileTheSecretIsUpdatedAllStartWithOneWholeVersion() throws Exception {
    String site = Sites.fresh("churn");
    List<Map<String, String>> versions = new ArrayList<>();
    versions.add(Map.of("DEPLOY_KEY", token(), "REGION", "eu"));
    sites.putUpstream(site, json(versions.getFirst()));
    sites.createNamespace(site, Naming.OPT_IN_VALUE);
    awaitSecretHolds(site, versions.getFirst());

    List<CompletableFuture<BuilderJob.Seen>> builds = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 1; i <= 3; i++) {
        builds.add(CompletableFuture.supplyAsync(() -> build(site), pool));
        // The change lands while this build's pod is being started.
        int started = i;
        await().atMost(BUILD).until(() -> bed.admin().pods().inNamespace(sites.ns(site)).list().getItems().size() >= started);
        Map<String, String> next = Map.of("DEPLOY_KEY", token(), "REGION", i % 2 == 0 ? "eu" : "us", "ROUND", "r" + i);
        versions.add(next);
        sites.putUpstream(site, json(next));
        sites.forceSync(site);
        awaitSecretHolds(site, next);
      }
      builds.add(CompletableFuture.supplyAsync(() -> build(site), pool));
      List<BuilderJob.Seen> whole = versions.stream().map(BuilderJob::expected).toList();
      List<Integer> seen = new ArrayList<>();
      for (CompletableFuture<BuilderJob.Seen> b : builds) {
        assertThat(b.get()).as("a build's variables are one upstream version, never a mix").isIn(whole);
        seen.add(whole.indexOf(b.get()));
      }
      System.out.println("builds started during updates saw upstream versions " + seen);
    }
    assertThat(builds.getLast().get()).isEqualTo(BuilderJob.expected(versions.getLast()));
    ReliabilityRecord.passed(AREA, "Builder Jobs started while the Secret is updated (3 upstream changes, each force-synced)",
        "Every Job starts and completes; each sees one whole upstream version (its digest), never a mix; the last sees the latest");
  }

  @Test
  @Order(7)
  void aDeletedNamespaceGoesWithItsSecretUnbudgetedAndQuiet() throws Exception {
    String site = Sites.fresh("gone");
    Map<String, String> payload = Map.of("API_KEY", token());
    sites.putUpstream(site, json(payload));
    sites.createNamespace(site, Naming.OPT_IN_VALUE);
    awaitSecretHolds(site, payload);
    String ns = sites.ns(site);
    DeletionLedger.State ledgerBefore = ledger().load();
    double droppedBefore = metric("deco_operator_buildsecrets_events_dropped_total");

    // Every Event written into the namespace from here on (the watch starts at the list's version),
    // and the namespace's phases as the namespace controller takes it down.
    List<String> written = new CopyOnWriteArrayList<>();
    List<String> phases = new CopyOnWriteArrayList<>();
    String version = bed.admin().v1().events().inNamespace(ns).list().getMetadata().getResourceVersion();
    try (Watch events = bed.admin().v1().events().inNamespace(ns).withResourceVersion(version).watch(
            watcher((action, e) -> {
              if (action != Watcher.Action.DELETED) { // the namespace controller deletes the old ones
                written.add(action + " " + e.getReason() + " by " + e.getReportingComponent());
              }
            }));
        Watch namespace = bed.admin().namespaces().withField("metadata.name", ns).watch(
            watcher((action, n) -> phases.add(action == Watcher.Action.DELETED ? "gone" : n.getStatus().getPhase())))) {
      bed.admin().namespaces().withName(ns).delete();
      await().atMost(Duration.ofSeconds(90)).until(() -> phases.contains("gone"));
    }

    assertThat(phases).as("namespace phases").contains("Terminating").last().isEqualTo("gone");
    assertThat(bed.admin().namespaces().withName(ns).get()).isNull();
    assertThat(sites.secret(site)).isNull();
    assertThat(written).as("Events written into the namespace while it was deleted").isEmpty();
    assertThat(ledger().load().sent()).as("budgeted deletions in the ledger").isEqualTo(ledgerBefore.sent());
    assertThat(ledger().load().tripped()).isFalse();
    assertThat(metric("deco_operator_buildsecrets_events_dropped_total")).isEqualTo(droppedBefore);
    assertThat(metric("deco_operator_buildsecrets_deletions_paused")).isZero();
    assertThat(operator.output().lines().filter(l -> l.contains(ns))
        .filter(l -> l.contains("\"WARN\"") || l.contains("\"ERROR\""))).isEmpty();
    ReliabilityRecord.passed(AREA, "Site namespace deleted with the namespace controller running",
        "The namespace goes (Terminating, then gone) with its managed Secret; no budgeted deletion, no Event written into it, no warning");
  }

  // ---- helpers ----

  private static BuilderJob.Seen build(String site) {
    return BuilderJob.run(bed.admin(), sites.ns(site), image, BUILD);
  }

  /** Waits until the Secret's data matches {@code vars}, comparing digests so no value is ever printed. */
  private static void awaitSecretHolds(String site, Map<String, String> vars) {
    String want = BuilderJob.expected(vars).sha256();
    await().atMost(SYNC).until(() -> {
      Map<String, String> data = Sites.decoded(sites.secret(site));
      return data != null && BuilderJob.expected(data).sha256().equals(want);
    });
  }

  private static <T> Watcher<T> watcher(java.util.function.BiConsumer<Watcher.Action, T> onEvent) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, T resource) {
        onEvent.accept(action, resource);
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }

  private static ConfigMapDeletionLedger ledger() {
    return new ConfigMapDeletionLedger(bed.admin(), "default", LEDGER);
  }

  /** The sum of a metric's samples (0 when the operator has not registered it). */
  private static double metric(String name) {
    return operator.metrics().lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static String token() {
    return UUID.randomUUID().toString();
  }

  private static String json(Map<String, String> vars) {
    StringBuilder out = new StringBuilder("{");
    new TreeMap<>(vars).forEach((k, v) -> out.append(out.length() > 1 ? "," : "").append('"').append(k)
        .append("\":\"").append(v).append('"'));
    return out.append('}').toString();
  }
}
