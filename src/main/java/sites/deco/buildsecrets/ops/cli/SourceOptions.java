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
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.UpstreamWriter;
import sites.deco.buildsecrets.source.aws.AwsUpstreamWriter;

/** The backend flags, with the operator's names, environment fallbacks and defaults, as a picocli mixin. */
public final class SourceOptions {

  @Option(names = "--build-secrets-backend", defaultValue = "${env:BUILD_SECRETS_BACKEND:-aws}",
      description = "Upstream backend: aws or disabled (env BUILD_SECRETS_BACKEND, default aws).")
  String backend;

  @Option(names = "--aws-call-timeout", defaultValue = "${env:BUILD_SECRETS_AWS_CALL_TIMEOUT:-10s}",
      description = "Upper bound of one Secrets Manager call, retries included (env BUILD_SECRETS_AWS_CALL_TIMEOUT, default 10s).")
  String awsCallTimeout;

  @Option(names = "--aws-requests-per-second", defaultValue = "${env:BUILD_SECRETS_AWS_REQUESTS_PER_SECOND:-50}",
      description = "Token-bucket rate for all Secrets Manager calls, far below AWS quotas "
          + "(env BUILD_SECRETS_AWS_REQUESTS_PER_SECOND, default 50).")
  double awsRequestsPerSecond;

  public Duration callTimeout() {
    Duration d;
    try {
      d = GoDuration.parse(awsCallTimeout);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--aws-call-timeout: " + e.getMessage());
    }
    if (d.isZero()) {
      throw new IllegalArgumentException("--aws-call-timeout must be above 0");
    }
    return d;
  }

  public OperatorConfig.Backend backend() {
    return OperatorConfig.Backend.parse(backend);
  }

  public double requestsPerSecond() {
    if (awsRequestsPerSecond <= 0) {
      throw new IllegalArgumentException("--aws-requests-per-second must be above 0");
    }
    return awsRequestsPerSecond;
  }

  /** A direct (uncached) reader of upstream keys; IllegalArgumentException (exit 2) when there is none. */
  public BulkSource open() {
    return open(tokenBucket(), SyncMetrics.noop());
  }

  /** The operator's reader: every call counted and timed in {@code metrics}. */
  public BulkSource open(SyncMetrics metrics) {
    return open(tokenBucket(), metrics);
  }

  /** The token bucket {@code --aws-requests-per-second} asks for; share one between a reader and a writer. */
  public TokenBucket tokenBucket() {
    return new TokenBucket(requestsPerSecond(), (int) Math.max(1, requestsPerSecond()));
  }

  /** A direct reader whose calls take their tokens from {@code limit}. */
  public BulkSource open(TokenBucket limit) {
    return open(limit, SyncMetrics.noop());
  }

  private BulkSource open(TokenBucket limit, SyncMetrics metrics) {
    return switch (backend()) {
      case AWS -> AwsSecretsManagerSource.fromEnvironment(callTimeout(), limit, new AwsCallMetrics(metrics));
      case DISABLED -> throw disabled();
    };
  }

  /** A writer for {@code adopt} (never used by the operator), whose calls take their tokens from {@code limit}. */
  public UpstreamWriter openWriter(TokenBucket limit) {
    return switch (backend()) {
      case AWS -> AwsUpstreamWriter.fromEnvironment(callTimeout(), limit);
      case DISABLED -> throw disabled();
    };
  }

  /** What the backend needs from the environment (credentials, region), checked without a call. */
  public List<EnvironmentCheck> environmentChecks() {
    return switch (backend()) {
      case AWS -> AwsEnvironment.checks();
      case DISABLED -> List.of(EnvironmentCheck.fail("backend: disabled", "use --build-secrets-backend=aws"));
    };
  }

  private static IllegalArgumentException disabled() {
    return new IllegalArgumentException(
        "the backend is disabled: there is no upstream to read (use --build-secrets-backend=aws)");
  }
}
