package sites.deco.buildsecrets.source;

import java.time.Duration;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DecryptionFailureException;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;

/**
 * AWS Secrets Manager. Region, endpoint and credentials come from the standard AWS environment
 * ({@code AWS_REGION}, {@code AWS_ENDPOINT_URL_SECRETS_MANAGER}, the default credential chain).
 */
public final class AwsSecretsManagerSource implements Source {
  private final SecretsManagerClient client;

  public AwsSecretsManagerSource(SecretsManagerClient client) {
    this.client = client;
  }

  /** A client with explicit timeouts and adaptive (client-side rate limiting) retries. */
  public static AwsSecretsManagerSource fromEnvironment(Duration callTimeout) {
    Duration attempt = callTimeout.dividedBy(3);
    SecretsManagerClient client =
        SecretsManagerClient.builder()
            .httpClient(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(attempt)
                    .socketTimeout(attempt)
                    .build())
            .overrideConfiguration(
                c -> c.apiCallTimeout(callTimeout)
                    .apiCallAttemptTimeout(attempt)
                    .retryStrategy(RetryMode.ADAPTIVE_V2))
            .build();
    return new AwsSecretsManagerSource(client);
  }

  @Override
  public Upstream read(String key) throws SourceException {
    GetSecretValueResponse response;
    try {
      response = client.getSecretValue(r -> r.secretId(key));
    } catch (ResourceNotFoundException e) {
      return new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
    } catch (InvalidRequestException e) {
      // AWS answers InvalidRequest for a secret scheduled for deletion; confirm with DescribeSecret
      // rather than matching message text.
      if (isScheduledForDeletion(key)) {
        return new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION);
      }
      throw translate(e);
    } catch (SdkException e) {
      throw translate(e);
    }
    if (response.secretString() == null) {
      return new Upstream.Invalid(PayloadRule.BINARY_SECRET, null, null);
    }
    return PayloadParser.parse(response.secretString(), response.versionId());
  }

  private boolean isScheduledForDeletion(String key) throws SourceException {
    try {
      DescribeSecretResponse d = client.describeSecret(r -> r.secretId(key));
      return d.deletedDate() != null;
    } catch (ResourceNotFoundException e) {
      return true;
    } catch (SdkException e) {
      throw translate(e);
    }
  }

  /** Maps SDK failures to kinds. Provider messages are dropped: only codes and status travel. */
  static SourceException translate(SdkException e) {
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException) {
      return new SourceException(SourceException.Kind.TIMEOUT, "no answer within the call timeout");
    }
    if (e instanceof DecryptionFailureException d) {
      return new SourceException(SourceException.Kind.DECRYPTION_FAILURE, codeOf(d));
    }
    if (e instanceof AwsServiceException s) {
      String code = codeOf(s);
      SourceException.Kind kind;
      if (s.isThrottlingException()) {
        kind = SourceException.Kind.THROTTLED;
      } else if (s.statusCode() == 403 || code.contains("AccessDenied") || code.contains("UnrecognizedClient")
          || code.contains("InvalidSignature") || code.contains("ExpiredToken")) {
        kind = SourceException.Kind.ACCESS_DENIED;
      } else if (s.statusCode() >= 500) {
        kind = SourceException.Kind.UNAVAILABLE;
      } else {
        kind = SourceException.Kind.REJECTED;
      }
      return new SourceException(kind, code);
    }
    if (e instanceof SdkClientException) {
      String cause = e.getCause() == null ? "client error" : e.getCause().getClass().getSimpleName();
      return new SourceException(SourceException.Kind.UNAVAILABLE, cause);
    }
    return new SourceException(SourceException.Kind.UNAVAILABLE, e.getClass().getSimpleName());
  }

  private static String codeOf(AwsServiceException s) {
    String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
    return (code == null ? s.getClass().getSimpleName() : code) + " (HTTP " + s.statusCode() + ")";
  }

  @Override
  public String name() {
    return "aws";
  }

  @Override
  public void close() {
    client.close();
  }
}
