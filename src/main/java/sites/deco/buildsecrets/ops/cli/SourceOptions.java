package sites.deco.buildsecrets.ops.cli;

import java.util.List;
import java.time.Duration;
import picocli.CommandLine.Option;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.source.EnvironmentCheck;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.source.aws.AwsCallMetrics;
import sites.deco.buildsecrets.source.aws.AwsEnvironment;
import sites.deco.buildsecrets.source.aws.AwsSecretsManagerSource;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.UpstreamWriter;
import sites.deco.buildsecrets.source.aws.AwsUpstreamWriter;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.vault.VaultEnvironment;
import sites.deco.buildsecrets.source.vault.VaultKvSource;
import sites.deco.buildsecrets.source.vault.VaultSettings;

/** The backend flags, with the operator's names, environment fallbacks and defaults, as a picocli mixin. */
public final class SourceOptions {

  @Option(names = "--build-secrets-backend", defaultValue = "${env:BUILD_SECRETS_BACKEND:-aws}",
      description = "Upstream backend: aws, vault (HashiCorp Vault KV version 2) or disabled "
          + "(env BUILD_SECRETS_BACKEND, default aws).")
  String backend;

  @Option(names = "--vault-addr", defaultValue = "${env:VAULT_ADDR}",
      description = "With the vault backend: Vault's address, e.g. https://vault.example:8200 (env VAULT_ADDR).")
  String vaultAddr;

  @Option(names = "--vault-mount", defaultValue = "${env:BUILD_SECRETS_VAULT_MOUNT:-secret}",
      description = "With the vault backend: the KV version 2 mount holding the keys (env BUILD_SECRETS_VAULT_MOUNT, "
          + "default secret).")
  String vaultMount;

  @Option(names = "--vault-role", defaultValue = "${env:BUILD_SECRETS_VAULT_ROLE}",
      description = "With the vault backend: the Kubernetes auth role to log in as (env BUILD_SECRETS_VAULT_ROLE).")
  String vaultRole;

  @Option(names = "--vault-auth-path", defaultValue = "${env:BUILD_SECRETS_VAULT_AUTH_PATH:-kubernetes}",
      description = "With the vault backend: where the Kubernetes auth method is mounted "
          + "(env BUILD_SECRETS_VAULT_AUTH_PATH, default kubernetes).")
  String vaultAuthPath;

  @Option(names = "--vault-namespace", defaultValue = "${env:VAULT_NAMESPACE}",
      description = "With the vault backend: the Vault Enterprise namespace, sent as X-Vault-Namespace "
          + "(env VAULT_NAMESPACE; none by default).")
  String vaultNamespace;

  @Option(names = "--vault-ca-cert", defaultValue = "${env:VAULT_CACERT}",
      description = "With the vault backend: a PEM bundle of CAs to trust for https (env VAULT_CACERT; the JVM's "
          + "trust store by default).")
  String vaultCaCert;

  @Option(names = "--vault-token-path",
      defaultValue = "${env:BUILD_SECRETS_VAULT_TOKEN_PATH:-/var/run/secrets/kubernetes.io/serviceaccount/token}",
      description = "With the vault backend: the ServiceAccount token file to log in with (env "
          + "BUILD_SECRETS_VAULT_TOKEN_PATH, default the pod's own token).")
  String vaultTokenPath;

  @Option(names = "--vault-call-timeout", defaultValue = "${env:BUILD_SECRETS_VAULT_CALL_TIMEOUT:-10s}",
      description = "With the vault backend: upper bound of one HTTP call to Vault (env "
          + "BUILD_SECRETS_VAULT_CALL_TIMEOUT, default 10s).")
  String vaultCallTimeout;

  @Option(names = "--vault-requests-per-second", defaultValue = "${env:BUILD_SECRETS_VAULT_REQUESTS_PER_SECOND:-50}",
      description = "With the vault backend: token-bucket rate for all calls to Vault, logins included "
          + "(env BUILD_SECRETS_VAULT_REQUESTS_PER_SECOND, default 50).")
  double vaultRequestsPerSecond;

  @Option(names = "--aws-call-timeout", defaultValue = "${env:BUILD_SECRETS_AWS_CALL_TIMEOUT:-10s}",
      description = "Upper bound of one Secrets Manager call, retries included (env BUILD_SECRETS_AWS_CALL_TIMEOUT, default 10s).")
  String awsCallTimeout;

  @Option(names = "--aws-requests-per-second", defaultValue = "${env:BUILD_SECRETS_AWS_REQUESTS_PER_SECOND:-50}",
      description = "Token-bucket rate for all Secrets Manager calls, far below AWS quotas "
          + "(env BUILD_SECRETS_AWS_REQUESTS_PER_SECOND, default 50).")
  double awsRequestsPerSecond;

  public Duration callTimeout() {
    return positiveDuration("--aws-call-timeout", awsCallTimeout);
  }

  private static Duration positiveDuration(String flag, String value) {
    Duration d;
    try {
      d = GoDuration.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage());
    }
    if (d.isZero()) {
      throw new IllegalArgumentException(flag + " must be above 0");
    }
    return d;
  }

  /** The Vault settings; IllegalArgumentException (exit 2) when one is missing or malformed. */
  VaultSettings vaultSettings() {
    if (vaultAddr == null || vaultAddr.isBlank()) {
      throw new IllegalArgumentException("the vault backend needs Vault's address: set VAULT_ADDR or --vault-addr");
    }
    java.net.URI address;
    try {
      address = java.net.URI.create(vaultAddr.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("VAULT_ADDR: '" + vaultAddr + "' is not a URL");
    }
    return new VaultSettings(address, vaultMount, vaultRole, vaultAuthPath, vaultNamespace,
        vaultCaCert == null || vaultCaCert.isBlank() ? null : java.nio.file.Path.of(vaultCaCert.trim()),
        java.nio.file.Path.of(vaultTokenPath.trim()), positiveDuration("--vault-call-timeout", vaultCallTimeout));
  }

  /**
   * For the commands that write upstream or read its history (adopt, env): AWS Secrets Manager only
   * in this release; a clear error (exit 2) on any other backend.
   */
  public void requireAws(String command) {
    if (backend() != OperatorConfig.Backend.AWS) {
      throw new IllegalArgumentException(command + " works with the aws backend only (AWS Secrets Manager); "
          + "the " + backend().flagValue() + " backend is read-only for this tool: change values with that "
          + "backend's own tools (e.g. vault kv put), the operator syncs them");
    }
  }

  public OperatorConfig.Backend backend() {
    return OperatorConfig.Backend.parse(backend);
  }

  public double requestsPerSecond() {
    if (backend() == OperatorConfig.Backend.VAULT) {
      if (vaultRequestsPerSecond <= 0) {
        throw new IllegalArgumentException("--vault-requests-per-second must be above 0");
      }
      return vaultRequestsPerSecond;
    }
    if (awsRequestsPerSecond <= 0) {
      throw new IllegalArgumentException("--aws-requests-per-second must be above 0");
    }
    return awsRequestsPerSecond;
  }

  /** A direct (uncached) reader of upstream keys; IllegalArgumentException (exit 2) when there is none. */
  public Source open() {
    return open(tokenBucket(), SyncMetrics.noop());
  }

  /** The operator's reader: every call counted and timed in {@code metrics}. */
  public Source open(SyncMetrics metrics) {
    return open(tokenBucket(), metrics);
  }

  /** The token bucket {@code --aws-requests-per-second} asks for; share one between a reader and a writer. */
  public TokenBucket tokenBucket() {
    return new TokenBucket(requestsPerSecond(), (int) Math.max(1, requestsPerSecond()));
  }

  /** A direct reader whose calls take their tokens from {@code limit}. */
  public Source open(TokenBucket limit) {
    return open(limit, SyncMetrics.noop());
  }

  private Source open(TokenBucket limit, SyncMetrics metrics) {
    return switch (backend()) {
      case AWS -> AwsSecretsManagerSource.fromEnvironment(callTimeout(), limit, new AwsCallMetrics(metrics));
      case VAULT -> VaultKvSource.open(vaultSettings(), limit, (operation, outcome, nanos) ->
          metrics.sourceRequest("vault_" + operation, outcome, Duration.ofNanos(nanos)));
      case DISABLED -> throw disabled();
    };
  }

  /** A writer for {@code adopt} (never used by the operator), whose calls take their tokens from {@code limit}. */
  public UpstreamWriter openWriter(TokenBucket limit) {
    return switch (backend()) {
      case AWS -> AwsUpstreamWriter.fromEnvironment(callTimeout(), limit);
      case VAULT -> {
        requireAws("writing upstream");
        throw disabled();
      }
      case DISABLED -> throw disabled();
    };
  }

  /** What the backend needs from the environment (credentials, region), checked without a call. */
  public List<EnvironmentCheck> environmentChecks() {
    return environmentChecks(null);
  }

  /**
   * As above; for the vault backend also calls Vault: reachability, login, the mount, and with
   * {@code probeKey} the token's capabilities on that key's data and metadata paths.
   */
  public List<EnvironmentCheck> environmentChecks(String probeKey) {
    return switch (backend()) {
      case AWS -> AwsEnvironment.checks();
      case VAULT -> {
        VaultSettings settings;
        try {
          settings = vaultSettings();
        } catch (IllegalArgumentException e) {
          yield List.of(EnvironmentCheck.fail("Vault settings: " + e.getMessage(),
              "set VAULT_ADDR and BUILD_SECRETS_VAULT_ROLE (or --vault-addr, --vault-role)"));
        }
        yield VaultEnvironment.checks(settings, tokenBucket(), probeKey);
      }
      case DISABLED -> List.of(EnvironmentCheck.fail("backend: disabled", "use --build-secrets-backend=aws"));
    };
  }

  private static IllegalArgumentException disabled() {
    return new IllegalArgumentException(
        "the backend is disabled: there is no upstream to read (use --build-secrets-backend=aws)");
  }
}
