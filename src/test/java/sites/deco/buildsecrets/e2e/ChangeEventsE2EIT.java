package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Watcher;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.ChangeEventsWiring;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * Upstream changes reach the Secret through AWS's change events, on the built jar: the
 * test bed's moto serves Secrets Manager, EventBridge and SQS; each test wires a rule to a queue as
 * docs/operations.md does and publishes CloudTrail-shaped events through EventBridge. The resync
 * period is 15 minutes and nothing is force-synced, so only the events can explain a change
 * within seconds.
 */
class ChangeEventsE2EIT {
  private static final Duration EVENT_TO_SECRET = Duration.ofSeconds(5);
  private static final Duration WITHIN = Duration.ofSeconds(40);
  private static final String CANARY = "canary-Hq4vZ9-never-logged";

  private final TestBed bed = TestBed.get();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) c.close();
  }

  private ChangeEventsWiring wiring(String scope) {
    ChangeEventsWiring w = ChangeEventsWiring.create(bed, Sites.fresh(scope));
    open.add(w);
    return w;
  }

  /** A scope's fleet, its rule and queue, and the jar consuming them once every Secret exists. */
  private record Bed(Sites sites, ChangeEventsWiring events, List<String> fleet, OperatorProcess op) {}

  private Bed start(String scope, int fleetSize) {
    Sites sites = new Sites(bed, Sites.isolated(scope + "-e2e"));
    ChangeEventsWiring events = wiring(scope);
    List<String> all = fleet(sites, fleetSize);
    OperatorProcess op = operator(sites, scope, events);
    await().atMost(WITHIN).until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    return new Bed(sites, events, all, op);
  }

  private OperatorProcess operator(Sites sites, String name, ChangeEventsWiring wiring) {
    OperatorProcess p = OperatorProcess.start(bed, name, Map.of(), "--log-format=console",
        "--build-secrets-resync-period=15m", "--deletion-confirmation-delay=2s",
        "--change-events-queue-url=" + wiring.queueUrl(),
        "--namespace-prefix=" + sites.naming.namespacePrefix(), "--key-template=" + sites.naming.keyTemplate())
        .awaitReady();
    open.add(p);
    return p;
  }

  /** {@code doctor} with the queue, as the operator's identity would run it (no admission policies here). */
  private CliRun doctor(ChangeEventsWiring events) {
    return CliRun.of(bed.env(), new ArrayList<>(), 120, "doctor", "--admission-policies=none",
        "--change-events-queue-url=" + events.queueUrl());
  }

  private static List<String> fleet(Sites sites, int n) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String site = Sites.fresh("c");
      sites.putUpstream(site, "{\"A\":\"" + site + "\"}");
      sites.createNamespace(site, "enabled");
      all.add(site);
    }
    return all;
  }

  private static double metric(OperatorProcess p, String prefix) {
    return p.metrics().lines().filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static double events(OperatorProcess p, String outcome) {
    return metric(p, "deco_operator_buildsecrets_change_events_total{outcome=\"" + outcome + "\"");
  }

  /** Publishes, then returns how long the Secret took to show it; fails past 5 s. */
  private static long reaches(Runnable publish, BooleanSupplier secretShowsIt) {
    long start = System.nanoTime();
    publish.run();
    await().atMost(EVENT_TO_SECRET).pollInterval(Duration.ofMillis(50)).until(secretShowsIt::getAsBoolean);
    return Duration.ofNanos(System.nanoTime() - start).toMillis();
  }

  private static String value(Sites sites, String site) {
    Map<String, String> data = Sites.decoded(sites.secret(site));
    return data == null ? null : data.get("A");
  }

  @Test
  void everyKindOfUpstreamWriteReachesTheSecretWithinFiveSecondsWithoutAForceSync() {
    Bed b = start("chev", 6);
    Sites sites = b.sites();
    ChangeEventsWiring events = b.events();
    OperatorProcess op = b.op();
    String site = b.fleet().get(0);
    String key = sites.key(site);
    var sm = bed.secretsManager();
    Map<String, Long> took = new HashMap<>();

    String v2 = sm.putSecretValue(r -> r.secretId(key).secretString("{\"A\":\"two\"}")).versionId();
    took.put("PutSecretValue", reaches(() -> events.publish("PutSecretValue", key, false),
        () -> "two".equals(value(sites, site))));
    assertThat(sites.secret(site).getMetadata().getAnnotations()).containsEntry(sites.naming.versionAnnotation(), v2);

    String v3 = sm.updateSecret(r -> r.secretId(key).secretString("{\"A\":\"three\"}")).versionId();
    took.put("UpdateSecret", reaches(() -> events.publish("UpdateSecret", key, true),
        () -> "three".equals(value(sites, site))));

    sm.updateSecretVersionStage(r -> r.secretId(key).versionStage("AWSCURRENT").moveToVersionId(v2)
        .removeFromVersionId(v3));
    took.put("UpdateSecretVersionStage", reaches(() -> events.publish("UpdateSecretVersionStage", key, false),
        () -> "two".equals(value(sites, site))));

    sm.deleteSecret(r -> r.secretId(key).recoveryWindowInDays(7L));
    // The deletion guard is in force: the key must stay missing for the confirmation delay (2s)
    // and other keys must be read present before the Secret goes.
    took.put("DeleteSecret", reaches(() -> events.publish("DeleteSecret", key, true),
        () -> sites.secret(site) == null));

    sm.restoreSecret(r -> r.secretId(key));
    took.put("RestoreSecret", reaches(() -> events.publish("RestoreSecret", key, false),
        () -> "two".equals(value(sites, site))));

    System.out.println("event to Secret, ms: " + took);
    assertThat(events(op, "applied")).isGreaterThanOrEqualTo(5);
    assertThat(metric(op, "deco_operator_buildsecrets_change_event_latency_seconds_count")).isGreaterThanOrEqualTo(5);
    assertThat(op.output()).doesNotContain("two", "three");
    ReliabilityRecord.passed("Change events",
        "PutSecretValue, UpdateSecret, a version stage move, DeleteSecret and RestoreSecret, each published as "
            + "a CloudTrail event through EventBridge to SQS, resync 15m, no force-sync",
        "Each reached the Secret within 5 s; the deletion passed the deletion guard (confirmation delay and "
            + "corroboration) first; restored key recreated the Secret");
  }

  @Test
  void aStormOfDeleteEventsCannotPassTheDeletionBudget() {
    Bed b = start("chstorm", 12); // budget: max(5, 10% of 12) = 5
    Sites sites = b.sites();
    ChangeEventsWiring events = b.events();
    OperatorProcess op = b.op();
    List<String> all = b.fleet();
    SecretEvents secrets = new SecretEvents(bed.admin(), sites.naming.namespacePrefix(), sites.naming.secretName());
    open.add(secrets::close);

    List<String> deleted = all.subList(0, 8);
    for (String s : deleted) {
      sites.deleteUpstream(s, true);
      events.publish("DeleteSecret", sites.key(s), true);
    }
    await().atMost(WITHIN).until(() -> deleted.stream().allMatch(s -> !sites.events(s, "DeletionPaused").isEmpty()));
    await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10))
        .until(() -> all.stream().allMatch(s -> sites.secret(s) != null));
    assertThat(secrets.total(Watcher.Action.DELETED)).isZero();
    assertThat(events(op, "applied")).isGreaterThanOrEqualTo(8);
    ReliabilityRecord.passed("Change events",
        "DeleteSecret events for 8 of 12 keys (deletion budget 5), all arriving within a second",
        "No Secret deleted; Warning DeletionPaused in each of the 8 namespaces: events go through the rule "
            + "table and the deletion guard like any read");
  }

  @Test
  void duplicatesOptedOutSitesMalformedMessagesAndALostQueueAreHarmless() {
    Bed b = start("chfail", 3);
    Sites sites = b.sites();
    ChangeEventsWiring events = b.events();
    OperatorProcess op = b.op();
    String site = b.fleet().get(0);
    String off = Sites.fresh("off");
    sites.putUpstream(off, "{\"A\":\"off\"}");
    sites.createNamespace(off, null);
    CliRun healthy = doctor(events);
    assertThat(healthy.exit()).as(healthy.toString()).isZero();
    assertThat(healthy.out()).contains("OK    change events queue: arn:aws:sqs:");

    // A duplicate: the second copy reads the same version and writes nothing.
    sites.putUpstream(site, "{\"A\":\"dup\"}");
    events.publish("PutSecretValue", sites.key(site), false);
    await().atMost(EVENT_TO_SECRET).until(() -> "dup".equals(value(sites, site)));
    String rv = sites.secret(site).getMetadata().getResourceVersion();
    double applied = events(op, "applied");
    events.publish("PutSecretValue", sites.key(site), false);
    await().atMost(EVENT_TO_SECRET).until(() -> events(op, "applied") > applied);
    assertThat(sites.secret(site).getMetadata().getResourceVersion()).isEqualTo(rv);

    // An event for a site that is not opted in: deleted, no read, no Secret.
    double reads = metric(op, "deco_operator_buildsecrets_source_requests_total");
    events.publish("PutSecretValue", sites.key(off), false);
    await().atMost(EVENT_TO_SECRET).until(() -> events(op, "not_opted_in") >= 1);
    assertThat(metric(op, "deco_operator_buildsecrets_source_requests_total")).isEqualTo(reads);
    assertThat(sites.secret(off)).isNull();

    // Malformed messages: counted and deleted, content never logged.
    events.sendRaw("not json " + CANARY);
    events.sendRaw("{\"source\":\"aws.secretsmanager\",\"detail\":{\"x\":\"" + CANARY + "\"}}");
    await().atMost(EVENT_TO_SECRET).until(() -> events(op, "malformed") >= 2);
    // A body over 64 KiB never gets in: the documented queue refuses it, so the operator never receives one.
    String tooLarge = "{\"pad\":\"" + "x".repeat(64 * 1024) + CANARY + "\"}";
    assertThatThrownBy(() -> events.sendRaw(tooLarge)).hasMessageContaining("must be shorter than 65536 bytes");

    // The queue deleted while running: logged once, counted, operator ready; recreated: back to work.
    events.deleteQueue();
    await().atMost(WITHIN).until(() -> metric(op, "deco_operator_buildsecrets_change_event_queue_errors_total") >= 2);
    HttpResponse<String> ready = op.get(op.healthPort(), "/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    CliRun missing = doctor(events);
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.out()).contains("change events queue " + events.queueUrl(), "NonExistentQueue",
        "sqs:ReceiveMessage");
    events.createQueue();
    sites.putUpstream(site, "{\"A\":\"after\"}");
    events.publish("PutSecretValue", sites.key(site), false);
    await().atMost(WITHIN).until(() -> "after".equals(value(sites, site)));

    // A long poll in flight does not hold up shutdown (it would for up to 20 s).
    long stopping = System.nanoTime();
    assertThat(op.stop()).as("exit code after SIGTERM").isEqualTo(0);
    assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(10));
    String log = op.output();
    assertThat(log).doesNotContain(CANARY);
    assertThat(log.lines().filter(l -> l.contains("receiving change events failed")).count()).isEqualTo(1);
    assertThat(log).contains("the change-event queue answers again");
    ReliabilityRecord.passed("Change events", "The same PutSecretValue event delivered twice",
        "Second copy read the same version and wrote nothing (resourceVersion unchanged)");
    ReliabilityRecord.passed("Change events", "An event for a site whose namespace is not opted in",
        "Deleted from the queue with no Secrets Manager request; no Secret created");
    ReliabilityRecord.passed("Change events", "Malformed messages (not JSON, wrong shape) with a canary",
        "Counted as malformed and deleted; the canary appears in no log line");
    ReliabilityRecord.passed("Change events", "A message over 64 KiB sent to the queue as documented",
        "Refused by SQS (MaximumMessageSize 65536): the operator never receives it");
    ReliabilityRecord.passed("Change events", "Queue deleted while the operator runs, then recreated",
        "One WARN line, queue errors counted, /readyz stays 200, doctor FAILs naming the queue and the IAM "
            + "actions; after recreation the next event reached the Secret");
  }

  @Test
  void onlyTheLeaderConsumes() {
    Sites sites = new Sites(bed, Sites.isolated("chlead-e2e"));
    ChangeEventsWiring events = wiring("chlead");
    String site = fleet(sites, 1).get(0);
    String lease = Sites.fresh("chlead-lease");
    List<OperatorProcess> replicas = new ArrayList<>();
    for (String name : List.of("replica-a", "replica-b")) {
      OperatorProcess p = OperatorProcess.start(bed, "chlead-" + name, Map.of("POD_NAME", name), "--log-format=console",
          "--leader-elect", "--leader-election-id=" + lease, "--leader-election-namespace=default",
          "--build-secrets-resync-period=15m", "--change-events-queue-url=" + events.queueUrl(),
          "--namespace-prefix=" + sites.naming.namespacePrefix(), "--key-template=" + sites.naming.keyTemplate());
      open.add(p);
      replicas.add(p.awaitReady());
    }
    String receives = "deco_operator_buildsecrets_change_event_queue_requests_total{operation=\"receive\"";
    await().atMost(WITHIN).until(() -> replicas.stream().anyMatch(p -> metric(p, receives) > 0));
    OperatorProcess leader = replicas.stream().filter(p -> metric(p, receives) > 0).findFirst().orElseThrow();
    OperatorProcess standby = replicas.get(0) == leader ? replicas.get(1) : replicas.get(0);
    await().atMost(WITHIN).until(() -> sites.secret(site) != null);

    sites.putUpstream(site, "{\"A\":\"led\"}");
    reaches(() -> events.publish("PutSecretValue", sites.key(site), false), () -> "led".equals(value(sites, site)));
    assertThat(metric(leader, "deco_operator_buildsecrets_leader ")).isEqualTo(1);
    assertThat(metric(standby, "deco_operator_buildsecrets_leader ")).isZero();
    assertThat(metric(standby, receives)).as("the standby never polls the queue").isZero();
    assertThat(events(standby, "applied")).isZero();
    ReliabilityRecord.passed("Change events", "Two replicas with leader election reading one queue",
        "Only the leader polls the queue and applies the event; the standby sends no SQS request");
  }
}
