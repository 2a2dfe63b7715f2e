package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.ClientCerts;
import sites.deco.buildsecrets.testbed.GuardedBed;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.TestBed;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

/**
 * {@code adopt} and {@code release}, run from the built jar against a test bed of this class's own
 * (its API server writes an audit log of every Secret write), under the shipped chart's RBAC and
 * admission policies ({@link GuardedBed}), with the operator running beside as the chart's
 * ServiceAccount.
 *
 * <p>Identities keep the audit log readable: the hand-made Secrets and the concurrent edits are a
 * tenant's ({@code tenant-dev}); the CLI runs as a person of the platform team
 * ({@code platform-alice}, bound to exactly docs/adopter-rbac.yaml), with or without the
 * break-glass group the policies name, or as the site provisioner (an opt-in admin) with it; the
 * operator runs as its ServiceAccount. So every Secret write by that ServiceAccount in a namespace
 * is the operator's, and after an adoption there must be none. A refusal by a policy (not by RBAC:
 * authorization runs first) proves docs/adopter-rbac.yaml sufficient. A canary sits in every value
 * and must appear in no output or log.
 */
class AdoptE2EIT {
  private static final String CANARY = "canary-Jq7pX2-adopt-never-prints";
  private static final String PERSON = "platform-alice";
  private static final String PLATFORM_TEAM = "platform-team";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> OUTPUTS = new CopyOnWriteArrayList<>();
  /** Adopted namespace -> the operator's Secret writes there, all made before the adoption. */
  private static final Map<String, List<String>> ADOPTED = new java.util.concurrent.ConcurrentHashMap<>();
  private static PrivateBed bed;
  private static GuardedBed guard;
  /** The operators' ServiceAccounts: this class's, and the bulk run's. */
  private static final java.util.Set<String> OPERATOR_USERS = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static KubernetesClient tenant;
  /** The platform person: docs/adopter-rbac.yaml only. */
  private static Path personKubeconfig;
  /** The same person with the break-glass group too: what adopt needs under the policies. */
  private static Path breakGlassKubeconfig;
  /** The site provisioner (an opt-in admin) with the break-glass group: what adopt --opt-in needs. */
  private static Path optInAdminKubeconfig;
  private static OperatorProcess operator;
  private static int counter;

  @BeforeAll
  static void up() throws Exception {
    bed = PrivateBed.up("adopt-testbed", "--audit");
    guard = new GuardedBed(TestBed.at(bed.dir), "adopt");
    try (InputStream rbac = Files.newInputStream(TestBed.repoRoot().resolve("docs/adopter-rbac.yaml"))) {
      for (HasMetadata o : bed.kube.load(rbac).items()) {
        bed.kube.resource(o).create();
      }
    }
    personKubeconfig = ClientCerts.kubeconfig(bed.env, ClientCerts.mint(bed.env, PERSON, List.of(PLATFORM_TEAM)));
    breakGlassKubeconfig = ClientCerts.kubeconfig(bed.env,
        ClientCerts.mint(bed.env, PERSON, List.of(PLATFORM_TEAM, guard.breakGlassGroup)));
    optInAdminKubeconfig = ClientCerts.kubeconfig(bed.env,
        ClientCerts.mint(bed.env, guard.provisionerName, List.of(PLATFORM_TEAM, guard.breakGlassGroup)));
    tenant = ClientCerts.client(bed.env, ClientCerts.mint(bed.env, "tenant-dev", List.of("system:masters")));
    operator = operatorAs(guard, "adopt-operator");
  }

  /** The operator as {@code g}'s ServiceAccount, with its naming, once the chart's bindings apply. */
  private static OperatorProcess operatorAs(GuardedBed g, String name) {
    await().atMost(Duration.ofSeconds(30)).ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class)
        .until(() -> g.asOperator.namespaces().list().getItems() != null);
    OPERATOR_USERS.add("system:serviceaccount:" + g.namespace + ":" + g.release);
    Map<String, String> env = new HashMap<>(bed.env);
    env.put("KUBECONFIG", ClientCerts.kubeconfig(bed.env, ClientCerts.serviceAccount(g.bed, g.namespace, g.release))
        .toString());
    return OperatorProcess.start(env, name, "--log-format=console", "--log-level=debug",
        "--build-secrets-resync-period=3s", "--deletion-ledger=none",
        "--namespace-prefix=" + g.naming.namespacePrefix(), "--key-template=" + g.naming.keyTemplate()).awaitReady();
  }

  @AfterAll
  static void down() throws Exception {
    try {
      // Several resyncs later, still no operator write in any adopted namespace.
      if (operator != null && !ADOPTED.isEmpty()) {
        assertThat(operator.isAlive()).as(operator.output()).isTrue();
        for (Map.Entry<String, List<String>> e : ADOPTED.entrySet()) {
          assertThat(operatorWrites(e.getKey())).as("operator Secret writes in " + e.getKey() + " after adoption")
              .isEqualTo(e.getValue());
        }
      }
      String base64 = Base64.getEncoder().encodeToString(CANARY.getBytes(StandardCharsets.UTF_8));
      if (operator != null) {
        OUTPUTS.add(operator.output());
      }
      for (String output : OUTPUTS) {
        assertThat(output).doesNotContain(CANARY).doesNotContain(base64);
      }
    } finally {
      if (operator != null) operator.close();
      if (tenant != null) tenant.close();
      if (guard != null) guard.close();
      if (bed != null) bed.close();
    }
  }

  // ---- vocabulary ----------------------------------------------------------------------------

  private static synchronized String fresh(String hint) {
    return hint + "-" + Long.toString(System.nanoTime() % 1_000_000L, 36) + (++counter);
  }

  private static String ns(String site) {
    return guard.sites.ns(site);
  }

  private static String key(String site) {
    return guard.sites.key(site);
  }

  private static void namespace(String name, boolean optedIn) {
    var meta = new NamespaceBuilder().withNewMetadata().withName(name);
    if (optedIn) meta.addToAnnotations("deco.sites/build-secrets-managed", "enabled");
    bed.kube.namespaces().resource(meta.endMetadata().build()).create();
  }

  /** A tenant's hand-made Secret: plain values, or raw bytes, of a given type. */
  private static Secret handMade(String namespace, Map<String, byte[]> values, String type) {
    Map<String, String> data = new TreeMap<>();
    values.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v)));
    return tenant.secrets().inNamespace(namespace).resource(new SecretBuilder()
        .withNewMetadata().withName("build-secrets").withNamespace(namespace)
        .addToLabels("team", "tenant").addToAnnotations("note", "made by hand").endMetadata()
        .withType(type).withData(data).build()).create();
  }

  private static Secret handMade(String namespace, Map<String, String> plain) {
    Map<String, byte[]> bytes = new TreeMap<>();
    plain.forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.UTF_8)));
    return handMade(namespace, bytes, "Opaque");
  }

  private static Secret secret(String namespace) {
    return bed.kube.secrets().inNamespace(namespace).withName("build-secrets").get();
  }

  private static Map<String, String> decoded(Secret s) {
    Map<String, String> out = new TreeMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static boolean owned(Secret s) {
    Map<String, String> l = s.getMetadata().getLabels();
    return l != null && "operator".equals(l.get("deco.sites/managed-by")) && "build-secrets".equals(l.get("deco.sites/feature"));
  }

  private static String version(Secret s) {
    return s.getMetadata().getAnnotations() == null ? null
        : s.getMetadata().getAnnotations().get("deco.sites/build-secrets-version");
  }

  private static String put(String key, String json) {
    try {
      return bed.sm.putSecretValue(r -> r.secretId(key).secretString(json)).versionId();
    } catch (ResourceNotFoundException e) {
      return bed.sm.createSecret(r -> r.name(key).secretString(json)).versionId();
    }
  }

  /** The upstream value as the operator would parse it, or null when the key does not exist. */
  private static Map<String, String> upstream(String key) throws IOException {
    try {
      String json = bed.sm.getSecretValue(r -> r.secretId(key)).secretString();
      Map<String, String> out = new TreeMap<>();
      JSON.readTree(json).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
      return out;
    } catch (ResourceNotFoundException e) {
      return null;
    }
  }

  private static String currentVersion(String key) {
    return bed.sm.getSecretValue(r -> r.secretId(key)).versionId();
  }

  private static int versionCount(String key) {
    return bed.sm.listSecretVersionIds(r -> r.secretId(key)).versions().size();
  }

  /**
   * Runs the jar as the platform person in the break-glass group, with the private bed's AWS
   * environment and the guarded naming, plus {@code env}.
   */
  private static CliRun cli(Map<String, String> env, String... args) {
    Map<String, String> all = new HashMap<>(Map.of("KUBECONFIG", breakGlassKubeconfig.toString()));
    all.putAll(env);
    return cliAs(all, args);
  }

  /** Runs the jar with {@code env} over the private bed's environment and the guarded naming. */
  private static CliRun cliAs(Map<String, String> env, String... args) {
    Map<String, String> all = new HashMap<>(bed.env);
    all.put("BUILD_SECRETS_NAMESPACE_PREFIX", guard.naming.namespacePrefix());
    all.put("BUILD_SECRETS_KEY_TEMPLATE", guard.naming.keyTemplate());
    all.putAll(env);
    return CliRun.of(all, OUTPUTS, 180, args);
  }

  private static Map<String, String> as(Path kubeconfig) {
    return Map.of("KUBECONFIG", kubeconfig.toString());
  }

  private static CliRun cli(String... args) {
    return cli(Map.of(), args);
  }

  /** Successful Secret writes ("verb code") by the operator's identity in {@code namespace}, from the audit log. */
  private static List<String> operatorWrites(String namespace) throws IOException {
    return writes(namespace, OPERATOR_USERS);
  }

  /** The platform identities' Secret writes: the person's, with or without break-glass, or the provisioner's. */
  private static List<String> peopleWrites(String namespace) throws IOException {
    return writes(namespace, java.util.Set.of(PERSON, guard.provisionerName));
  }

  /** Server-side dry runs are left out: they persist nothing. */
  private static List<String> writes(String namespace, java.util.Set<String> users) throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.exists(bed.auditLog())) return out;
    for (String line : Files.readAllLines(bed.auditLog())) {
      if (line.isBlank()) continue;
      JsonNode e;
      try {
        e = JSON.readTree(line);
      } catch (IOException partial) {
        continue;
      }
      JsonNode ref = e.path("objectRef");
      int code = e.path("responseStatus").path("code").asInt();
      if ("ResponseComplete".equals(e.path("stage").asText()) && namespace.equals(ref.path("namespace").asText())
          && "build-secrets".equals(ref.path("name").asText()) && users.contains(e.path("user").path("username").asText())
          && code >= 200 && code < 300 && !e.path("requestURI").asText().contains("dryRun=")) {
        out.add(e.path("verb").asText() + " " + code);
      }
    }
    return out;
  }

  /** Lines in the operator's log saying it found {@code namespace} in sync at {@code version}. */
  private static long inSyncLines(OperatorProcess op, String namespace, String version) {
    Pattern p = Pattern.compile("namespace " + Pattern.quote(namespace) + ": in sync with upstream version "
        + Pattern.quote(version) + "\\b");
    return op.output().lines().filter(l -> p.matcher(l).find()).count();
  }

  /**
   * The operator's next reconcile of each namespace (forced with a fresh upstream read) finds it in
   * sync at {@code versions}, and the audit log shows no Secret write by the operator there.
   */
  private static void operatorFindsInSyncAndWritesNothing(OperatorProcess op, Map<String, String> versions)
      throws IOException {
    operatorFindsInSyncAndWritesNothing(op, versions, List.of());
    for (String n : versions.keySet()) {
      assertThat(peopleWrites(n)).as("the person's writes in " + n).containsExactly("update 200");
    }
  }

  /** The same, where the operator had written {@code earlierWrites} before the adoption (each namespace alike). */
  private static void operatorFindsInSyncAndWritesNothing(OperatorProcess op, Map<String, String> versions,
      List<String> earlierWrites) throws IOException {
    Map<String, Long> before = new HashMap<>();
    versions.forEach((n, v) -> before.put(n, inSyncLines(op, n, v)));
    for (String n : versions.keySet()) {
      bed.kube.namespaces().withName(n).edit(x -> {
        x.getMetadata().getAnnotations().put("deco.sites/build-secrets-sync", Long.toString(System.nanoTime()));
        return x;
      });
    }
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(op.isAlive()).isTrue();
      for (Map.Entry<String, String> e : versions.entrySet()) {
        assertThat(inSyncLines(op, e.getKey(), e.getValue())).as(e.getKey() + " reconciled in sync after the force-sync")
            .isGreaterThan(before.get(e.getKey()));
      }
    });
    for (String n : versions.keySet()) {
      assertThat(operatorWrites(n)).as("operator Secret writes in " + n).isEqualTo(earlierWrites);
      ADOPTED.put(n, earlierWrites);
    }
  }

  private static void assertHandedOver(String namespace, Map<String, String> data, String version) {
    Secret s = secret(namespace);
    assertThat(owned(s)).as(namespace + " labels").isTrue();
    assertThat(version(s)).isEqualTo(version);
    assertThat(decoded(s)).isEqualTo(data);
    assertThat(s.getType()).isEqualTo("Opaque");
    assertThat(s.getMetadata().getLabels()).containsEntry("team", "tenant");
    assertThat(s.getMetadata().getAnnotations()).containsEntry("note", "made by hand");
  }

  private static void assertUntouched(String namespace, Secret before) {
    Secret now = secret(namespace);
    assertThat(now.getMetadata().getResourceVersion()).as(namespace + " resourceVersion").isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(owned(now)).isFalse();
  }

  // ---- tests ---------------------------------------------------------------------------------

  @Test
  void anAbsentKeyIsCreatedTaggedAndTheOperatorWritesNothing() throws Exception {
    String site = fresh("absent");
    namespace(ns(site), true);
    Map<String, String> values = Map.of("TOKEN", CANARY, "MODE", "prod", "EMPTY", "");
    Secret mine = handMade(ns(site), values);

    CliRun dry = cli("adopt", ns(site), "--dry-run");
    assertThat(dry.exit()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("upstream " + key(site) + ": not found")
        .contains("would create " + key(site) + " with keys [EMPTY, MODE, TOKEN]")
        .contains("would add labels deco.sites/managed-by=operator, deco.sites/feature=build-secrets")
        .contains("dry run: nothing written");
    assertThat(upstream(key(site))).isNull();
    assertUntouched(ns(site), mine);

    CliRun r = cli("adopt", ns(site));
    assertThat(r.exit()).as(r.toString()).isZero();
    String version = currentVersion(key(site));
    assertThat(r.out()).contains("upstream: created " + key(site) + " at version " + version)
        .contains("adopted: the Secret is managed at upstream version " + version);
    assertThat(upstream(key(site))).isEqualTo(values);
    DescribeSecretResponse d = bed.sm.describeSecret(x -> x.secretId(key(site)));
    assertThat(d.tags()).extracting(Tag::key, Tag::value).contains(
        org.assertj.core.groups.Tuple.tuple("deco.sites/adopted-from", ns(site) + "/build-secrets"),
        org.assertj.core.groups.Tuple.tuple("deco.sites/created-by", "build-secrets-operator adopt"));
    assertHandedOver(ns(site), values, version);
    assertThat(cli("adopt", ns(site)).out()).contains("already managed by the operator (version " + version + ")");
    operatorFindsInSyncAndWritesNothing(operator, Map.of(ns(site), version));
    ReliabilityRecord.passed("Adoption", "adopt a hand-made Secret whose upstream key is absent",
        "key created with the Secret's data as a JSON object, tagged deco.sites/adopted-from; Secret labelled and "
            + "annotated in one update; dry run wrote nothing; the operator's forced reconcile found it in sync and "
            + "the audit log shows no operator write");
  }

  @Test
  void anEqualKeyIsNotWrittenAndItsVersionBecomesTheAnnotation() throws Exception {
    String site = fresh("equal");
    namespace(ns(site), true);
    Map<String, String> values = Map.of("TOKEN", CANARY, "REGION", "eu");
    handMade(ns(site), values); // before the key exists: the operator beside never creates its own
    String version = put(key(site), "{\"REGION\":\"eu\",\"TOKEN\":\"" + CANARY + "\"}");

    CliRun r = cli("adopt", ns(site));
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains("upstream: no write (it equals the Secret)");
    assertThat(versionCount(key(site))).isEqualTo(1);
    assertHandedOver(ns(site), values, version);
    operatorFindsInSyncAndWritesNothing(operator, Map.of(ns(site), version));
    ReliabilityRecord.passed("Adoption", "adopt a hand-made Secret equal to its upstream key",
        "nothing written upstream; the Secret annotated with upstream's current version; the operator found it in sync "
            + "and wrote nothing (audit log)");
  }

  @Test
  void aDifferentKeyIsRefusedByNameThenEachPreferenceHandsItOver() throws Exception {
    Map<String, String> local = Map.of("SAME", "1", "MINE", CANARY, "BOTH", "local-" + CANARY);
    String upstreamJson = "{\"SAME\":\"1\",\"THEIRS\":\"" + CANARY + "\",\"BOTH\":\"upstream-" + CANARY + "\"}";
    Map<String, String> upstreamValues = Map.of("SAME", "1", "THEIRS", CANARY, "BOTH", "upstream-" + CANARY);
    String a = fresh("prefer-upstream");
    String b = fresh("prefer-local");
    Map<String, String> versions = new TreeMap<>();
    for (String site : List.of(a, b)) {
      namespace(ns(site), true);
      Secret mine = handMade(ns(site), local); // before the key exists, as above
      put(key(site), upstreamJson);
      CliRun refused = cli("adopt", ns(site));
      assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
      assertThat(refused.out()).contains("refused: upstream " + key(site) + " differs from the Secret: keys only "
          + "upstream [THEIRS], only in the Secret [MINE], with different values [BOTH]");
      assertUntouched(ns(site), mine);
      assertThat(versionCount(key(site))).isEqualTo(1);
    }
    CliRun json = cli("adopt", ns(a), "--dry-run", "-o", "json");
    assertThat(json.exit()).as(json.toString()).isEqualTo(1);
    JsonNode row = JSON.readTree(json.out()).get("results").get(0);
    assertThat(row.get("result").asText()).isEqualTo("refused");
    assertThat(row.get("keysOnlyUpstream").toString()).isEqualTo("[\"THEIRS\"]");
    assertThat(row.get("keysOnlyInSecret").toString()).isEqualTo("[\"MINE\"]");
    assertThat(row.get("keysDiffering").toString()).isEqualTo("[\"BOTH\"]");

    String upstreamVersion = currentVersion(key(a));
    CliRun dry = cli("adopt", ns(a), "--prefer=upstream", "--dry-run");
    assertThat(dry.exit()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("data takes upstream's value: added [THEIRS], removed [MINE], changed [BOTH]");
    CliRun up = cli("adopt", ns(a), "--prefer=upstream");
    assertThat(up.exit()).as(up.toString()).isZero();
    assertHandedOver(ns(a), upstreamValues, upstreamVersion);
    assertThat(versionCount(key(a))).isEqualTo(1);
    versions.put(ns(a), upstreamVersion);

    CliRun mine = cli("adopt", ns(b), "--prefer=local");
    assertThat(mine.exit()).as(mine.toString()).isZero();
    String newVersion = currentVersion(key(b));
    assertThat(versionCount(key(b))).isEqualTo(2);
    assertThat(mine.out()).contains("upstream: stored version " + newVersion);
    assertThat(upstream(key(b))).isEqualTo(local);
    assertHandedOver(ns(b), local, newVersion);
    versions.put(ns(b), newVersion);
    operatorFindsInSyncAndWritesNothing(operator, versions);
    ReliabilityRecord.passed("Adoption", "adopt when upstream holds a different value",
        "refused without --prefer, naming the differing keys only; --prefer=upstream: the Secret took upstream's value "
            + "and version; --prefer=local: upstream got a new version with the Secret's data; the operator wrote nothing");
  }

  @Test
  void aKeyScheduledForDeletionIsRefused() throws Exception {
    String site = fresh("scheduled");
    put(key(site), "{\"TOKEN\":\"" + CANARY + "\"}");
    bed.sm.deleteSecret(r -> r.secretId(key(site)).recoveryWindowInDays(7L));
    // Opted in only once the key is scheduled: the operator beside must never find it present and
    // create its own Secret before the tenant's hand-made one.
    namespace(ns(site), true);
    Secret mine = handMade(ns(site), Map.of("TOKEN", CANARY));
    for (String prefer : List.of("--prefer=local", "--prefer=upstream")) {
      CliRun r = cli("adopt", ns(site), prefer);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(r.out()).contains("refused: upstream " + key(site) + " is scheduled for deletion")
          .contains("restore-secret --secret-id " + key(site));
    }
    assertUntouched(ns(site), mine);
    ReliabilityRecord.passed("Adoption", "adopt when the upstream key is scheduled for deletion",
        "refused with the restore command, whatever --prefer says; the Secret untouched");
  }

  @Test
  void secretsBreakingAPayloadRuleAreRefusedNamingTheKeyAndRule() throws Exception {
    String binary = fresh("binary");
    namespace(ns(binary), true);
    Map<String, byte[]> bytes = new TreeMap<>();
    bytes.put("TOKEN", CANARY.getBytes(StandardCharsets.UTF_8));
    bytes.put("KEYSTORE", new byte[] {(byte) 0xfe, (byte) 0xed, (byte) 0xfe, (byte) 0xed, 0, 0, 0, 2});
    Secret binarySecret = handMade(ns(binary), bytes, "Opaque");

    String typed = fresh("typed");
    namespace(ns(typed), true);
    Secret typedSecret = handMade(ns(typed), Map.of("username", "u".getBytes(StandardCharsets.UTF_8),
        "password", CANARY.getBytes(StandardCharsets.UTF_8)), "kubernetes.io/basic-auth");

    String nul = fresh("nul");
    namespace(ns(nul), true);
    Secret nulSecret = handMade(ns(nul), Map.of("TOKEN", CANARY, "CUT", "a\u0000b"));

    // A real API server refuses an invalid key in a Secret itself; upstream can hold one.
    String badKey = fresh("badkey");
    namespace(ns(badKey), true);
    put(key(badKey), "{\"bad key\":\"" + CANARY + "\"}");
    Secret badKeySecret = handMade(ns(badKey), Map.of("TOKEN", CANARY));

    CliRun r1 = cli("adopt", ns(binary));
    assertThat(r1.exit()).as(r1.toString()).isEqualTo(1);
    assertThat(r1.out()).contains("refused: key \"KEYSTORE\": value is not UTF-8 text (binary data)");
    CliRun r2 = cli("adopt", ns(typed));
    assertThat(r2.exit()).as(r2.toString()).isEqualTo(1);
    assertThat(r2.out()).contains("refused: Secret: type is \"kubernetes.io/basic-auth\"; the operator writes type Opaque only");
    CliRun r3 = cli("adopt", ns(nul));
    assertThat(r3.exit()).as(r3.toString()).isEqualTo(1);
    assertThat(r3.out()).contains("refused: key \"CUT\": value contains a NUL character");
    CliRun r4 = cli("adopt", ns(badKey), "--prefer=upstream");
    assertThat(r4.exit()).as(r4.toString()).isEqualTo(1);
    assertThat(r4.out()).containsPattern(java.util.regex.Pattern.quote("refused: upstream " + key(badKey)
        + " holds an invalid payload (key #1 (7 characters, sha256 ") + "[0-9a-f]{8}\\): is not a valid Secret data key")
        .doesNotContain("bad key");

    assertUntouched(ns(binary), binarySecret);
    assertUntouched(ns(typed), typedSecret);
    assertUntouched(ns(nul), nulSecret);
    assertUntouched(ns(badKey), badKeySecret);
    for (String site : List.of(binary, typed, nul)) {
      assertThat(upstream(key(site))).as("nothing created upstream for " + site).isNull();
      assertThat(peopleWrites(ns(site))).isEmpty();
    }
    ReliabilityRecord.passed("Adoption", "adopt refusals: binary data, a non-Opaque type, a NUL value, an invalid key",
        "each refused with the key and the rule (the invalid key read from upstream: the API server refuses one in a "
            + "Secret); nothing written anywhere");
  }

  @Test
  void aNamespaceNotOptedInNeedsOptInWhichIsSetBeforeTheHandOver() throws Exception {
    String site = fresh("optin");
    namespace(ns(site), false);
    Map<String, String> values = Map.of("TOKEN", CANARY);
    Secret mine = handMade(ns(site), values);
    CliRun refused = cli("adopt", ns(site));
    assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.out()).contains("not opted in").contains("--opt-in");
    assertUntouched(ns(site), mine);
    assertThat(upstream(key(site))).isNull();

    CliRun all = cli("adopt", "--all", "--dry-run");
    assertThat(all.err()).containsPattern("\\d+ site namespace\\(s\\) that are not opted in hold a hand-made build-secrets");
    assertThat(all.out()).doesNotContain(ns(site));

    // Break-glass alone may label, but not opt in: the opt-in's dry run is refused before any write.
    CliRun notAdmin = cli("adopt", ns(site), "--opt-in");
    assertThat(notAdmin.exit()).as(notAdmin.toString()).isEqualTo(1);
    assertThat(notAdmin.out()).contains("refused: opting the namespace in was refused (server-side dry run): kube API "
        + "answered HTTP 403").contains(guard.policy("opt-in-identity")).contains("only the opt-in admins")
        .contains("nothing was written anywhere");
    assertThat(bed.kube.namespaces().withName(ns(site)).get().getMetadata().getAnnotations())
        .doesNotContainKey("deco.sites/build-secrets-managed");
    assertThat(upstream(key(site))).as("no key created").isNull();
    assertUntouched(ns(site), mine);

    CliRun r = cli(as(optInAdminKubeconfig), "adopt", ns(site), "--opt-in");
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains("namespace: set deco.sites/build-secrets-managed=enabled");
    assertThat(bed.kube.namespaces().withName(ns(site)).get().getMetadata().getAnnotations())
        .containsEntry("deco.sites/build-secrets-managed", "enabled");
    String version = currentVersion(key(site));
    assertHandedOver(ns(site), values, version);
    operatorFindsInSyncAndWritesNothing(operator, Map.of(ns(site), version));
    ReliabilityRecord.passed("Adoption", "adopt in a namespace that is not opted in",
        "refused without --opt-in (the operator would delete a managed Secret there); with it, as a break-glass member "
            + "who is no opt-in admin, the opt-in's server-side dry run got HTTP 403 and nothing was written; as an "
            + "opt-in admin in the break-glass group, the annotation is set before the Secret is labelled, and the "
            + "operator wrote nothing");
  }

  /**
   * Runs {@code adopt} through a fault proxy in front of Secrets Manager whose requests from the
   * {@code hangFrom}th on hang; once one hangs, runs {@code meanwhile}, then lets them through (the
   * hung one loses its connection and the SDK retries it).
   */
  private static CliRun adoptWhileUpstreamHangs(int hangFrom, Runnable meanwhile, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--aws-call-timeout=90s");
    return CliRun.whileUpstreamHangs(bed.env.get("TESTBED_MOTO_URL"), hangFrom, meanwhile,
        env -> cli(env, all.toArray(String[]::new)));
  }

  private static void tenantEdits(String namespace, java.util.function.UnaryOperator<Secret> edit) {
    tenant.secrets().inNamespace(namespace).withName("build-secrets").edit(edit);
  }

  @Test
  void anEditBeforeTheDryRunAbortsTheAdoptionWithNothingWritten() throws Exception {
    String site = fresh("race");
    namespace(ns(site), true);
    Secret mine = handMade(ns(site), Map.of("TOKEN", CANARY));
    // The first request (the upstream read) hangs: adopt has read the Secret, then the tenant edits it.
    CliRun r = adoptWhileUpstreamHangs(1, () -> tenantEdits(ns(site), s -> {
      s.getData().put("EXTRA", Base64.getEncoder().encodeToString("added meanwhile".getBytes(StandardCharsets.UTF_8)));
      return s;
    }), "adopt", ns(site));
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).contains("aborted: the Secret changed since it was read (kube API answered HTTP 409")
        .contains("nothing was written anywhere");
    assertThat(upstream(key(site))).as("the dry run caught the edit before any upstream write").isNull();
    Secret after = secret(ns(site));
    assertThat(owned(after)).isFalse();
    assertThat(version(after)).isNull();
    assertThat(decoded(after)).containsOnlyKeys("TOKEN", "EXTRA");
    assertThat(after.getMetadata().getResourceVersion()).isNotEqualTo(mine.getMetadata().getResourceVersion());
    assertThat(peopleWrites(ns(site))).isEmpty();

    // Run again: it reads the edited Secret and hands it over whole.
    CliRun again = cli("adopt", ns(site));
    assertThat(again.exit()).as(again.toString()).isZero();
    String version = currentVersion(key(site));
    assertThat(upstream(key(site))).containsOnlyKeys("TOKEN", "EXTRA");
    assertThat(decoded(secret(ns(site)))).containsOnlyKeys("TOKEN", "EXTRA");
    operatorFindsInSyncAndWritesNothing(operator, Map.of(ns(site), version));
    ReliabilityRecord.passed("Adoption", "a tenant edits the Secret while adopt waits on a slow upstream read",
        "the server-side dry run carrying the resourceVersion read got HTTP 409: adoption aborted before any upstream "
            + "write and said so, the edit kept, no label, no key; a second run handed the edited Secret over and the "
            + "operator wrote nothing");
  }

  @Test
  void anEditAfterTheUpstreamWriteSaysWhatIsLeftAndARerunOnlyLabels() throws Exception {
    String site = fresh("late-race");
    namespace(ns(site), true);
    Map<String, String> values = Map.of("TOKEN", CANARY);
    handMade(ns(site), values);
    // The read and the dry run pass; CreateSecret hangs while the tenant touches the Secret's metadata.
    CliRun r = adoptWhileUpstreamHangs(2, () -> tenantEdits(ns(site), s -> {
      s.getMetadata().getAnnotations().put("touched", "meanwhile");
      return s;
    }), "adopt", ns(site));
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    String version = currentVersion(key(site));
    assertThat(r.out()).contains("aborted: the Secret changed since it was read (kube API answered HTTP 409")
        .contains("nothing was handed over: the Secret stays hand-made; upstream " + key(site)
            + " now holds the Secret's data at version " + version)
        .contains("to finish, run the same adopt command again");
    assertThat(owned(secret(ns(site)))).isFalse();
    assertThat(upstream(key(site))).isEqualTo(values);

    CliRun again = cli("adopt", ns(site));
    assertThat(again.exit()).as(again.toString()).isZero();
    assertThat(again.out()).contains("upstream: no write (it equals the Secret)");
    assertThat(versionCount(key(site))).isEqualTo(1);
    assertHandedOver(ns(site), values, version);
    assertThat(secret(ns(site)).getMetadata().getAnnotations()).containsEntry("touched", "meanwhile");
    operatorFindsInSyncAndWritesNothing(operator, Map.of(ns(site), version));
    ReliabilityRecord.passed("Adoption", "a tenant edits the Secret after adopt's dry run, while the upstream write hangs",
        "the key was created, then the label update got HTTP 409: adopt exited 1 naming the version upstream now "
            + "holds and how to finish; re-running it wrote nothing upstream (one version) and only labelled; the "
            + "operator wrote nothing");
  }

  @Test
  void aRotationBetweenReadAndWriteStaysCurrentAndAdoptAborts() throws Exception {
    String site = fresh("rotation");
    namespace(ns(site), true);
    Secret mine = handMade(ns(site), Map.of("TOKEN", "local-" + CANARY));
    String read = put(key(site), "{\"TOKEN\":\"old-" + CANARY + "\"}");
    String[] rotation = new String[1];
    // The read and the dry run pass; the staged PutSecretValue hangs while a rotation lands.
    CliRun r = adoptWhileUpstreamHangs(2, () -> rotation[0] = put(key(site), "{\"TOKEN\":\"rotated-" + CANARY + "\"}"),
        "adopt", ns(site), "--prefer=local");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).contains("aborted: upstream key " + key(site) + " was written by someone else since it was "
        + "read (version " + rotation[0] + " is current now): that write stays current");
    assertThat(currentVersion(key(site))).as("AWSCURRENT").isEqualTo(rotation[0]);
    assertThat(upstream(key(site))).isEqualTo(Map.of("TOKEN", "rotated-" + CANARY));
    Map<String, List<String>> stages = bed.sm.describeSecret(x -> x.secretId(key(site))).versionIdsToStages();
    assertThat(stages).containsEntry(rotation[0], List.of("AWSCURRENT")).containsEntry(read, List.of("AWSPREVIOUS"));
    assertThat(stages.values()).as("no private label left").allSatisfy(l -> assertThat(l).allMatch(x -> x.startsWith("AWS")));
    assertUntouched(ns(site), mine);
    assertThat(peopleWrites(ns(site))).isEmpty();
    ReliabilityRecord.passed("Adoption", "a rotation lands between adopt --prefer=local's read and its write",
        "the Secret's data went in under a private label, the AWSCURRENT move from the version read failed: the "
            + "rotation stayed current (AWSCURRENT, value), the private label was removed, adopt exited 1 naming a "
            + "concurrent write; the Secret untouched");
  }

  @Test
  void withoutTheBreakGlassGroupAdoptIsRefusedBeforeAnyWrite() throws Exception {
    String absent = fresh("few-rights");
    namespace(ns(absent), true);
    Secret mineAbsent = handMade(ns(absent), Map.of("TOKEN", CANARY));
    String differs = fresh("few-rights-local");
    namespace(ns(differs), true);
    Secret mineDiffers = handMade(ns(differs), Map.of("TOKEN", "local-" + CANARY));
    String upstreamVersion = put(key(differs), "{\"TOKEN\":\"upstream-" + CANARY + "\"}");

    for (String[] args : List.of(new String[] {"adopt", ns(absent), "--dry-run"}, new String[] {"adopt", ns(absent)},
        new String[] {"adopt", ns(differs), "--prefer=local"})) {
      CliRun r = cliAs(as(personKubeconfig), args);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      assertThat(r.out()).contains("refused: the Secret update was refused: kube API answered HTTP 403")
          .contains(guard.policy("managed-secrets")).contains("break-glass group").contains("--as-group replaces your groups")
          .contains("(server-side dry run); nothing was written anywhere");
    }
    assertThat(upstream(key(absent))).as("no key created").isNull();
    assertThat(versionCount(key(differs))).as("no version added").isEqualTo(1);
    assertThat(currentVersion(key(differs))).isEqualTo(upstreamVersion);
    assertThat(upstream(key(differs))).isEqualTo(Map.of("TOKEN", "upstream-" + CANARY));
    assertUntouched(ns(absent), mineAbsent);
    assertUntouched(ns(differs), mineDiffers);
    assertThat(peopleWrites(ns(absent))).isEmpty();
    assertThat(peopleWrites(ns(differs))).isEmpty();

    // The same person in the break-glass group: all done.
    CliRun r = cli("adopt", ns(absent));
    assertThat(r.exit()).as(r.toString()).isZero();
    String version = currentVersion(key(absent));
    assertHandedOver(ns(absent), Map.of("TOKEN", CANARY), version);
    operatorFindsInSyncAndWritesNothing(operator, Map.of(ns(absent), version));
    ReliabilityRecord.passed("Adoption", "adopt as a person bound to docs/adopter-rbac.yaml without the break-glass group",
        "the label update's server-side dry run got HTTP 403 from the managed-secrets policy (RBAC passed): exit 1 "
            + "naming the policy and the group needed, with --dry-run too; no key created, no version added, AWSCURRENT "
            + "unchanged, the Secrets untouched; in the break-glass group, the same person adopted");
  }

  @Test
  void allOverFiftyNamespacesAdoptsTheGoodOnesRefusesTheRestAndSummarises() throws Exception {
    // A release of its own (prefix bulk-sites-, key bulk/sites/{site}/build), so --all sees only these.
    GuardedBed bulkGuard = new GuardedBed(TestBed.at(bed.dir), "bulk");
    String prefix = bulkGuard.naming.namespacePrefix();
    String[] naming = {"--namespace-prefix=" + prefix, "--key-template=" + bulkGuard.naming.keyTemplate()};
    Map<String, String> bulkPerson = as(ClientCerts.kubeconfig(bed.env,
        ClientCerts.mint(bed.env, PERSON, List.of(PLATFORM_TEAM, bulkGuard.breakGlassGroup))));
    Map<String, String> expected = new TreeMap<>(); // namespace -> result
    Map<String, String> reasons = new TreeMap<>();
    for (int i = 0; i < 50; i++) {
      String site = "s" + i;
      String n = prefix + site;
      String k = "bulk/sites/" + site + "/build";
      namespace(n, true);
      Map<String, String> values = Map.of("TOKEN", CANARY + i, "INDEX", Integer.toString(i));
      int refusal = i % 5 == 3 ? (i / 5) % 3 : -1; // 10 refused: 4 binary, 3 non-Opaque, 3 different upstream
      if (refusal == 0) {
        handMade(n, Map.of("TOKEN", "x".getBytes(StandardCharsets.UTF_8), "BLOB", new byte[] {(byte) 0xff, 1}), "Opaque");
        expected.put(n, "refused");
        reasons.put(n, "key \"BLOB\": value is not UTF-8 text");
      } else if (refusal == 1) {
        handMade(n, Map.of("tls.crt", "c".getBytes(StandardCharsets.UTF_8), "tls.key", CANARY.getBytes(StandardCharsets.UTF_8)),
            "kubernetes.io/tls");
        expected.put(n, "refused");
        reasons.put(n, "type is \"kubernetes.io/tls\"");
      } else if (refusal == 2) {
        put(k, "{\"TOKEN\":\"other-" + CANARY + "\",\"INDEX\":\"" + i + "\"}");
        handMade(n, values);
        expected.put(n, "refused");
        reasons.put(n, "with different values [TOKEN]");
      } else {
        if (i % 2 == 0) {
          put(k, JSON.writeValueAsString(new TreeMap<>(values)));
        }
        handMade(n, values);
        expected.put(n, "adopted");
      }
    }
    // One already managed and one not opted in: --all leaves both out.
    namespace(prefix + "managed", true);
    put("bulk/sites/managed/build", "{\"A\":\"b\"}");
    namespace(prefix + "off", false);
    handMade(prefix + "off", Map.of("A", "b"));

    try (bulkGuard; OperatorProcess bulk = operatorAs(bulkGuard, "adopt-bulk-operator")) {
      await().atMost(Duration.ofSeconds(60)).until(() -> secret(prefix + "managed") != null);

      CliRun dry = cli(bulkPerson, "adopt", "--all", "--dry-run", "-o", "json", naming[0], naming[1]);
      assertThat(dry.exit()).as(dry.toString()).isEqualTo(1);
      JsonNode plan = JSON.readTree(dry.out());
      assertThat(plan.get("summary").get("namespaces").asInt()).isEqualTo(50);
      assertThat(plan.get("summary").get("would-adopt").asInt()).isEqualTo(40);
      assertThat(plan.get("summary").get("refused").asInt()).isEqualTo(10);
      assertThat(dry.err()).contains("1 site namespace(s) that are not opted in");
      for (int i = 0; i < 50; i += 2) {
        if (i % 5 != 3) {
          assertThat(versionCount("bulk/sites/s" + i + "/build")).isEqualTo(1);
        }
      }
      assertThat(upstream("bulk/sites/s1/build")).as("dry run creates nothing").isNull();

      long started = System.nanoTime();
      CliRun r = cli(bulkPerson, "adopt", "--all", "--aws-requests-per-second=20", naming[0], naming[1]);
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      assertThat(r.exit()).as(r.toString()).isEqualTo(1);
      List<String> lines = r.out().lines().toList();
      assertThat(lines.get(0)).matches("NAMESPACE +RESULT +UPSTREAM +SECRET +VERSION +REASON");
      assertThat(lines).hasSize(52);
      assertThat(lines.get(51)).isEqualTo("50 namespaces: 40 adopted, 10 refused");
      Map<String, String> versions = new TreeMap<>();
      for (String line : lines.subList(1, 51)) {
        String[] cells = line.split(" {3,}");
        String n = cells[0];
        assertThat(cells[1]).as(line).isEqualTo(expected.get(n));
        if (expected.get(n).equals("adopted")) {
          int i = Integer.parseInt(n.substring((prefix + "s").length()));
          String k = "bulk/sites/s" + i + "/build";
          assertThat(cells[2]).as(line).isEqualTo(i % 2 == 0 ? "none" : "create");
          assertThat(cells[4]).as(line).isEqualTo(currentVersion(k));
          assertHandedOver(n, Map.of("TOKEN", CANARY + i, "INDEX", Integer.toString(i)), currentVersion(k));
          versions.put(n, currentVersion(k));
        } else {
          assertThat(line).as(line).contains(reasons.get(n));
          assertThat(owned(secret(n))).isFalse();
        }
      }
      assertThat(versions).hasSize(40);
      assertThat(owned(secret(prefix + "off"))).isFalse();
      // 40 reads and 20 creates (the refused types are never read) through a 20/s bucket with a burst of 20.
      assertThat(took).as("rate-limited by the token bucket").isGreaterThanOrEqualTo(Duration.ofSeconds(2));
      System.out.println("adopt --all over 50 namespaces took " + took.toMillis() + " ms at 20 requests/s");
      operatorFindsInSyncAndWritesNothing(bulk, versions);
      OUTPUTS.add(bulk.output());
    }
    ReliabilityRecord.passed("Adoption", "adopt --all over 50 site namespaces, 10 of them refused",
        "exit 1; a 50-row table and the summary '40 adopted, 10 refused', each refusal naming its key or rule; a "
            + "managed and a not-opted-in namespace left out; AWS calls rate-limited by the token bucket; the operator "
            + "found all 40 in sync and wrote nothing (audit log)");
  }

  @Test
  void releaseHandsAManagedSecretBackAndTheOperatorLeavesItAlone() throws Exception {
    String site = fresh("release");
    String version = put(key(site), "{\"TOKEN\":\"" + CANARY + "\"}");
    namespace(ns(site), true);
    await().atMost(Duration.ofSeconds(60)).until(() -> secret(ns(site)) != null);
    Secret managed = secret(ns(site));
    assertThat(owned(managed)).isTrue();

    CliRun dry = cli("release", ns(site), "--dry-run");
    assertThat(dry.exit()).as(dry.toString()).isZero();
    assertThat(dry.out()).contains("would remove labels").contains("dry run: nothing written");
    assertThat(secret(ns(site)).getMetadata().getResourceVersion()).isEqualTo(managed.getMetadata().getResourceVersion());

    // Without the break-glass group, the un-label's dry run is refused: the Secret stays managed.
    for (String dryRun : List.of("--dry-run", "--output=text")) {
      CliRun denied = cliAs(as(personKubeconfig), "release", ns(site), dryRun);
      assertThat(denied.exit()).as(denied.toString()).isEqualTo(1);
      assertThat(denied.out()).contains("kube API answered HTTP 403").contains(guard.policy("managed-secrets"))
          .contains("break-glass group").contains("(server-side dry run); nothing was released: the Secret is still managed");
    }
    assertThat(secret(ns(site)).getMetadata().getResourceVersion()).isEqualTo(managed.getMetadata().getResourceVersion());

    CliRun r = cli("release", ns(site));
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains("released: the Secret is hand-made again").contains("stays opted in");
    Secret released = secret(ns(site));
    assertThat(owned(released)).isFalse();
    assertThat(version(released)).isNull();
    assertThat(decoded(released)).isEqualTo(Map.of("TOKEN", CANARY));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
        bed.kube.v1().events().inNamespace(ns(site)).list().getItems().stream()
            .anyMatch(e -> "NotOwned".equals(e.getReason())));
    // Force a fresh look: still no write, and the Secret is as release left it.
    bed.kube.namespaces().withName(ns(site)).edit(x -> {
      x.getMetadata().getAnnotations().put("deco.sites/build-secrets-sync", "after-release");
      return x;
    });
    await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() ->
        secret(ns(site)).getMetadata().getResourceVersion().equals(released.getMetadata().getResourceVersion()));
    assertThat(operatorWrites(ns(site))).as("the operator's writes: its own create, nothing after the release")
        .containsExactly("create 201");
    assertThat(cli("release", ns(site)).out()).contains("not managed by the operator: nothing to do");

    // And back again: adopt the released Secret.
    CliRun again = cli("adopt", ns(site));
    assertThat(again.exit()).as(again.toString()).isZero();
    assertThat(version(secret(ns(site)))).isEqualTo(version);
    operatorFindsInSyncAndWritesNothing(operator, Map.of(ns(site), version), List.of("create 201"));
    ReliabilityRecord.passed("Adoption", "release a managed Secret, then adopt it back",
        "without the break-glass group the un-label's server-side dry run got HTTP 403 (also with --dry-run) and the "
            + "Secret stayed managed; with it, labels and version annotation removed in one update with the "
            + "resourceVersion read, data kept; the operator emitted NotOwned and wrote nothing; adopt handed it back "
            + "at the same upstream version");
  }

  @Test
  void approveDeletionsIsRefusedToAnyoneButADeletionApprover() throws Exception {
    String site = fresh("approve");
    put(key(site), "{\"TOKEN\":\"" + CANARY + "\"}");
    namespace(ns(site), true);
    await().atMost(Duration.ofSeconds(60)).until(() -> secret(ns(site)) != null);
    Secret managed = secret(ns(site));
    // The GitOps bot of the guarded bed: it may patch every Namespace and read Secrets, so RBAC
    // lets its approval through and only the deletion-approvers policy stands in its way.
    Path bot = ClientCerts.kubeconfig(bed.env,
        ClientCerts.mint(bed.env, guard.release + "-gitops", List.of(guard.release + ":bots")));
    for (List<String> args : List.of(List.of("approve-deletions", ns(site), "--dry-run"),
        List.of("approve-deletions", ns(site)))) {
      CliRun refused = cliAs(as(bot), args.toArray(String[]::new));
      assertThat(refused.exit()).as(refused.toString()).isEqualTo(1);
      assertThat(refused.out()).contains(ns(site) + ": refused: you may not approve deletions")
          .contains(guard.policy("deletion-approvers")).contains("only these identities may approve")
          .contains("admissionPolicies.deletionApprovers");
    }
    assertThat(bed.kube.namespaces().withName(ns(site)).get().getMetadata().getAnnotations())
        .doesNotContainKey(Naming.DELETION_APPROVAL_ANNOTATION);

    CliRun approved = cli("approve-deletions", ns(site));
    assertThat(approved.exit()).as(approved.toString()).isZero();
    assertThat(approved.out()).contains(ns(site) + ": approved the removal from Secret build-secrets");
    assertThat(bed.kube.namespaces().withName(ns(site)).get().getMetadata().getAnnotations())
        .containsEntry(Naming.DELETION_APPROVAL_ANNOTATION,
            managed.getMetadata().getUid() + "@" + managed.getMetadata().getResourceVersion());
    ReliabilityRecord.passed("Trust boundaries", "approve-deletions run as a GitOps bot (namespace patch, Secret read) on an "
        + "opted-in site, with and without --dry-run; then as a break-glass member",
        "The bot: exit 1, 'you may not approve deletions' naming the deletion-approvers policy and the chart value, "
            + "no annotation stored; the break-glass member: exit 0, the approval <uid>@<resourceVersion> stored");
  }

  @Test
  void doctorSaysWhetherThisIdentityCouldAdopt() throws Exception {
    String site = fresh("doctor");
    put(key(site), "{\"TOKEN\":\"" + CANARY + "\"}");
    CliRun person = cli("doctor", "--site", site);
    assertThat(person.out()).contains("adopt " + ns(site) + " as this identity")
        .contains("  yes  RBAC: update secrets named build-secrets in namespace " + ns(site))
        .contains("  ?    admission policies (break-glass group to label, opt-in admins for --opt-in)")
        .contains("  yes  AWS: read " + key(site))
        .contains("could adopt: yes");
    Path nobody = ClientCerts.kubeconfig(bed.env, ClientCerts.mint(bed.env, "nobody", List.of("viewers")));
    CliRun denied = cli(Map.of("KUBECONFIG", nobody.toString()), "doctor", "--site", site);
    assertThat(denied.out()).contains("  no   RBAC: update secrets named build-secrets in namespace " + ns(site))
        .contains("could adopt: no, missing");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(cli("adopt").exit()).isEqualTo(2);
    assertThat(cli("adopt", "--all", ns("x")).exit()).isEqualTo(2);
    CliRun notSite = cli("adopt", "kube-system");
    assertThat(notSite.exit()).isEqualTo(2);
    assertThat(notSite.err()).contains("not a site namespace");
    assertThat(cli("adopt", ns("x"), "--prefer=both").exit()).isEqualTo(2);
    assertThat(cli("release").exit()).isEqualTo(2);
    assertThat(cli("adopt", ns("x"), "-o", "yaml").exit()).isEqualTo(2);
  }
}
