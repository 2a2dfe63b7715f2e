package sites.deco.buildsecrets.source.aws;

import sites.deco.buildsecrets.telemetry.SyncMetrics;

import java.time.Duration;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts and times every Secrets Manager API call at the SDK, by operation (GetSecretValue,
 * ListSecrets, BatchGetSecretValue, DescribeSecret) and outcome, so the meters match what AWS bills.
 */
public final class AwsCallMetrics implements ExecutionInterceptor {
  private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("bso.started");
  private final SyncMetrics metrics;

  public AwsCallMetrics(SyncMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    attributes.putAttribute(STARTED, System.nanoTime());
  }

  @Override
  public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
    record(attributes, "success");
  }

  @Override
  public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
    record(attributes, outcomeOf(context.exception()));
  }

  static String outcomeOf(Throwable failure) {
    if (failure instanceof AwsServiceException s && s.awsErrorDetails() != null
        && "ResourceNotFoundException".equals(s.awsErrorDetails().errorCode())) {
      return "not_found"; // an answer, not a failure: the key does not exist
    }
    return AwsSecretsManagerSource.translate(failure).kind().label();
  }

  private void record(ExecutionAttributes attributes, String outcome) {
    Long started = attributes.getAttribute(STARTED);
    String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    metrics.sourceRequest(operation == null ? "unknown" : operation, outcome,
        Duration.ofNanos(started == null ? 0 : System.nanoTime() - started));
  }
}
