package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * Coalesced direct reads on a real API server and moto: a burst of force-syncs goes out as a few
 * batch reads, each as fresh as a single read; a lone force-sync stays one single read.
 */
class DirectReadsIT {
  private static final Duration WITHIN = Duration.ofSeconds(60);
  private static final int FLEET = 40;

  private final TestBed bed = TestBed.get();
  private OperatorUnderTest op;

  @AfterEach
  void stop() {
    if (op != null) op.close();
  }

  @Test
  void aBurstOfForceSyncsIsReadInBatchesAndEverySecretGetsTheNewValue() throws Exception {
    Sites sites = new Sites(bed, Sites.isolated("dr-burst"));
    List<String> all = new ArrayList<>();
    for (int i = 0; i < FLEET; i++) {
      String site = Sites.fresh("d");
      sites.putUpstream(site, "{\"A\":\"v1\"}");
      sites.createNamespace(site, "enabled");
      all.add(site);
    }
    // A resync far away: only the cold sweep and the force-syncs read.
    op = OperatorUnderTest.start(bed, sites.naming, c -> c.withResyncPeriod(Duration.ofMinutes(30)));
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));

    // A lone force-sync: one single read, no batch.
    String lone = all.get(0);
    sites.putUpstream(lone, "{\"A\":\"lone\"}");
    int batchesBefore = op.source.batchCalls();
    int singlesBefore = op.source.singleReads();
    sites.forceSync(lone);
    await().atMost(WITHIN).untilAsserted(() ->
        assertThat(Sites.decoded(sites.secret(lone))).isEqualTo(Map.of("A", "lone")));
    assertThat(op.source.singleReads() - singlesBefore).as("single reads for a lone force-sync").isEqualTo(1);
    assertThat(op.source.batchCalls() - batchesBefore).as("batch reads for a lone force-sync").isZero();

    // Every key changes, then every namespace is force-synced at once (20 writers).
    for (String site : all) {
      sites.putUpstream(site, "{\"A\":\"v2\"}");
    }
    batchesBefore = op.source.batchCalls();
    singlesBefore = op.source.singleReads();
    ExecutorService writers = Executors.newFixedThreadPool(20);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (String site : all) {
        done.add(writers.submit(() -> sites.forceSync(site)));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      writers.shutdown();
    }
    await().atMost(WITHIN).untilAsserted(() -> assertThat(all)
        .allSatisfy(s -> assertThat(Sites.decoded(sites.secret(s))).isEqualTo(Map.of("A", "v2"))));

    int batches = op.source.batchCalls() - batchesBefore;
    int singles = op.source.singleReads() - singlesBefore;
    assertThat(batches + singles).as("source calls for %d force-syncs (%d batch, %d single)", FLEET, batches, singles)
        .isLessThanOrEqualTo(FLEET / 2);
    assertThat(all).allSatisfy(s -> assertThat(op.source.reads(sites.key(s))).as("reads of " + s)
        .isGreaterThanOrEqualTo(s.equals(lone) ? 3 : 2));

    ReliabilityRecord.passed("Scale and cost", "40 namespaces force-synced at once (20 concurrent annotators)",
        "Every Secret got the value written upstream just before; the direct reads went out together as batch reads "
            + "(at most 20 source calls for 40 keys); a lone force-sync stayed one single read");
  }
}
