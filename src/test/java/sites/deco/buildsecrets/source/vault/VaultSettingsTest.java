package sites.deco.buildsecrets.source.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Settings validation and path building, without a server (VaultKvSourceIT has the real one). */
class VaultSettingsTest {
  private static VaultSettings settings(String addr, String mount, String role) {
    return new VaultSettings(URI.create(addr), mount, role, "/kubernetes/", " ", null,
        VaultSettings.DEFAULT_TOKEN_PATH, Duration.ofSeconds(10));
  }

  @Test
  void mountAndAuthPathLoseTheirSlashesAndABlankNamespaceIsNone() {
    VaultSettings s = settings("https://vault.example:8200/", "/tenants/", "r");
    assertThat(s.mount()).isEqualTo("tenants");
    assertThat(s.authPath()).isEqualTo("kubernetes");
    assertThat(s.namespace()).isNull();
    assertThat(s.api("tenants/data/a")).hasToString("https://vault.example:8200/v1/tenants/data/a");
  }

  @Test
  void aRoleIsRequired() {
    assertThatThrownBy(() -> settings("https://vault:8200", "secret", " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BUILD_SECRETS_VAULT_ROLE");
  }

  @Test
  void theAddressMustBeAnHttpUrl() {
    assertThatThrownBy(() -> settings("vault:8200", "secret", "r"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VAULT_ADDR");
    assertThatThrownBy(() -> settings("ftp://vault:8200", "secret", "r"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VAULT_ADDR");
  }

  @Test
  void aMountCannotClimbOutOfItsPath() {
    assertThatThrownBy(() -> settings("https://vault:8200", "../sys", "r"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--vault-mount");
    assertThatThrownBy(() -> settings("https://vault:8200", "/", "r"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--vault-mount");
  }

  @Test
  void keySegmentsAreEncodedAndSlashesKept() {
    assertThat(VaultKvSource.encodeKey("sites/a b/build")).isEqualTo("sites/a%20b/build");
    assertThat(VaultKvSource.encodeKey("sites/x?y#z/build")).isEqualTo("sites/x%3Fy%23z/build");
  }

  @Test
  void aCaBundleWithoutACertificateIsAConfigurationError(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path empty = java.nio.file.Files.writeString(dir.resolve("ca.pem"), "not a certificate\n");
    VaultSettings s = new VaultSettings(URI.create("https://vault:8200"), "secret", "r", "kubernetes", null, empty,
        VaultSettings.DEFAULT_TOKEN_PATH, Duration.ofSeconds(1));
    assertThatThrownBy(() -> new VaultHttp(s, new sites.deco.buildsecrets.source.TokenBucket(1, 1), null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--vault-ca-cert");
  }
}
