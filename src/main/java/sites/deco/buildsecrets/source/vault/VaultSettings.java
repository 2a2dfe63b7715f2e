package sites.deco.buildsecrets.source.vault;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where and how to reach Vault. Holds no secret: the ServiceAccount token is read from
 * {@code tokenPath} at each login, never kept here.
 *
 * @param address Vault's address ({@code VAULT_ADDR}), e.g. https://vault.example:8200
 * @param mount the KV version 2 mount, without slashes (default {@code secret})
 * @param role the Kubernetes auth role the operator logs in as
 * @param authPath the Kubernetes auth method's mount path (default {@code kubernetes})
 * @param namespace the Vault Enterprise namespace, sent as X-Vault-Namespace; null for none
 * @param caCert a PEM bundle to trust for https; null for the JVM's default trust store
 * @param tokenPath the ServiceAccount token file used to log in
 * @param callTimeout upper bound of one HTTP call to Vault
 */
public record VaultSettings(URI address, String mount, String role, String authPath, String namespace, Path caCert,
    Path tokenPath, Duration callTimeout) {

  public static final String DEFAULT_MOUNT = "secret";
  public static final String DEFAULT_AUTH_PATH = "kubernetes";
  public static final Path DEFAULT_TOKEN_PATH = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  public VaultSettings {
    if (address == null || address.getScheme() == null
        || !(address.getScheme().equals("http") || address.getScheme().equals("https"))
        || address.getHost() == null) {
      throw new IllegalArgumentException("VAULT_ADDR must be an http(s) URL such as https://vault.example:8200, got '"
          + address + "'");
    }
    mount = trimSlashes(mount, "--vault-mount");
    authPath = trimSlashes(authPath, "--vault-auth-path");
    if (role == null || role.isBlank()) {
      throw new IllegalArgumentException("--vault-role (env BUILD_SECRETS_VAULT_ROLE) is required with the vault backend");
    }
    namespace = namespace == null || namespace.isBlank() ? null : namespace.trim();
    if (callTimeout == null || callTimeout.isZero() || callTimeout.isNegative()) {
      throw new IllegalArgumentException("the Vault call timeout must be above 0");
    }
  }

  private static String trimSlashes(String value, String flag) {
    String v = value == null ? "" : value.trim();
    while (v.startsWith("/")) v = v.substring(1);
    while (v.endsWith("/")) v = v.substring(0, v.length() - 1);
    if (v.isEmpty() || v.contains("..") || v.contains("?") || v.contains("#")) {
      throw new IllegalArgumentException(flag + ": '" + value + "' is not a Vault mount path");
    }
    return v;
  }

  /** The base of every API path, e.g. https://vault:8200/v1/ */
  URI api(String path) {
    String base = address.toString();
    while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
    return URI.create(base + "/v1/" + path);
  }
}
