package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The operator's CLI subcommands (status, sync, doctor), run from the built jar against the test bed
 * with default naming and no operator running. A canary value sits in every upstream payload and
 * must never appear in any output.
 */
class CliCommandsE2EIT {
  private static final String CANARY = "canary-Wm4tQ9-cli-never-prints";
  private static final List<String> OUTPUTS = new CopyOnWriteArrayList<>();
  static TestBed bed;
  static Sites sites;

  @BeforeAll
  static void start() {
    bed = TestBed.get();
    sites = new Sites(bed, Naming.DEFAULTS);
  }

  @AfterAll
  static void nothingPrintedAValue() {
    String base64 = Base64.getEncoder().encodeToString(CANARY.getBytes(StandardCharsets.UTF_8));
    assertThat(OUTPUTS).isNotEmpty();
    for (String output : OUTPUTS) {
      assertThat(output).doesNotContain(CANARY).doesNotContain(base64);
    }
  }

  private static String payload(String token) {
    return "{\"TOKEN\":\"" + token + "\",\"CANARY\":\"" + CANARY + "\"}";
  }

  /** Runs the jar with the test bed's environment (KUBECONFIG, AWS_*) and these arguments. */
  private static CliRun cli(String... args) {
    return CliRun.of(bed.env(), OUTPUTS, 120, args);
  }

  /** The STATE of one namespace in {@code status -o json}. */
  private static JsonNode statusOf(String site) throws IOException {
    CliRun r = cli("status", "-o", "json");
    assertThat(r.exit()).as(r.toString()).isZero();
    JsonNode all = new ObjectMapper().readTree(r.out());
    assertThat(all.isArray()).as(r.toString()).isTrue();
    for (JsonNode row : all) {
      if (row.get("namespace").asText().equals(sites.ns(site))) {
        return row;
      }
    }
    throw new AssertionError(sites.ns(site) + " is not in status:\n" + r);
  }

  /** The table line of one namespace in {@code status}. */
  private static String tableLine(String site) {
    CliRun r = cli("status");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).startsWith("NAMESPACE");
    return r.out().lines().filter(l -> l.startsWith(sites.ns(site) + " ")).findFirst()
        .orElseThrow(() -> new AssertionError(sites.ns(site) + " is not in status:\n" + r));
  }

  @Test
  void syncCreatesTheSecretAndStatusShowsItSynced() throws IOException {
    String site = Sites.fresh("cli-synced");
    String version = sites.putUpstream(site, payload("t1"));
    sites.createNamespace(site, "enabled");

    CliRun sync = cli("sync", sites.ns(site));
    assertThat(sync.exit()).as(sync.toString()).isZero();
    assertThat(sync.out()).contains("create with keys [CANARY, TOKEN]").contains("done");
    Secret secret = sites.secret(site);
    assertThat(secret).isNotNull();
    assertThat(Naming.DEFAULTS.isOwned(secret.getMetadata().getLabels())).isTrue();
    assertThat(Sites.decoded(secret)).containsEntry("TOKEN", "t1");
    assertThat(secret.getMetadata().getAnnotations()).containsEntry(Naming.DEFAULTS.versionAnnotation(), version);

    String line = tableLine(site);
    assertThat(line.split("\\s+")).containsExactly(sites.ns(site), site, "synced", version, version, line.split("\\s+")[5]);
    JsonNode row = statusOf(site);
    assertThat(row.get("state").asText()).isEqualTo("synced");
    assertThat(row.get("site").asText()).isEqualTo(site);
    assertThat(row.get("upstreamVersion").asText()).isEqualTo(version);
    assertThat(row.get("secretVersion").asText()).isEqualTo(version);
    assertThat(row.get("age").asText()).matches("\\d+s|\\d+m(\\d+s)?");

    CliRun again = cli("sync", sites.ns(site));
    assertThat(again.exit()).isZero();
    assertThat(again.out()).contains("nothing to do (in sync");
    assertThat(sites.secret(site).getMetadata().getResourceVersion()).isEqualTo(secret.getMetadata().getResourceVersion());
  }

  @Test
  void statusNamesADeletionApprovalLeftStandingOnASyncedSite() throws IOException {
    String site = syncedByTheCommandLine("cli-approval", "t1");
    assertThat(statusOf(site).get("standingDeletionApproval").asBoolean()).isFalse();

    // Approved during an off-boarding that was then undone: the approval still names the live Secret.
    sites.annotate(site, Naming.DELETION_APPROVAL_ANNOTATION, sites.secret(site).getMetadata().getUid());

    assertThat(statusOf(site).get("standingDeletionApproval").asBoolean()).isTrue();
    CliRun table = cli("status");
    assertThat(table.out()).contains("Deletion approvals still standing in ").contains(sites.ns(site))
        .contains("kubectl annotate ns <namespace> " + Naming.DELETION_APPROVAL_ANNOTATION + "-");
  }

  @Test
  void anOutOfSyncSiteIsShownThenDryRunWritesNothingThenSyncWrites() throws IOException {
    String site = syncedByTheCommandLine("cli-drift", "old");
    String before = sites.secret(site).getMetadata().getResourceVersion();

    String v2 = sites.putUpstream(site, payload("new"));
    JsonNode row = statusOf(site);
    assertThat(row.get("state").asText()).isEqualTo("out-of-sync");
    assertThat(row.get("upstreamVersion").asText()).isEqualTo(v2);

    CliRun dry = cli("sync", sites.ns(site), "--dry-run");
    assertThat(dry.exit()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("update: added [], removed [], changed [TOKEN]").contains("dry run: nothing written");
    assertThat(sites.secret(site).getMetadata().getResourceVersion()).isEqualTo(before);

    CliRun sync = cli("sync", sites.ns(site));
    assertThat(sync.exit()).as(sync.toString()).isZero();
    assertThat(sync.out()).contains("changed [TOKEN]");
    Secret after = sites.secret(site);
    assertThat(after.getMetadata().getResourceVersion()).isNotEqualTo(before);
    assertThat(Sites.decoded(after)).containsEntry("TOKEN", "new");
    assertThat(after.getMetadata().getAnnotations()).containsEntry(Naming.DEFAULTS.versionAnnotation(), v2);
    assertThat(statusOf(site).get("state").asText()).isEqualTo("synced");
  }

  @Test
  void aMissingKeyNeverCreatesOrDeletesFromTheCommandLine() throws IOException {
    String lazy = Sites.fresh("cli-missing");
    sites.createNamespace(lazy, "enabled");
    assertThat(tableLine(lazy)).contains("upstream-missing");
    CliRun nothing = cli("sync", sites.ns(lazy));
    assertThat(nothing.exit()).as(nothing.toString()).isZero();
    assertThat(nothing.out()).contains("nothing to do (upstream key not found");
    assertThat(sites.secret(lazy)).isNull();

    // A managed Secret whose key went away: kept, and the CLI says it never deletes.
    String gone = syncedByTheCommandLine("cli-gone", "x");
    String rv = sites.secret(gone).getMetadata().getResourceVersion();
    sites.deleteUpstream(gone, false);
    assertThat(statusOf(gone).get("state").asText()).isEqualTo("upstream-missing");
    CliRun refused = cli("sync", sites.ns(gone));
    assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.out()).contains("the command line does not");
    assertThat(sites.secret(gone).getMetadata().getResourceVersion()).isEqualTo(rv);

    operatorPausedTheDeletion(gone);
    assertThat(statusOf(gone).get("state").asText()).isEqualTo("deletion-paused");
  }

  @Test
  void anOptedOutSiteStillHoldingItsSecretIsShownUntilItGoes() throws IOException {
    String site = syncedByTheCommandLine("cli-opted-out", "x");

    sites.annotate(site, Naming.DEFAULTS.managedAnnotation(), null); // no operator runs here: the Secret stays

    assertThat(statusOf(site).get("state").asText()).as("a deletion is due").isEqualTo("out-of-sync");
    operatorPausedTheDeletion(site);
    assertThat(statusOf(site).get("state").asText()).isEqualTo("deletion-paused");
    assertThat(tableLine(site)).contains("deletion-paused");
  }

  @Test
  void statusShowsATripTheDeletionLedgerRemembers() throws Exception {
    String name = Sites.fresh("cli-ledger");
    new ConfigMapDeletionLedger(bed.admin(), "default", name).save(new DeletionLedger.State(Instant.now().minusSeconds(10 * 3600),
        List.of(new DeletionLedger.Sent(Instant.now().minusSeconds(12 * 3600), "uid-1"))));

    CliRun status = cli("status", "--deletion-ledger", name, "--deletion-ledger-namespace", "default");

    assertThat(status.exit()).as(status.toString()).isZero();
    assertThat(status.out()).contains("Deletion guard tripped 10h ago (ConfigMap default/" + name + ")")
        .contains("Deletion ledger: 1 budgeted deletion recorded, the latest 12h ago");
    CliRun json = cli("status", "-o", "json", "--deletion-ledger", name, "--deletion-ledger-namespace", "default");
    assertThat(json.err()).contains("Deletion guard tripped");
    assertThat(cli("status", "--deletion-ledger", "none").out()).doesNotContain("Deletion guard");
    assertThat(cli("status", "--deletion-ledger", Sites.fresh("cli-no-ledger")).out())
        .as("looked in the wrong namespace, or before any budgeted deletion").contains("Deletion guard: no ledger at ConfigMap default/");
  }

  /** A fresh opted-in site whose upstream TOKEN is {@code token}, synced by {@code sync} (no operator runs here). */
  private static String syncedByTheCommandLine(String prefix, String token) {
    String site = Sites.fresh(prefix);
    sites.putUpstream(site, payload(token));
    sites.createNamespace(site, "enabled");
    CliRun sync = cli("sync", sites.ns(site));
    assertThat(sync.exit()).as(sync.toString()).isZero();
    return site;
  }

  /** What the operator posts when the deletion guard keeps a Secret: status reads its latest Event. */
  private static void operatorPausedTheDeletion(String site) {
    String now = Instant.now().toString().replaceAll("\\.\\d+Z$", "Z");
    bed.admin().v1().events().inNamespace(sites.ns(site)).resource(new EventBuilder()
        .withNewMetadata().withName(sites.ns(site) + ".paused").withNamespace(sites.ns(site)).endMetadata()
        .withNewInvolvedObject().withApiVersion("v1").withKind("Namespace").withName(sites.ns(site))
        .withNamespace(sites.ns(site)).endInvolvedObject()
        .withType("Warning").withReason("DeletionPaused").withMessage("deletion is paused")
        .withNewSource().withComponent("build-secrets-operator").endSource()
        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
        .build()).create();
  }

  @Test
  void aHandMadeSecretIsRefusedAndLeftAlone() throws IOException {
    String site = Sites.fresh("cli-unowned");
    sites.putUpstream(site, payload("x"));
    sites.createNamespace(site, "enabled");
    Secret mine = bed.admin().secrets().inNamespace(sites.ns(site)).resource(new SecretBuilder()
        .withNewMetadata().withName("build-secrets").withNamespace(sites.ns(site)).endMetadata()
        .withStringData(Map.of("MINE", CANARY)).build()).create();

    CliRun sync = cli("sync", sites.ns(site));
    assertThat(sync.exit()).as(sync.toString()).isEqualTo(1);
    assertThat(sync.out()).contains("refused: not owned");
    Secret after = sites.secret(site);
    assertThat(after.getMetadata().getResourceVersion()).isEqualTo(mine.getMetadata().getResourceVersion());
    assertThat(Sites.decoded(after)).containsOnlyKeys("MINE");
    assertThat(statusOf(site).get("state").asText()).isEqualTo("not-owned");
  }

  @Test
  void anInvalidPayloadIsNamedByKeyAndRuleAndNothingIsWritten() throws IOException {
    String site = Sites.fresh("cli-invalid");
    sites.putUpstream(site, "{\"CANARY\":\"" + CANARY + "\",\"PORT\":8080}");
    sites.createNamespace(site, "enabled");

    CliRun sync = cli("sync", sites.ns(site));
    assertThat(sync.exit()).as(sync.toString()).isEqualTo(1);
    assertThat(sync.out()).contains("invalid payload: key \"PORT\": value must be a JSON string (got number)");
    assertThat(sites.secret(site)).isNull();
    assertThat(statusOf(site).get("state").asText()).isEqualTo("invalid");
  }

  @Test
  void doctorPassesWithTheAdminKubeconfigAndNamesKeysOnly() {
    String site = Sites.fresh("cli-doctor");
    String version = sites.putUpstream(site, payload("x"));
    // No admission policies on this test bed (AdmissionPolicyIT checks doctor's report of them).
    CliRun r = cli("doctor", "--site", site, "--admission-policies=none");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("OK    kube API reachable")
        .contains("OK    RBAC: update secrets named build-secrets (all namespaces)")
        .contains("OK    RBAC: create coordination.k8s.io/leases in namespace default")
        .contains("OK    AWS credentials resolvable: access key id …ting")
        .contains("OK    AWS region set: us-east-1")
        .contains("OK    upstream key sites/" + site + "/build: found, version " + version + ", keys [CANARY, TOKEN]")
        .doesNotContain("FAIL")
        .doesNotContain(bed.env().get("AWS_SECRET_ACCESS_KEY"));
    assertThat(r.out()).containsPattern("all \\d+ checks passed");
  }

  @Test
  void doctorFailsWithAFixForAMissingKey() {
    String site = Sites.fresh("cli-doctor-missing");
    CliRun r = cli("doctor", "--site", site);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).contains("FAIL  upstream key sites/" + site + "/build: missing (not found)")
        .contains("fix: create it as a JSON object of strings: aws secretsmanager create-secret --name sites/" + site + "/build");
  }

  @Test
  void usageErrorsExitTwo() {
    CliRun r = cli("sync", "kube-system");
    assertThat(r.exit()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("not a site namespace");
    assertThat(cli("status", "-o", "yaml").exit()).isEqualTo(2);
  }
}
