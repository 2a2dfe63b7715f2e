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
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.ops.SyncMetrics;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.FleetView;

/** The sweep's choices: what it reads, what it skips, and how it falls back. */
class FleetSweepTest {
  private static final Naming N = Naming.DEFAULTS;
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

  private final Map<String, String> listed = new HashMap<>();
  private final Map<String, Upstream> stored = new HashMap<>();
  private final List<Collection<String>> batches = new ArrayList<>();
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
    public Upstream read(String key) {
      throw new AssertionError("the sweep never reads one key alone");
    }

    @Override
    public String name() {
      return "fake";
    }
  };

  private final FleetSweep sweep = new FleetSweep(source, N, fleet, metrics, Clock.fixed(NOW, java.time.ZoneOffset.UTC),
      namespaces::stream, secrets::get, triggered::add, () -> fellBack = true);

  private String optedIn(String site) {
    String ns = "sites-" + site;
    namespaces.add(new NamespaceBuilder().withNewMetadata().withName(ns)
        .addToAnnotations(N.managedAnnotation(), "enabled").endMetadata().build());
    return ns;
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
    assertThat(sweep.take(ns)).containsInstanceOf(Upstream.Found.class);
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
    assertThat(sweep.take(ns)).isEmpty();
  }

  @Test
  void beforeTheFirstSweepReconcilesWaitAndAfterItTheyDoNot() {
    assertThat(sweep.deferUntilFirstSweep("sites-early")).isTrue();
    sweep.start(java.time.Duration.ZERO);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
        .until(() -> !sweep.deferUntilFirstSweep("sites-late"));
    assertThat(triggered).contains("sites-early");
    sweep.stop();
  }
}
