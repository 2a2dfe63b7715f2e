package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.CANARY;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.NAMING;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.KeyDiff;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.ManagedMarks;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.Plan;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SyncRules;

/** adopt's checks and decisions: the operator's payload rules, and a hand-over the operator finds in sync. */
class AdoptionTest {
  private static final String KEY = "sites/acme/build";

  private static Secret raw(Map<String, String> base64, String type) {
    return new SecretBuilder()
        .withNewMetadata().withName(NAMING.secretName()).withNamespace("sites-acme").withResourceVersion("9").endMetadata()
        .withType(type).withData(base64).build();
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static Adoption.Local.Valid valid(Map<String, String> plain) {
    Adoption.Local checked = Adoption.check(CliFixtures.handMade(plain));
    assertThat(checked).isInstanceOf(Adoption.Local.Valid.class);
    return (Adoption.Local.Valid) checked;
  }

  private static Adoption.Local.Refused refused(Secret secret) {
    Adoption.Local checked = Adoption.check(secret);
    assertThat(checked).isInstanceOf(Adoption.Local.Refused.class);
    Adoption.Local.Refused r = (Adoption.Local.Refused) checked;
    assertThat(r.describe()).doesNotContain(CliFixtures.leakForms());
    return r;
  }

  /** The operator's rule table on the Secret as adopt leaves it: must be "unchanged", no write. */
  private static Plan operatorSees(SecretData data, String version, Upstream upstream) {
    Secret handedOver = new SecretBuilder(CliFixtures.handMade(Map.of()))
        .editMetadata().withLabels(ManagedMarks.labels(NAMING))
        .withAnnotations(ManagedMarks.annotations(NAMING, version, data)).endMetadata()
        .withData(data.base64()).build();
    SiteRef site = CliFixtures.site("enabled");
    return SyncRules.decide(site, LocalSecret.of(handedOver, NAMING), upstream);
  }

  @Test
  void aValidSecretBecomesTheJsonObjectTheOperatorParsesBackToTheSameData() {
    Map<String, String> plain = Map.of("TOKEN", CANARY, "EMPTY", "", "UNICODE", "žluťoučký kůň 🐎", "QUOTE", "a\"b\\c\n");
    Adoption.Local.Valid v = valid(plain);
    assertThat(v.data()).isEqualTo(SecretData.fromStrings(plain));
    Upstream back = PayloadParser.parse(v.json(), "v1");
    assertThat(back).isEqualTo(new Upstream.Found(SecretData.fromStrings(plain), "v1"));
    assertThat(v.toString()).doesNotContain(CliFixtures.leakForms());
  }

  @Test
  void anEmptySecretIsTheEmptyObject() {
    Adoption.Local.Valid v = valid(Map.of());
    assertThat(v.json()).isEqualTo("{}");
    assertThat(Adoption.check(raw(null, null))).isInstanceOf(Adoption.Local.Valid.class);
  }

  @Test
  void binaryDataIsRefusedNamingTheKey() {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("OK", b64(CANARY.getBytes(StandardCharsets.UTF_8)));
    data.put("BLOB", b64(new byte[] {(byte) 0xff, (byte) 0xfe, 0x00, 0x41}));
    Adoption.Local.Refused r = refused(raw(data, "Opaque"));
    assertThat(r.key().name()).isEqualTo("BLOB");
    assertThat(r.describe()).isEqualTo("key \"BLOB\": " + Adoption.NOT_UTF8);
    // Overlong and surrogate encodings are not UTF-8 either.
    assertThat(refused(raw(Map.of("X", b64(new byte[] {(byte) 0xc0, (byte) 0xaf})), "Opaque")).key().name()).isEqualTo("X");
    assertThat(refused(raw(Map.of("S", b64(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})), "Opaque")).key().name())
        .isEqualTo("S");
  }

  @Test
  void aValueThatIsNotEnvSafeIsRefusedByTheOperatorsOwnRule() {
    Adoption.Local.Refused r = refused(CliFixtures.handMade(Map.of("NUL", CANARY + "\u0000")));
    assertThat(r.key().name()).isEqualTo("NUL");
    assertThat(r.rule()).isEqualTo(PayloadRule.VALUE_NOT_ENV_SAFE.description());
  }

  @Test
  void anInvalidKeyIsRefusedByTheOperatorsOwnRule() {
    // The API server refuses such keys itself; the check still holds for any Secret object.
    Adoption.Local.Refused r = refused(raw(Map.of("bad key", b64("x".getBytes(StandardCharsets.UTF_8))), "Opaque"));
    assertThat(r.key().position()).isEqualTo(1);
    assertThat(r.key().name()).isNull(); // not a valid key: never shown
    assertThat(r.describe()).startsWith("key #1 (7 characters, sha256 ").doesNotContain("bad key");
    assertThat(r.rule()).isEqualTo(PayloadRule.INVALID_KEY.description());
  }

  @Test
  void typesOtherThanOpaqueAndImmutableSecretsAreRefused() {
    Adoption.Local.Refused tls = refused(raw(Map.of(), "kubernetes.io/tls"));
    assertThat(tls.key()).isNull();
    assertThat(tls.describe()).isEqualTo("Secret: type is \"kubernetes.io/tls\"; the operator writes type Opaque only");
    Secret immutable = new SecretBuilder(CliFixtures.handMade(Map.of("A", "b"))).withImmutable(true).build();
    assertThat(refused(immutable).describe()).contains("immutable");
  }

  @Test
  void sizeLimitsAreTheOperatorsAndSecretsManagers() {
    // Over Linux's per-string limit for an environment variable: the operator's rule.
    Adoption.Local.Refused env = refused(CliFixtures.handMade(Map.of("BIG", "x".repeat(PayloadParser.MAX_ENV_ENTRY_BYTES))));
    assertThat(env.key().name()).isEqualTo("BIG");
    assertThat(env.rule()).startsWith(PayloadRule.VALUE_TOO_LONG.description());
    // Within every Kubernetes and environment limit, but over Secrets Manager's 64 KiB per value.
    Adoption.Local.Refused sm = refused(CliFixtures.handMade(Map.of("A", "x".repeat(40_000), "B", "y".repeat(40_000))));
    assertThat(sm.key()).isNull();
    assertThat(sm.rule()).contains("65536-byte limit");
    assertThat(Adoption.check(CliFixtures.handMade(Map.of("A", "x".repeat(65_000))))).isInstanceOf(Adoption.Local.Valid.class);
  }

  @Test
  void aNamespaceNotOptedInIsRefusedWithoutOptIn() {
    String ann = NAMING.managedAnnotation();
    assertThat(Adoption.refuseNamespace(CliFixtures.site(null), false, ann)).contains("not opted in").contains("--opt-in");
    assertThat(Adoption.refuseNamespace(CliFixtures.site("true"), false, ann)).contains("not opted in");
    assertThat(Adoption.refuseNamespace(CliFixtures.site(null), true, ann)).isNull();
    assertThat(Adoption.refuseNamespace(CliFixtures.site("enabled"), false, ann)).isNull();
    SiteRef terminating = new SiteRef("sites-acme", "acme", KEY, "enabled", true, null);
    assertThat(Adoption.refuseNamespace(terminating, true, ann)).contains("being deleted");
  }

  @Test
  void anAbsentKeyIsCreatedAndTheOperatorThenFindsTheSecretInSync() {
    Adoption.Local.Valid local = valid(Map.of("TOKEN", CANARY));
    Adoption.Decision.Proceed p = (Adoption.Decision.Proceed) Adoption.decide(KEY, local,
        new Upstream.Missing(Upstream.MissingReason.NOT_FOUND), null);
    assertThat(p.upstream()).isEqualTo(Adoption.UpstreamAction.CREATE);
    assertThat(p.version()).isNull();
    assertThat(p.secretChange().isEmpty()).isTrue();
    // Upstream now holds local.json() at the version CreateSecret answered.
    Plan next = operatorSees(p.data(), "v-created", PayloadParser.parse(local.json(), "v-created"));
    assertThat(next.outcome()).isEqualTo(Outcome.UNCHANGED);
  }

  @Test
  void anEqualKeyIsNotWrittenAndItsVersionIsTheAnnotation() {
    Adoption.Local.Valid local = valid(Map.of("TOKEN", CANARY, "B", "2"));
    Upstream found = PayloadParser.parse("{\"B\":\"2\",\"TOKEN\":\"" + CANARY + "\"}", "v7");
    Adoption.Decision.Proceed p = (Adoption.Decision.Proceed) Adoption.decide(KEY, local, found, null);
    assertThat(p.upstream()).isEqualTo(Adoption.UpstreamAction.NONE);
    assertThat(p.version()).isEqualTo("v7");
    assertThat(operatorSees(p.data(), p.version(), found).outcome()).isEqualTo(Outcome.UNCHANGED);
  }

  @Test
  void aDifferentKeyIsRefusedNamingKeysOnlyUnlessAPreferenceIsGiven() {
    Adoption.Local.Valid local = valid(Map.of("SAME", "1", "MINE", CANARY, "BOTH", "local-" + CANARY));
    Upstream found = PayloadParser.parse(
        "{\"SAME\":\"1\",\"THEIRS\":\"" + CANARY + "\",\"BOTH\":\"upstream-" + CANARY + "\"}", "v3");
    Adoption.Decision.Refuse refuse = (Adoption.Decision.Refuse) Adoption.decide(KEY, local, found, null);
    assertThat(refuse.reason()).contains("keys only upstream [THEIRS], only in the Secret [MINE], with different values [BOTH]")
        .contains("--prefer=upstream").contains("--prefer=local")
        .doesNotContain(CliFixtures.leakForms());

    Adoption.Decision.Proceed up = (Adoption.Decision.Proceed) Adoption.decide(KEY, local, found, Adoption.Prefer.upstream);
    assertThat(up.upstream()).isEqualTo(Adoption.UpstreamAction.NONE);
    assertThat(up.data()).isEqualTo(((Upstream.Found) found).data());
    assertThat(up.version()).isEqualTo("v3");
    assertThat(up.secretChange()).isEqualTo(new KeyDiff(new java.util.TreeSet<>(List.of("THEIRS")),
        new java.util.TreeSet<>(List.of("MINE")), new java.util.TreeSet<>(List.of("BOTH"))));
    assertThat(operatorSees(up.data(), up.version(), found).outcome()).isEqualTo(Outcome.UNCHANGED);

    Adoption.Decision.Proceed mine = (Adoption.Decision.Proceed) Adoption.decide(KEY, local, found, Adoption.Prefer.local);
    assertThat(mine.upstream()).isEqualTo(Adoption.UpstreamAction.PUT_VALUE);
    assertThat(mine.data()).isEqualTo(local.data());
    assertThat(mine.secretChange().isEmpty()).isTrue();
    assertThat(operatorSees(mine.data(), "v4", PayloadParser.parse(local.json(), "v4")).outcome())
        .isEqualTo(Outcome.UNCHANGED);
  }

  @Test
  void aKeyScheduledForDeletionIsAlwaysRefused() {
    Adoption.Local.Valid local = valid(Map.of("A", "1"));
    for (Adoption.Prefer prefer : new Adoption.Prefer[] {null, Adoption.Prefer.local, Adoption.Prefer.upstream}) {
      Adoption.Decision d = Adoption.decide(KEY, local,
          new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION), prefer);
      assertThat(d).isInstanceOf(Adoption.Decision.Refuse.class);
      assertThat(((Adoption.Decision.Refuse) d).reason()).contains("scheduled for deletion").contains("restore-secret");
    }
  }

  @Test
  void anInvalidUpstreamIsReplacedOnlyWithPreferLocalAndAnUnreadableOneNever() {
    Adoption.Local.Valid local = valid(Map.of("A", "1"));
    Upstream invalid = PayloadParser.parse("{\"bad key\":\"" + CANARY + "\"}", "v1");
    Adoption.Decision.Refuse r = (Adoption.Decision.Refuse) Adoption.decide(KEY, local, invalid, Adoption.Prefer.upstream);
    assertThat(r.reason()).containsPattern("key #1 \\(7 characters, sha256 [0-9a-f]{8}\\): ")
        .contains(PayloadRule.INVALID_KEY.description())
        .contains("which the Secret cannot take").doesNotContain(CANARY).doesNotContain("bad key");
    assertThat(Adoption.decide(KEY, local, invalid, null)).isInstanceOf(Adoption.Decision.Refuse.class);
    Adoption.Decision.Proceed p = (Adoption.Decision.Proceed) Adoption.decide(KEY, local, invalid, Adoption.Prefer.local);
    assertThat(p.upstream()).isEqualTo(Adoption.UpstreamAction.PUT_VALUE);
    Upstream denied = new Upstream.Unreachable(SourceException.Kind.ACCESS_DENIED, "AccessDeniedException (HTTP 400)");
    assertThat(((Adoption.Decision.Refuse) Adoption.decide(KEY, local, denied, Adoption.Prefer.local)).reason())
        .contains("could not be read: access denied");
  }

  @Test
  void theSummaryTableAndJsonCountEveryResultAndNameNoValue() throws Exception {
    KeyDiff diff = KeyDiff.between(SecretData.fromStrings(Map.of("A", CANARY)), SecretData.fromStrings(Map.of("B", "x")));
    List<HandOver> results = List.of(
        new HandOver("sites-a", "a", HandOver.Status.ADOPTED, "create", "label", "v1", null, "already", null, List.of("x")),
        new HandOver("sites-b", "b", HandOver.Status.REFUSED, null, null, null, diff, null, "differs", List.of("y")),
        new HandOver("sites-c", "c", HandOver.Status.ADOPTED, "none", "label", "v2", null, "set", null, List.of("z")));
    String table = HandOverRendering.table(results);
    assertThat(table.lines().toList()).containsExactly(
        "NAMESPACE   RESULT    UPSTREAM   SECRET   VERSION   REASON",
        "sites-a     adopted   create     label    v1        -",
        "sites-b     refused   -          -        -         differs",
        "sites-c     adopted   none       label    v2        -",
        "3 namespaces: 2 adopted, 1 refused");
    String json = HandOverRendering.json(results, false);
    var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    assertThat(tree.get("summary").get("adopted").asInt()).isEqualTo(2);
    assertThat(tree.get("summary").get("refused").asInt()).isEqualTo(1);
    assertThat(tree.get("results").get(1).get("keysOnlyInSecret").get(0).asText()).isEqualTo("A");
    assertThat(tree.get("results").get(1).get("keysOnlyUpstream").get(0).asText()).isEqualTo("B");
    assertThat(json + table + HandOverRendering.details(results)).doesNotContain(CliFixtures.leakForms());
    assertThat(HandOverRendering.details(results)).isEqualTo("sites-a: x\nsites-b: y\nsites-c: z\n");
  }

  @Test
  void doctorsAdoptSectionSaysYesOnlyWhenEveryPermissionIsThere() {
    List<DoctorCheck> allowed = List.of(DoctorCheck.ok("RBAC: get secrets named build-secrets in namespace sites-acme"));
    Upstream found = PayloadParser.parse("{\"A\":\"" + CANARY + "\"}", "v1");
    String yes = DoctorCommand.adoptSection("sites-acme", KEY, allowed, found);
    assertThat(yes).contains("  yes  RBAC: get secrets").contains("could adopt: yes").doesNotContain(CANARY);
    List<DoctorCheck> denied = List.of(DoctorCheck.fail("RBAC: update secrets named build-secrets in namespace sites-acme: denied", "fix"));
    String no = DoctorCommand.adoptSection("sites-acme", KEY, denied, new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
    assertThat(no).contains("  no   RBAC: update secrets").contains("  yes  AWS: read " + KEY)
        .contains("could adopt: no, missing RBAC: update secrets named build-secrets in namespace sites-acme");
    String gone = DoctorCommand.adoptSection("sites-acme", KEY, allowed,
        new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION));
    assertThat(gone).contains("scheduled for deletion").contains("could adopt: no");
    assertThat(DoctorCommand.adoptPermissions(NAMING, "sites-acme")).extracting(DoctorCommand.Permission::verb)
        .containsExactly("get", "patch", "list", "get", "update", "list");
  }
}
