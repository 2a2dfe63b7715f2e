package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * {@code env} (issue 28), run from the built jar against the test bed (moto as Secrets Manager, a
 * real API server) with the operator running beside it on this class's own naming. The operator's
 * resync is far longer than any test: a Secret that follows a write within seconds got there by
 * the force-sync {@code env} requested. A canary sits in every value written and must appear in no
 * output of the CLI or the operator, plain or base64.
 */
class EnvE2EIT {
  private static final String CANARY = "canary-Hv3nR8-env-never-prints";
  private static final String AREA = "Editing build variables (env)";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> OUTPUTS = new CopyOnWriteArrayList<>();
  private static TestBed bed;
  private static Sites sites;
  private static OperatorProcess operator;
  private static Path files;

  @BeforeAll
  static void start() throws IOException {
    bed = TestBed.get();
    sites = new Sites(bed, Sites.isolated("env-e2e"));
    files = Files.createTempDirectory(TestBed.repoRoot().resolve("target"), "env-e2e-");
    operator = OperatorProcess.start(bed, "env", Map.of(), "--log-format=console", "--log-level=debug",
        "--build-secrets-resync-period=30m", "--deletion-ledger=none",
        "--namespace-prefix=" + sites.naming.namespacePrefix(), "--key-template=" + sites.naming.keyTemplate())
        .awaitReady();
  }

  @AfterAll
  static void stop() {
    try {
      if (operator != null) {
        OUTPUTS.add(operator.output());
      }
      String base64 = Base64.getEncoder().encodeToString(CANARY.getBytes(StandardCharsets.UTF_8));
      assertThat(OUTPUTS).isNotEmpty();
      for (String output : OUTPUTS) {
        assertThat(output).doesNotContain(CANARY).doesNotContain(base64);
      }
      ReliabilityRecord.passed(AREA, "a canary value set, changed, removed and rolled back through every env command",
          "it appeared in no output of env or the operator, neither plain nor base64");
    } finally {
      if (operator != null) operator.close();
    }
  }

  // ---- vocabulary ----------------------------------------------------------------------------

  /** Runs the jar with {@code args}, the test bed's environment, this class's naming, and {@code extra}. */
  private static CliRun cli(Map<String, String> extra, String... args) {
    Map<String, String> all = new HashMap<>(bed.env());
    all.put("BUILD_SECRETS_NAMESPACE_PREFIX", sites.naming.namespacePrefix());
    all.put("BUILD_SECRETS_KEY_TEMPLATE", sites.naming.keyTemplate());
    all.putAll(extra);
    return CliRun.of(all, OUTPUTS, 180, args);
  }

  /** Runs {@code env args...}. */
  private static CliRun env(Map<String, String> extra, String... args) {
    List<String> command = new ArrayList<>(List.of("env"));
    command.addAll(List.of(args));
    return cli(extra, command.toArray(String[]::new));
  }

  private static CliRun env(String... args) {
    return env(Map.of(), args);
  }

  /** A file holding {@code content}, for KEY=@FILE and --from-env-file. */
  private static String file(String content) throws IOException {
    Path f = Files.createTempFile(files, "value-", ".txt");
    Files.writeString(f, content);
    return f.toString();
  }

  /** An opted-in site whose Secret the operator has written from {@code values}. */
  private static String syncedSite(String hint, Map<String, String> values) throws IOException {
    String site = Sites.fresh(hint);
    String version = sites.putUpstream(site, JSON.writeValueAsString(values));
    sites.createNamespace(site, Naming.OPT_IN_VALUE);
    awaitSecret(site, values, version);
    return site;
  }

  private static void awaitSecret(String site, Map<String, String> values, String version) {
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(s).as("Secret in " + sites.ns(site)).isNotNull();
      assertThat(Sites.decoded(s)).isEqualTo(values);
      assertThat(s.getMetadata().getAnnotations()).containsEntry(sites.naming.versionAnnotation(), version);
    });
  }

  private static JsonNode json(CliRun r) throws IOException {
    return JSON.readTree(r.out());
  }

  // ---- tests ---------------------------------------------------------------------------------

  @Test
  void setAndUnsetReachTheSecretInSecondsAndRecordTheWriter() throws IOException {
    String site = syncedSite("env-set", Map.of("TOKEN", "t1", "CANARY", CANARY));
    String read = sites.currentVersion(site);

    CliRun dry = env("set", site, "API_URL=@" + file("https://api." + CANARY), "--dry-run");
    assertThat(dry.exit()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("change: added [API_URL]").contains("dry run: nothing written");
    assertThat(sites.versionStages(site)).containsOnlyKeys(read);

    CliRun set = env("set", sites.ns(site), "API_URL=@" + file("https://api." + CANARY), "--from-env-file",
        file("# rotated\nTOKEN=\"t2-" + CANARY + "\"\n"));
    assertThat(set.exit()).as(set.toString()).isZero();
    String written = sites.currentVersion(site);
    assertThat(set.out()).contains("read: version " + read + ", keys [CANARY, TOKEN]")
        .contains("change: added [API_URL], changed [TOKEN]")
        .contains("written: version " + written + " is current, in place of version " + read)
        .contains("landed: Secret build-secrets in " + sites.ns(site) + " holds version " + written);
    Map<String, String> afterSet = Map.of("TOKEN", "t2-" + CANARY, "CANARY", CANARY, "API_URL", "https://api." + CANARY);
    awaitSecret(site, afterSet, written);
    assertThat(sites.upstreamTags(site))
        .containsEntry("deco.sites/last-written-by", "arn:aws:sts::123456789012:user/moto")
        .containsEntry("deco.sites/last-written-with", "build-secrets-operator env set")
        .containsEntry("deco.sites/last-written-version", written);
    assertThat(sites.versionStages(site).values()).as("no private label left")
        .allSatisfy(l -> assertThat(l).allMatch(x -> x.startsWith("AWS")));

    CliRun refused = env("unset", site, "API_URL", "NEVER_SET");
    assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.out()).contains("not present, nothing to remove: [NEVER_SET]").contains("change: removed [API_URL]")
        .contains("refused: this write removes [API_URL]; give --allow-removal to write it; nothing was written");
    assertThat(sites.currentVersion(site)).isEqualTo(written);

    CliRun unset = env("unset", site, "API_URL", "-o", "json", "--allow-removal");
    assertThat(unset.exit()).as(unset.toString()).isZero();
    JsonNode report = json(unset);
    String removedAt = sites.currentVersion(site);
    assertThat(report.get("status").asText()).isEqualTo("written");
    assertThat(report.get("removed").toString()).isEqualTo("[\"API_URL\"]");
    assertThat(report.get("readVersion").asText()).isEqualTo(written);
    assertThat(report.get("version").asText()).isEqualTo(removedAt);
    assertThat(report.get("sync").asText()).isEqualTo("landed");
    awaitSecret(site, Map.of("TOKEN", "t2-" + CANARY, "CANARY", CANARY), removedAt);

    CliRun list = env("list", site, "-o", "json");
    assertThat(list.exit()).as(list.toString()).isZero();
    assertThat(json(list).get("version").asText()).isEqualTo(removedAt);
    assertThat(json(list).get("keys").toString()).contains("{\"name\":\"TOKEN\",\"bytes\":" + ("t2-" + CANARY).length() + "}");
    CliRun same = env("set", site, "TOKEN=@" + file("t2-" + CANARY));
    assertThat(same.exit()).as(same.toString()).isZero();
    assertThat(same.out()).contains("no key changed").contains("nothing to write");
    assertThat(sites.currentVersion(site)).isEqualTo(removedAt);
    ReliabilityRecord.passed(AREA, "env set (a file, an env file) then env unset on an opted-in site, operator resync 30m",
        "each wrote one version conditional on the version read, tagged with the caller's ARN and the tool, shown by "
            + "key names; the requested sync put it in the Secret (version annotation = version written) before the "
            + "command returned; a removal without --allow-removal and an unchanged value wrote nothing");
  }

  @Test
  void aResultTheOperatorWouldRefuseIsNeverWritten() throws IOException {
    String site = syncedSite("env-invalid", Map.of("TOKEN", CANARY));
    Map<String, List<String>> before = sites.versionStages(site);

    CliRun badKey = env("set", site, "NOT A NAME=@" + file(CANARY));
    assertThat(badKey.exit()).as(badKey.toString()).isEqualTo(1);
    assertThat(badKey.out()).contains("refused: the result breaks the operator's payload rules: key #1 (10 characters, "
        + "sha256 ").contains("is not a valid Secret data key").contains("nothing was written");
    CliRun nul = env("set", site, "NUL=@" + file("a\u0000" + CANARY));
    assertThat(nul.exit()).as(nul.toString()).isEqualTo(1);
    assertThat(nul.out()).contains("key \"NUL\": value contains a NUL character");
    CliRun empty = env("unset", site, "TOKEN", "--allow-removal", "--dry-run");
    assertThat(empty.exit()).as(empty.toString()).isZero();
    CliRun noKeys = env("unset", site, "TOKEN");
    assertThat(noKeys.exit()).isEqualTo(1);
    assertThat(noKeys.out()).contains("the result holds no key ({})");
    CliRun usage = env("set", site, "A=1", CANARY);
    assertThat(usage.exit()).as(usage.toString()).isEqualTo(2);

    assertThat(sites.versionStages(site)).as("nothing written upstream").isEqualTo(before);
    ReliabilityRecord.passed(AREA, "env set with an invalid key name, a value holding NUL, an unset leaving {}, a "
        + "malformed argument", "refused by the operator's own payload rules (key named by position and hash when not "
        + "a valid name) or as a usage error (exit 2), no version written upstream");
  }

  @Test
  void aNamespaceTheOperatorDoesNotDeliverToIsRefusedUnlessForced() throws IOException {
    String site = Sites.fresh("env-off");
    String v1 = sites.putUpstream(site, "{\"A\":\"1\"}");
    sites.createNamespace(site, null);

    CliRun refused = env("set", site, "B=@" + file(CANARY));
    assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.out()).contains("refused: namespace " + sites.ns(site) + " is not opted in (annotation "
        + sites.naming.managedAnnotation() + " is absent): the operator would not deliver this write; nothing was "
        + "written (--force writes anyway)");
    assertThat(sites.currentVersion(site)).isEqualTo(v1);

    CliRun forced = env("set", site, "B=@" + file(CANARY), "--force");
    assertThat(forced.exit()).as(forced.toString()).isZero();
    assertThat(forced.out()).contains("warning: namespace " + sites.ns(site) + " is not opted in")
        .contains("sync: not requested");
    assertThat(sites.currentVersion(site)).isNotEqualTo(v1);
    assertThat(sites.secret(site)).isNull();

    String handMade = Sites.fresh("env-hand-made"); // no upstream key: the operator creates no Secret of its own
    sites.createNamespace(handMade, Naming.OPT_IN_VALUE);
    bed.admin().secrets().inNamespace(sites.ns(handMade)).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("build-secrets").endMetadata().withStringData(Map.of("MINE", CANARY)).build()).create();
    CliRun notOwned = env("set", handMade, "B=@" + file(CANARY));
    assertThat(notOwned.exit()).as(notOwned.toString()).isEqualTo(1);
    assertThat(notOwned.out()).contains("refused: Secret build-secrets in " + sites.ns(handMade) + " is hand-made "
        + "(not-owned): the operator leaves it alone until it is adopted (see adopt)");

    String created = Sites.fresh("env-new");
    sites.createNamespace(created, Naming.OPT_IN_VALUE);
    CliRun create = env("set", created, "FIRST=@" + file(CANARY));
    assertThat(create.exit()).as(create.toString()).isZero();
    assertThat(create.out()).contains("read: the key does not exist: it will be created");
    awaitSecret(created, Map.of("FIRST", CANARY), sites.currentVersion(created));
    ReliabilityRecord.passed(AREA, "env set on a namespace that is not opted in, then with --force; on a site whose "
        + "Secret is hand-made; on a site without a key", "refused naming the annotation or the hand-made Secret, nothing "
        + "written; --force wrote upstream only and requested no sync; a missing key was created and delivered");
  }

  @Test
  void twoWritersRaceAndTheOneThatReadFirstWritesNothing() throws Exception {
    String site = syncedSite("env-race", Map.of("TOKEN", "t1"));
    String read = sites.currentVersion(site);
    String[] winner = new String[1];
    String winnerValue = file("w-" + CANARY), loserValue = file("l-" + CANARY);
    // The loser has read (call 1); its staged PutSecretValue (call 2) hangs while the winner writes.
    CliRun loser = CliRun.whileUpstreamHangs(bed.motoUrl(), 2, () -> {
      CliRun win = env("set", site, "WINNER=@" + winnerValue);
      assertThat(win.exit()).as(win.toString()).isZero();
      winner[0] = sites.currentVersion(site);
    }, proxy -> env(proxy, "set", site, "LOSER=@" + loserValue, "--aws-call-timeout=90s"));

    assertThat(loser.exit()).as(loser.toString()).isEqualTo(1);
    assertThat(loser.out()).contains("read: version " + read)
        .contains("conflict: upstream key " + sites.key(site) + " was written by someone else since it was read "
            + "(version " + winner[0] + " is current now); that write stays current and yours was not made: run the "
            + "command again to apply your change to the current value");
    assertThat(sites.currentVersion(site)).isEqualTo(winner[0]);
    Map<String, List<String>> stages = sites.versionStages(site);
    assertThat(stages).containsEntry(winner[0], List.of("AWSCURRENT")).containsEntry(read, List.of("AWSPREVIOUS"));
    assertThat(stages.values()).as("the loser's staged version keeps no label: nothing reads it")
        .allSatisfy(l -> assertThat(l).allMatch(x -> x.startsWith("AWS")));
    awaitSecret(site, Map.of("TOKEN", "t1", "WINNER", "w-" + CANARY), winner[0]);

    CliRun again = env("set", site, "LOSER=@" + loserValue);
    assertThat(again.exit()).as(again.toString()).isZero();
    awaitSecret(site, Map.of("TOKEN", "t1", "WINNER", "w-" + CANARY, "LOSER", "l-" + CANARY), sites.currentVersion(site));
    ReliabilityRecord.passed(AREA, "two env set race: one is held between its read and its write while the other "
        + "writes", "the held one's AWSCURRENT move from the version it read failed: exit 1 naming the concurrent write "
        + "and the version now current, the winner's value stayed current, no private label left; run again, it "
        + "applied on top");
  }

  @Test
  void historyNamesKeysPerVersionAndRollbackReturnsTheSecretToAnEarlierVersion() throws IOException {
    String site = syncedSite("env-history", Map.of("A", "1-" + CANARY, "B", "b"));
    String v1 = sites.currentVersion(site);
    assertThat(env("set", site, "A=@" + file("2-" + CANARY), "C=@" + file("c"), "--no-sync").exit()).isZero();
    String v2 = sites.currentVersion(site);
    assertThat(env("unset", site, "B", "--allow-removal", "--no-sync").exit()).isZero();
    String v3 = sites.currentVersion(site);

    CliRun history = env("history", site, "-o", "json");
    assertThat(history.exit()).as(history.toString()).isZero();
    JsonNode versions = json(history).get("versions");
    assertThat(versions).extracting(v -> v.get("version").asText()).containsExactly(v3, v2, v1);
    assertThat(versions.get(0).get("stages").toString()).isEqualTo("[\"AWSCURRENT\"]");
    assertThat(versions.get(0).get("change").asText()).isEqualTo("removed [B]");
    assertThat(versions.get(1).get("change").asText()).isEqualTo("added [C], changed [A]");
    assertThat(versions.get(2).get("change").asText()).isEqualTo("added [A, B]");
    CliRun table = env("history", sites.ns(site));
    assertThat(table.out()).startsWith("VERSION").contains(v3).contains("AWSCURRENT").contains("removed [B]");

    CliRun previous = env("rollback", site, "--previous");
    assertThat(previous.exit()).as(previous.toString()).isZero();
    assertThat(previous.out()).contains("change: added [B]").contains("written: version " + v2 + " is current again, "
        + "in place of version " + v3).contains("landed");
    awaitSecret(site, Map.of("A", "2-" + CANARY, "B", "b", "C", "c"), v2);

    CliRun refused = env("rollback", site, "--to", v1);
    assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.out()).contains("refused: this write removes [C]");
    CliRun first = env("rollback", site, "--to", v1, "--allow-removal", "-o", "json");
    assertThat(first.exit()).as(first.toString()).isZero();
    assertThat(json(first).get("version").asText()).isEqualTo(v1);
    assertThat(sites.currentVersion(site)).isEqualTo(v1);
    awaitSecret(site, Map.of("A", "1-" + CANARY, "B", "b"), v1);
    assertThat(sites.versionStages(site)).hasSize(3);
    ReliabilityRecord.passed(AREA, "env history after three writes, then env rollback --previous and --to the first "
        + "version", "history listed the versions newest first with labels and the key names each added, changed or "
        + "removed; each rollback moved AWSCURRENT conditionally (no new version), the Secret took the earlier data "
        + "and its version annotation names that version; a rollback removing keys needed --allow-removal");
  }

  @Test
  void aRollbackRacingAWriteWritesNothing() throws Exception {
    String site = syncedSite("env-rollback-race", Map.of("A", "1"));
    String v1 = sites.currentVersion(site);
    assertThat(env("set", site, "A=@" + file("2-" + CANARY), "--no-sync").exit()).isZero();
    String v2 = sites.currentVersion(site);
    String[] meanwhile = new String[1];
    // Calls 1-3 list the two versions and read them; the move (call 4) hangs while another writer stores one.
    CliRun rollback = CliRun.whileUpstreamHangs(bed.motoUrl(), 4, () -> meanwhile[0] = sites.putUpstream(site,
        "{\"A\":\"3-" + CANARY + "\"}"), proxy -> env(proxy, "rollback", site, "--to", v1, "--aws-call-timeout=90s"));
    assertThat(rollback.exit()).as(rollback.toString()).isEqualTo(1);
    assertThat(rollback.out()).contains("read: version " + v2 + " is current")
        .contains("conflict: upstream key " + sites.key(site) + " was written by someone else since it was read (version "
            + meanwhile[0] + " is current now)");
    assertThat(sites.currentVersion(site)).isEqualTo(meanwhile[0]);
    ReliabilityRecord.passed(AREA, "env rollback while another writer stores a new version between its read and its "
        + "move", "the conditional AWSCURRENT move failed: exit 1 naming the concurrent write, the other write stayed "
        + "current");
  }

  @Test
  void doctorAsEditorChecksWhatEnvNeedsAsThisIdentity() throws IOException {
    String site = syncedSite("env-doctor", Map.of("TOKEN", CANARY));
    CliRun r = cli(Map.of(), "doctor", "--site", site, "--as-editor");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("OK    RBAC: patch namespaces named " + sites.ns(site))
        .contains("OK    RBAC: get secrets named build-secrets in namespace " + sites.ns(site))
        .contains("OK    AWS identity: arn:aws:sts::123456789012:user/moto")
        .contains("OK    upstream key " + sites.key(site) + ": readable (GetSecretValue), version "
            + sites.currentVersion(site))
        .contains("OK    versions of " + sites.key(site) + ": 1 listed and read")
        .contains("Not tried (only a write could tell): secretsmanager:PutSecretValue")
        .doesNotContain("FAIL")
        .doesNotContain("RBAC: create coordination.k8s.io/leases");
    assertThat(cli(Map.of(), "doctor", "--as-editor").exit()).as("--as-editor needs --site").isEqualTo(2);
  }
}
