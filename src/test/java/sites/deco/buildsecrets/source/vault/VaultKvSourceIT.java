package sites.deco.buildsecrets.source.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.testbed.TestBed;
import sites.deco.buildsecrets.testbed.VaultAdmin;

/**
 * The Vault source against a real Vault dev server (built from v1.14.1 by dev/build-vault) whose
 * Kubernetes auth asks the test bed's kube-apiserver (TokenReview) about a real ServiceAccount
 * token. No mocks: every answer below is Vault's own.
 */
class VaultKvSourceIT {
  private static Map<String, String> env;
  private static VaultAdmin admin;
  private static String run;

  @TempDir Path tmp;

  @BeforeAll
  static void vault() {
    env = TestBed.withVault().vaultEnv();
    admin = new VaultAdmin(env);
    run = UUID.randomUUID().toString().substring(0, 8);
  }

  private static VaultSettings settings(String mount, String role, Path tokenPath) {
    return new VaultSettings(URI.create(env.get("VAULT_ADDR")), mount, role, "kubernetes", null,
        Path.of(env.get("VAULT_CACERT")), tokenPath, Duration.ofSeconds(5));
  }

  private static VaultKvSource source(String mount, String role) {
    return source(settings(mount, role, Path.of(env.get("BUILD_SECRETS_VAULT_TOKEN_PATH"))), null);
  }

  private static VaultKvSource source(VaultSettings s, VaultKvSource.CallListener listener) {
    return VaultKvSource.open(s, new TokenBucket(100, 100), listener);
  }

  private static VaultKvSource operator() {
    return source("secret", env.get("BUILD_SECRETS_VAULT_ROLE"));
  }

  private static String key(String what) {
    return "sites/vault-" + run + "-" + what + "/build";
  }

  @Test
  void aKeyWithStringValuesIsFoundWithItsVersion() throws Exception {
    admin.put(key("found"), Map.of("TOKEN", "t-1", "URL", "https://example.test"));
    try (VaultKvSource source = operator()) {
      Upstream answer = source.read(key("found"));
      assertThat(answer).isInstanceOf(Upstream.Found.class);
      Upstream.Found found = (Upstream.Found) answer;
      assertThat(found.data().keys()).containsExactly("TOKEN", "URL");
      assertThat(found.data().base64().get("TOKEN"))
          .isEqualTo(Base64.getEncoder().encodeToString("t-1".getBytes(StandardCharsets.UTF_8)));
      assertThat(found.version()).isEqualTo("1");
      admin.put(key("found"), Map.of("TOKEN", "t-2"));
      Upstream.Found next = (Upstream.Found) source.read(key("found"));
      assertThat(next.version()).isEqualTo("2");
      assertThat(next.data().keys()).containsExactly("TOKEN");
    }
  }

  @Test
  void anAbsentKeyIsMissingNotFound() throws Exception {
    try (VaultKvSource source = operator()) {
      assertThat(source.read(key("absent"))).isEqualTo(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
    }
  }

  @Test
  void aSoftDeletedCurrentVersionIsMissingAndRestorable() throws Exception {
    admin.put(key("soft"), Map.of("A", "1"));
    admin.softDelete(key("soft"));
    try (VaultKvSource source = operator()) {
      assertThat(source.read(key("soft")))
          .isEqualTo(new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION));
    }
  }

  @Test
  void aDestroyedCurrentVersionIsMissing() throws Exception {
    admin.put(key("destroyed"), Map.of("A", "1"));
    admin.destroyCurrent(key("destroyed"));
    try (VaultKvSource source = operator()) {
      assertThat(source.read(key("destroyed"))).isInstanceOf(Upstream.Missing.class);
    }
  }

  @Test
  void aKeyWhoseMetadataIsDeletedIsMissingNotFound() throws Exception {
    admin.put(key("purged"), Map.of("A", "1"));
    admin.deleteAll(key("purged"));
    try (VaultKvSource source = operator()) {
      assertThat(source.read(key("purged"))).isEqualTo(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
    }
  }

  @Test
  void aNonStringValueIsInvalidByThePayloadRules() throws Exception {
    admin.put(key("number"), Map.of("PORT", 8080));
    admin.put(key("nested"), Map.of("A", Map.of("b", "c")));
    admin.put(key("badkey"), Map.of("not valid!", "x"));
    try (VaultKvSource source = operator()) {
      assertThat(source.read(key("number"))).isInstanceOfSatisfying(Upstream.Invalid.class,
          i -> assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE));
      assertThat(source.read(key("nested"))).isInstanceOfSatisfying(Upstream.Invalid.class,
          i -> assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE));
      assertThat(source.read(key("badkey"))).isInstanceOfSatisfying(Upstream.Invalid.class,
          i -> assertThat(i.rule()).isEqualTo(PayloadRule.INVALID_KEY));
    }
  }

  @Test
  void aMountThatDoesNotExistIsAnErrorNeverMissing() {
    admin.put(key("mount"), Map.of("A", "1"));
    try (VaultKvSource source = source("no-such-mount", env.get("BUILD_SECRETS_VAULT_ROLE"))) {
      assertThatThrownBy(() -> source.read(key("mount"))).isInstanceOf(SourceException.class);
      assertThatThrownBy(() -> source.read(key("absent-in-wrong-mount"))).isInstanceOf(SourceException.class);
    }
  }

  @Test
  void aKvVersion1MountThePolicyAllowsIsAnErrorNeverMissing() {
    // The hardest wrong mount: readable, and a KV v1 read of <mount>/data/<key> answers a plain 404.
    admin.enableKv("bso-kv1", 1);
    admin.policy("bso-kv1-read", "path \"bso-kv1/*\" { capabilities = [\"read\", \"list\"] }");
    String sa = env.get("TESTBED_VAULT_OPERATOR_SERVICE_ACCOUNT");
    admin.role("bso-kv1-" + run, sa, "bso-kv1-read", "10m");
    try (VaultKvSource source = source("bso-kv1", "bso-kv1-" + run)) {
      assertThatThrownBy(() -> source.read(key("kv1"))).isInstanceOfSatisfying(SourceException.class,
          e -> assertThat(e.getMessage()).contains("not a KV version 2 mount"));
    }
  }

  @Test
  void anUnknownRoleIsACredentialsErrorNeverMissing() {
    try (VaultKvSource source = source("secret", "no-such-role-" + run)) {
      assertThatThrownBy(() -> source.read(key("absent"))).isInstanceOfSatisfying(SourceException.class,
          e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.CREDENTIALS));
    }
  }

  @Test
  void aRoleBoundToAnotherServiceAccountIsACredentialsError() {
    admin.role("bso-other-sa-" + run, "kube-system/someone-else", env.get("TESTBED_VAULT_POLICY"), "10m");
    try (VaultKvSource source = source("secret", "bso-other-sa-" + run)) {
      assertThatThrownBy(() -> source.read(key("absent"))).isInstanceOfSatisfying(SourceException.class,
          e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.CREDENTIALS));
    }
  }

  @Test
  void aRoleWithoutTheReadPolicyIsDeniedNeverMissing() {
    String sa = env.get("TESTBED_VAULT_OPERATOR_SERVICE_ACCOUNT");
    admin.role("bso-no-read-" + run, sa, "default", "10m");
    admin.put(key("denied"), Map.of("A", "1"));
    try (VaultKvSource source = source("secret", "bso-no-read-" + run)) {
      assertThatThrownBy(() -> source.read(key("denied"))).isInstanceOfSatisfying(SourceException.class,
          e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.ACCESS_DENIED));
      assertThatThrownBy(() -> source.read(key("absent"))).isInstanceOf(SourceException.class);
    }
  }

  @Test
  void aKeyOutsideThePolicyIsDenied() {
    try (VaultKvSource source = operator()) {
      assertThatThrownBy(() -> source.read("elsewhere/" + run)).isInstanceOfSatisfying(SourceException.class,
          e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.ACCESS_DENIED));
    }
  }

  @Test
  void aRevokedTokenIsReplacedByAFreshLogin() throws Exception {
    admin.put(key("revoked"), Map.of("A", "1"));
    try (VaultKvSource source = operator()) {
      assertThat(source.read(key("revoked"))).isInstanceOf(Upstream.Found.class);
      admin.revokeKubernetesLogins();
      assertThat(source.read(key("revoked"))).isInstanceOf(Upstream.Found.class);
    }
  }

  @Test
  void aRevokedTokenWithARejectedServiceAccountTokenIsAnErrorNeverMissing() throws Exception {
    Path token = tmp.resolve("token");
    Files.copy(Path.of(env.get("BUILD_SECRETS_VAULT_TOKEN_PATH")), token);
    try (VaultKvSource source = source(settings("secret", env.get("BUILD_SECRETS_VAULT_ROLE"), token), null)) {
      assertThat(source.read(key("absent"))).isInstanceOf(Upstream.Missing.class);
      admin.revokeKubernetesLogins();
      // An expired or otherwise rejected ServiceAccount token: the TokenReview says no.
      Files.writeString(token, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJl");
      assertThatThrownBy(() -> source.read(key("absent"))).isInstanceOfSatisfying(SourceException.class,
          e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.CREDENTIALS));
      Files.delete(token);
      assertThatThrownBy(() -> source.read(key("absent"))).isInstanceOfSatisfying(SourceException.class,
          e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.CREDENTIALS));
    }
  }

  @Test
  void theTokenIsReplacedBeforeItExpires() throws Exception {
    String sa = env.get("TESTBED_VAULT_OPERATOR_SERVICE_ACCOUNT");
    admin.role("bso-short-" + run, sa, env.get("TESTBED_VAULT_POLICY"), "3s");
    admin.put(key("short"), Map.of("A", "1"));
    AtomicInteger logins = new AtomicInteger();
    AtomicInteger denied = new AtomicInteger();
    VaultKvSource.CallListener listener = (operation, outcome, nanos) -> {
      if (operation.equals("login")) logins.incrementAndGet();
      if (outcome.equals("403")) denied.incrementAndGet();
    };
    try (VaultKvSource source = source(settings("secret", "bso-short-" + run,
        Path.of(env.get("BUILD_SECRETS_VAULT_TOKEN_PATH"))), listener)) {
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
        assertThat(source.read(key("short"))).isInstanceOf(Upstream.Found.class);
        assertThat(logins.get()).isGreaterThanOrEqualTo(3);
      });
      assertThat(denied.get()).as("no read ever used an expired token").isZero();
    }
  }

  @Test
  void vaultNotListeningIsUnreachableNeverMissing() throws IOException {
    int port = TestBed.freePortForDaemon();
    VaultSettings s = new VaultSettings(URI.create("https://127.0.0.1:" + port), "secret",
        env.get("BUILD_SECRETS_VAULT_ROLE"), "kubernetes", null, Path.of(env.get("VAULT_CACERT")),
        Path.of(env.get("BUILD_SECRETS_VAULT_TOKEN_PATH")), Duration.ofSeconds(2));
    try (VaultKvSource source = source(s, null)) {
      assertThatThrownBy(() -> source.read(key("absent"))).isInstanceOfSatisfying(SourceException.class,
          e -> assertThat(e.kind()).isEqualTo(SourceException.Kind.UNREACHABLE));
    }
  }

  @Test
  void doctorChecksPassForTheBedsRoleAndNameTheCapabilities() {
    var checks = VaultEnvironment.checks(settings("secret", env.get("BUILD_SECRETS_VAULT_ROLE"),
        Path.of(env.get("BUILD_SECRETS_VAULT_TOKEN_PATH"))), new TokenBucket(10, 10), key("doctor"));
    assertThat(checks).allSatisfy(c -> assertThat(c.ok()).as(c.what()).isTrue());
    assertThat(checks.get(checks.size() - 1).what()).contains("secret/data/" + key("doctor") + ": read");
  }
}
