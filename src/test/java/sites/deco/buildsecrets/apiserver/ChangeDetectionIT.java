package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.OperatorConfig.ChangeDetection;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * List-mode change detection on a real API server and moto: a cold start reads in batches, an
 * unchanged resync reads nothing, a changed key is the only one read again, fresh opt-ins are read
 * directly, and a denied listing falls back to per-key reads.
 */
class ChangeDetectionIT {
  private static final Duration WITHIN = Duration.ofSeconds(30);
  private static final Duration RESYNC = Duration.ofSeconds(3);
  private static final int FLEET = 45;

  private final TestBed bed = TestBed.get();
  private OperatorUnderTest op;

  @AfterEach
  void stop() {
    if (op != null) op.close();
  }

  private List<String> fleetBeforeStart(Sites sites) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < FLEET; i++) {
      String site = Sites.fresh("c");
      sites.putUpstream(site, "{\"A\":\"" + site + "\"}");
      sites.createNamespace(site, "enabled");
      all.add(site);
    }
    return all;
  }

  @Test
  void coldStartBatchesUnchangedResyncReadsNothingAndOnlyChangedKeysAreRead() {
    Sites sites = new Sites(bed, Sites.isolated("cd-list"));
    List<String> all = fleetBeforeStart(sites);
    op = OperatorUnderTest.start(bed, sites.naming, c -> c.withResyncPeriod(RESYNC));

    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    assertThat(op.source.singleReads()).as("per-key reads at cold start").isZero();
    assertThat(op.source.batchCalls()).as("batch calls at cold start (45 keys)").isLessThanOrEqualTo(3);
    assertThat(all).allSatisfy(s -> assertThat(op.source.reads(sites.key(s))).isEqualTo(1));

    // Two more sweeps of an unchanged upstream: listings only.
    int listings = op.source.listings();
    await().atMost(WITHIN).until(() -> op.source.listings() >= listings + 2);
    assertThat(all).allSatisfy(s -> assertThat(op.source.reads(sites.key(s))).isEqualTo(1));

    // One key changes: the next sweep reads it, and only it.
    String changed = all.get(7);
    sites.putUpstream(changed, "{\"A\":\"v2\"}");
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(changed))).isEqualTo(Map.of("A", "v2")));
    assertThat(op.source.reads(sites.key(changed))).isEqualTo(2);
    assertThat(all).filteredOn(s -> !s.equals(changed))
        .allSatisfy(s -> assertThat(op.source.reads(sites.key(s))).isEqualTo(1));

    // A fresh opt-in is read directly, at once, not at the next sweep.
    String fresh = Sites.fresh("fresh");
    sites.putUpstream(fresh, "{\"A\":\"1\"}");
    sites.createNamespace(fresh, "enabled");
    await().atMost(WITHIN).until(() -> sites.secret(fresh) != null);
    assertThat(op.source.singleReads()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aDeniedListingFallsBackToPerKeyReads() {
    Sites sites = new Sites(bed, Sites.isolated("cd-denied"));
    List<String> all = fleetBeforeStart(sites).subList(0, 5);
    op = OperatorUnderTest.start(bed, sites.naming, c -> c.withResyncPeriod(RESYNC), s -> s.denyListing(true));

    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    assertThat(op.source.singleReads()).isGreaterThanOrEqualTo(all.size());
    // Listing is tried again at most once per resync period while it stays denied...
    int listings = op.source.listings();
    await().during(RESYNC.multipliedBy(2)).atMost(RESYNC.multipliedBy(3))
        .until(() -> op.source.listings() - listings <= 3);
    assertThat(op.metrics.registry().get("deco_operator_buildsecrets_change_detection_fallbacks")
        .tag("reason", "list_denied").counter().count()).isEqualTo(1.0);

    // ...so a fixed IAM policy is picked up without a restart: back to listing, and an unchanged
    // fleet costs no per-key read any more.
    op.source.denyListing(false);
    int before = op.source.listings();
    await().atMost(RESYNC.multipliedBy(3)).until(() -> op.source.listings() > before);
    await().atMost(RESYNC.multipliedBy(3)).until(() -> op.source.listings() > before + 1);
    int reads = op.source.singleReads();
    await().during(RESYNC.multipliedBy(2)).atMost(RESYNC.multipliedBy(3)).until(() -> op.source.singleReads() == reads);
    ReliabilityRecord.passed("Change detection",
        "ListSecrets denied by the IAM policy, then allowed while the operator runs",
        "Per-key reads while denied, listing retried once per resync period; once allowed, back to one listing "
            + "per resync with no per-key read, without a restart");
  }

  @Test
  void getModeReadsEveryKeyItselfAndNeverLists() {
    Sites sites = new Sites(bed, Sites.isolated("cd-get"));
    List<String> all = fleetBeforeStart(sites).subList(0, 5);
    op = OperatorUnderTest.start(bed, sites.naming, c -> c.withChangeDetection(ChangeDetection.GET));

    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    assertThat(op.source.listings()).isZero();
    assertThat(op.source.batchCalls()).isZero();
  }
}
