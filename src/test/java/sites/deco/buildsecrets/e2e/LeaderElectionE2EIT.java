package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Watcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/** Two replicas of the jar with leader election: exactly one writes, and the other takes over. */
class LeaderElectionE2EIT {
  private static final Duration LEASE_DURATION = Duration.ofSeconds(15); // JOSDK's default
  private final TestBed bed = TestBed.get();
  private final Sites sites = new Sites(bed, Sites.isolated("le"));
  private final String leaseName = Sites.fresh("lease");
  private final List<OperatorProcess> replicas = new ArrayList<>();

  @AfterEach
  void stopAll() {
    replicas.forEach(OperatorProcess::close);
  }

  private OperatorProcess replica(String name) {
    OperatorProcess p = OperatorProcess.start(bed, "le-" + name, Map.of("POD_NAME", name),
        "--leader-elect", "--leader-election-id=" + leaseName, "--leader-election-namespace=default",
        "--namespace-prefix=" + sites.naming.namespacePrefix(), "--key-template=" + sites.naming.keyTemplate(),
        "--log-format=console");
    replicas.add(p);
    return p;
  }

  private String holder() {
    Lease lease = bed.admin().leases().inNamespace("default").withName(leaseName).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  private String newSite() {
    String site = Sites.fresh("le");
    sites.putUpstream(site, "{\"A\":\"" + site + "\"}");
    sites.createNamespace(site, "enabled");
    return site;
  }

  private static long writes(OperatorProcess p) {
    return p.output().lines().filter(l -> l.contains(": created from upstream")).count();
  }

  private static String payload(String site, String change) {
    return "{\"A\":\"" + site + "\",\"CHANGE\":\"" + change + "\"}";
  }

  private void changeUpstream(List<String> all, String change) {
    all.forEach(s -> sites.putUpstream(s, payload(s, change)));
  }

  private void awaitData(List<String> all, String change, Duration within) {
    await().atMost(within).untilAsserted(() -> assertThat(all).allSatisfy(s ->
        assertThat(Sites.decoded(sites.secret(s))).as(s).isEqualTo(Map.of("A", s, "CHANGE", change))));
  }

  /**
   * Writes are counted from a watch on the Secrets, per namespace: a change made upstream while
   * the leader dies must be written once, by the new leader, and not again by anyone.
   */
  @Test
  void exactlyOneReplicaWritesAndTheOtherTakesOverWhenTheLeaderDies() {
    OperatorProcess a = replica("replica-a");
    OperatorProcess b = replica("replica-b");
    a.awaitReady();
    b.awaitReady(); // a standby is ready too
    await().atMost(Duration.ofSeconds(30)).until(() -> holder() != null);

    try (SecretEvents events = new SecretEvents(bed.admin(), sites.naming.namespacePrefix(), sites.naming.secretName())) {
      List<String> first = List.of(newSite(), newSite(), newSite(), newSite(), newSite());
      await().atMost(Duration.ofSeconds(30)).until(() -> first.stream().allMatch(s -> sites.secret(s) != null));
      OperatorProcess leader = holder().equals("replica-a") ? a : b;
      OperatorProcess standby = leader == a ? b : a;
      // The log line follows the write by a moment: wait for it, then check nobody else wrote.
      await().atMost(Duration.ofSeconds(5)).until(() -> writes(leader) == 5);
      assertThat(writes(standby)).isZero();

      // Change 1, force-synced, written by the leader.
      changeUpstream(first, "1");
      first.forEach(sites::forceSync);
      awaitData(first, "1", Duration.ofSeconds(30));
      // Change 2 lands upstream just before the leader dies, unseen by it (its resync is 15m):
      // the new leader's start-up sweep must write it, once.
      changeUpstream(first, "2");
      leader.kill();
      String after = newSite();
      await().atMost(LEASE_DURATION.plusSeconds(15)).until(() -> sites.secret(after) != null);
      assertThat(holder()).isEqualTo(leader == a ? "replica-b" : "replica-a");
      await().atMost(Duration.ofSeconds(5)).until(() -> writes(standby) == 1);
      awaitData(first, "2", Duration.ofSeconds(30));
      // Change 3 after the failover, force-synced.
      changeUpstream(first, "3");
      first.forEach(sites::forceSync);
      awaitData(first, "3", Duration.ofSeconds(30));

      // One write per change and namespace, and nothing more arrives later.
      await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).untilAsserted(() -> {
        assertThat(first).allSatisfy(s -> {
          assertThat(events.count(sites.ns(s), Watcher.Action.ADDED)).as("creates of " + s).isEqualTo(1);
          assertThat(events.count(sites.ns(s), Watcher.Action.MODIFIED)).as("updates of " + s + " for 3 changes")
              .isEqualTo(3);
        });
        assertThat(events.count(sites.ns(after), Watcher.Action.ADDED)).isEqualTo(1);
        assertThat(events.count(sites.ns(after), Watcher.Action.MODIFIED)).isZero();
        assertThat(events.total(Watcher.Action.DELETED)).isZero();
      });
    }
    ReliabilityRecord.passed("Control-plane faults", "Leader SIGKILLed with two replicas (--leader-elect)",
        "The standby took the Lease and wrote what changed meanwhile; each upstream change written exactly once "
            + "per namespace (counted on a Secret watch), nothing deleted, the standby wrote nothing while standing by");
  }

  @Test
  void aCleanShutdownReleasesTheLeaseSoTheStandbyTakesOverAtOnce() {
    OperatorProcess a = replica("replica-a");
    a.awaitReady();
    await().atMost(Duration.ofSeconds(30)).until(() -> "replica-a".equals(holder()));
    OperatorProcess b = replica("replica-b");
    b.awaitReady();

    long stoppedAt = System.nanoTime();
    assertThat(a.stop()).isEqualTo(0);
    assertThat(a.output()).contains("stopped cleanly");
    await().atMost(LEASE_DURATION.minusSeconds(5)).until(() -> "replica-b".equals(holder()));
    Duration takeover = Duration.ofNanos(System.nanoTime() - stoppedAt);
    assertThat(takeover).isLessThan(LEASE_DURATION);

    String site = newSite();
    await().atMost(Duration.ofSeconds(20)).until(() -> sites.secret(site) != null);
  }
}
