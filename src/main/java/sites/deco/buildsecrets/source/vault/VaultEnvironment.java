package sites.deco.buildsecrets.source.vault;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import sites.deco.buildsecrets.source.EnvironmentCheck;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;

/**
 * What the Vault source needs, checked in order for {@code doctor}: Vault answers, the
 * ServiceAccount token file is there, the Kubernetes auth login succeeds, the mount is KV version
 * 2, and the token may read the key's data path ({@code sys/capabilities-self}). Never shows a
 * token.
 */
public final class VaultEnvironment {
  private VaultEnvironment() {}

  /** @param probeKey the upstream key whose capabilities to ask for; null to skip that check */
  public static List<EnvironmentCheck> checks(VaultSettings settings, TokenBucket limit, String probeKey) {
    List<EnvironmentCheck> out = new ArrayList<>();
    try (VaultKvSource source = VaultKvSource.open(settings, limit, null)) {
      String where = "Vault at " + settings.address() + (settings.namespace() == null ? "" : " (namespace "
          + settings.namespace() + ")");
      try {
        out.add(EnvironmentCheck.ok(where + ": reachable, " + source.health()));
      } catch (SourceException e) {
        out.add(EnvironmentCheck.fail(where + ": " + e.getMessage(),
            "check VAULT_ADDR, the network path to Vault, VAULT_CACERT for https, and that Vault is unsealed"));
        return out;
      }
      if (!Files.isReadable(settings.tokenPath())) {
        out.add(EnvironmentCheck.fail("ServiceAccount token: " + settings.tokenPath() + " is not readable",
            "run in a pod with its ServiceAccount token mounted, or point --vault-token-path at a token "
                + "(kubectl create token <serviceaccount>) for a local run"));
        return out;
      }
      String as = "Vault login: auth/" + settings.authPath() + " as role " + settings.role();
      try {
        source.checkLogin();
        out.add(EnvironmentCheck.ok(as));
      } catch (SourceException e) {
        out.add(EnvironmentCheck.fail(as + ": " + e.detail(),
            "bind the role to the operator's ServiceAccount and namespace (vault write auth/" + settings.authPath()
                + "/role/" + settings.role() + " bound_service_account_names=... bound_service_account_namespaces=... "
                + "policies=...), and check the auth method's kubernetes_host and CA (see docs/operations.md)"));
        return out;
      }
      String mount = "Vault mount " + settings.mount() + "/";
      try {
        source.confirmMount();
        out.add(EnvironmentCheck.ok(mount + ": KV version 2"));
      } catch (SourceException e) {
        out.add(EnvironmentCheck.fail(mount + ": " + e.detail(),
            "set --vault-mount (BUILD_SECRETS_VAULT_MOUNT) to the KV version 2 mount holding the keys"));
        return out;
      }
      if (probeKey != null) {
        String what = "Vault policy for " + probeKey;
        try {
          List<String> caps = source.capabilities(probeKey);
          boolean read = caps.get(0).matches(".*: .*\\b(read|root)\\b.*");
          out.add(read
              ? EnvironmentCheck.ok(what + ": " + String.join("; ", caps))
              : EnvironmentCheck.fail(what + ": " + String.join("; ", caps),
                  "grant read on " + settings.mount() + "/data/<key-template> and read, list on "
                      + settings.mount() + "/metadata/<key-template> (see docs/operations.md, Vault policy)"));
        } catch (SourceException e) {
          out.add(EnvironmentCheck.fail(what + ": " + e.getMessage(),
              "allow the token to use sys/capabilities-self (Vault's default policy does)"));
        }
      }
    }
    return out;
  }
}
