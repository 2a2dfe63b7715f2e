package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.Watcher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import sites.deco.buildsecrets.testbed.FaultProxy;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The deletion guard with the built jar: the upstream emptied, or the operator pointed at another
 * region or account, while it runs and at start-up. No managed Secret may be deleted (or touched)
 * while the missing count is over budget, and all are still there when the upstream is back.
 *
 * <p>"Pointed elsewhere while it runs": region, endpoint and credential source are fixed at start,
 * but what they resolve to can change under a running process (a role swapped to another account's
 * and picked up by the credential refresh, an endpoint that now leads to another region). A proxy
 * on the operator's endpoint emulates it by re-filing every request under another region or
 * account (see {@link FaultProxy#toRegion}); moto keeps regions and accounts apart. At start-up the
 * process is given the other region ({@code AWS_REGION}) or another account's credentials.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeletionGuardE2EIT {
  private static final int FLEET = 12; // budget: max(5, 10% of 12) = 5
  private static final Duration WITHIN = Duration.ofSeconds(40);
  private static final Duration RESYNC = Duration.ofSeconds(3);
  private static final Duration QUIET = RESYNC.plusSeconds(2); // at least one more sweep
  private static final String REGION = "us-east-1";
  private static final String OTHER_REGION = "eu-west-1";

  static TestBed bed;
  static Sites sites;
  static FaultProxy proxy;
  static SecretEvents events;
  static OperatorProcess op;
  static final List<String> fleet = new ArrayList<>();
  static Map<String, String> otherAccount;

  @BeforeAll
  static void start() throws Exception {
    bed = TestBed.get();
    sites = new Sites(bed, Sites.isolated("guard-e2e"));
    proxy = new FaultProxy(bed.motoUrl());
    otherAccount = assumeRoleInAnotherAccount();
    for (int i = 0; i < FLEET; i++) {
      String site = Sites.fresh("g");
      sites.putUpstream(site, "{\"A\":\"" + site + "\"}");
      sites.createNamespace(site, "enabled");
      fleet.add(site);
    }
    events = new SecretEvents(bed.admin(), sites.naming.namespacePrefix(), sites.naming.secretName());
    op = operator("guard-running", Map.of("AWS_ENDPOINT_URL_SECRETS_MANAGER", proxy.url()));
    await().atMost(WITHIN).until(() -> fleet.stream().allMatch(s -> sites.secret(s) != null));
  }

  @AfterAll
  static void stop() {
    if (op != null) op.close();
    if (events != null) events.close();
    if (proxy != null) proxy.close();
  }

  static OperatorProcess operator(String name, Map<String, String> env) {
    return OperatorProcess.start(bed, name, env, "--log-format=console",
        "--build-secrets-resync-period=" + RESYNC.toSeconds() + "s",
        "--namespace-prefix=" + sites.naming.namespacePrefix(), "--key-template=" + sites.naming.keyTemplate())
        .awaitReady();
  }

  private static Map<String, String> resourceVersions() {
    Map<String, String> out = new HashMap<>();
    fleet.forEach(s -> out.put(s, sites.secret(s).getMetadata().getResourceVersion()));
    return out;
  }

  private static Map<String, Integer> pausedEvents() {
    Map<String, Integer> out = new HashMap<>();
    fleet.forEach(s -> out.put(s, sites.events(s, "DeletionPaused").size()));
    return out;
  }

  /**
   * Every namespace got a new Warning DeletionPaused since {@code before}, and the operator logged
   * the fleet's pause as one summary line (per-namespace lines are DEBUG).
   */
  private static boolean pausedEverywhere(OperatorProcess p, int since, Map<String, Integer> before) {
    return fleet.stream().allMatch(s -> sites.events(s, "DeletionPaused").size() > before.getOrDefault(s, 0))
        && p.output().substring(since).contains("deletion guard: " + FLEET + " deletions paused ("
            + FLEET + " upstream missing)");
  }

  private static long managedSecretsGauge(OperatorProcess p) {
    return p.metrics().lines().filter(l -> l.startsWith("deco_operator_buildsecrets_managed_secrets "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
  }

  /** Asserts: every Secret there, none deleted or rewritten since {@code before}, through one more sweep. */
  private static void keptUntouched(Map<String, String> before) {
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> resourceVersions().equals(before));
    assertThat(events.total(Watcher.Action.DELETED)).as("managed Secrets deleted").isZero();
  }

  /** Points the running operator elsewhere, then back. */
  private void whileRunning(Runnable elsewhere, String trial) {
    Map<String, String> before = resourceVersions();
    Map<String, Integer> paused = pausedEvents();
    int from = op.output().length();
    elsewhere.run();
    await().atMost(WITHIN).until(() -> pausedEverywhere(op, from, paused));
    keptUntouched(before);

    proxy.passThrough();
    // Back: the Secrets are found again, unchanged, and the pause is over for all of them.
    await().atMost(WITHIN).until(() -> managedSecretsGauge(op) == FLEET);
    keptUntouched(before);
    ReliabilityRecord.passed("Deletion guard", trial,
        "Every managed Secret paused (Warning DeletionPaused), none deleted or rewritten; when pointed back, "
            + "all found unchanged and the pause lifted with no write");
  }

  @Test
  @Order(1)
  void pointedAtAnotherRegionWhileRunning() {
    whileRunning(() -> proxy.toRegion(REGION, OTHER_REGION),
        "Running operator's requests land in another region (12 managed Secrets, budget 5)");
  }

  @Test
  @Order(2)
  void pointedAtAnotherAccountWhileRunning() {
    whileRunning(() -> proxy.toAccount(otherAccount.get("AWS_ACCESS_KEY_ID")),
        "Running operator's requests land in another account (12 managed Secrets, budget 5)");
  }

  @Test
  @Order(3)
  void upstreamEmptiedWhileRunning() {
    Map<String, String> before = resourceVersions();
    Map<String, Integer> paused = pausedEvents();
    int from = op.output().length();
    fleet.forEach(s -> sites.deleteUpstream(s, false));
    await().atMost(WITHIN).until(() -> pausedEverywhere(op, from, paused));
    keptUntouched(before);

    fleet.forEach(s -> sites.putUpstream(s, "{\"A\":\"" + s + "\",\"B\":\"back\"}"));
    await().atMost(WITHIN).untilAsserted(() -> assertThat(fleet).allSatisfy(s ->
        assertThat(Sites.decoded(sites.secret(s))).isEqualTo(Map.of("A", s, "B", "back"))));
    await().atMost(WITHIN).until(() -> managedSecretsGauge(op) == FLEET);
    assertThat(events.total(Watcher.Action.DELETED)).isZero();
    assertThat(fleet).allSatisfy(s -> assertThat(events.count(sites.ns(s), Watcher.Action.MODIFIED))
        .as("writes of %s for the one upstream change", s).isEqualTo(1));
    ReliabilityRecord.passed("Deletion guard", "Every upstream key deleted while the operator runs (12 managed Secrets, budget 5)",
        "Every managed Secret paused by the next sweep, none deleted or rewritten; when the keys came back, "
            + "each Secret was updated exactly once");
    op.stop();
    op = null;
  }

  @Test
  @Order(4)
  void anotherRegionOrAccountAtStartUp() {
    Map<String, String> before = resourceVersions();
    Map<String, Integer> paused = pausedEvents();
    try (OperatorProcess region = operator("guard-start-region", Map.of("AWS_REGION", OTHER_REGION,
        "AWS_DEFAULT_REGION", OTHER_REGION))) {
      await().atMost(WITHIN).until(() -> pausedEverywhere(region, 0, paused));
      keptUntouched(before);
    }
    ReliabilityRecord.passed("Deletion guard", "Operator started with AWS_REGION set to another region (12 managed Secrets)",
        "Every managed Secret paused (Warning DeletionPaused), none deleted or rewritten");
    Map<String, Integer> pausedAgain = pausedEvents();
    try (OperatorProcess account = operator("guard-start-account", otherAccount)) {
      await().atMost(WITHIN).until(() -> pausedEverywhere(account, 0, pausedAgain));
      keptUntouched(before);
    }
    ReliabilityRecord.passed("Deletion guard", "Operator started with another account's credentials (12 managed Secrets)",
        "Every managed Secret paused (Warning DeletionPaused), none deleted or rewritten");
    try (OperatorProcess right = operator("guard-start-back", Map.of())) {
      await().atMost(WITHIN).until(() -> managedSecretsGauge(right) == FLEET);
      keptUntouched(before);
    }
    ReliabilityRecord.passed("Deletion guard", "Restarted with the right region and account after a wrong start-up",
        "All managed Secrets found as they were: no write");
  }

  /** Temporary credentials of a role in account 111111111111, from moto's STS. */
  private static Map<String, String> assumeRoleInAnotherAccount() throws Exception {
    String form = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=guard-e2e"
        + "&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Felsewhere";
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(bed.motoUrl() + "/"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/" + REGION + "/sts/aws4_request, "
            + "SignedHeaders=host, Signature=0")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("AssumeRole").isEqualTo(200);
    return Map.of("AWS_ACCESS_KEY_ID", tag(r.body(), "AccessKeyId"), "AWS_SECRET_ACCESS_KEY",
        tag(r.body(), "SecretAccessKey"), "AWS_SESSION_TOKEN", tag(r.body(), "SessionToken"));
  }

  private static String tag(String xml, String name) {
    Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(xml);
    assertThat(m.find()).as(name).isTrue();
    return m.group(1);
  }
}
