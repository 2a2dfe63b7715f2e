package sites.deco.buildsecrets.source.aws;

import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.Upstream;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;
import software.amazon.awssdk.services.secretsmanager.model.APIErrorType;
import software.amazon.awssdk.services.secretsmanager.model.BatchGetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.DecryptionFailureException;
import software.amazon.awssdk.services.secretsmanager.model.FilterNameStringType;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ListSecretsResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretListEntry;
import software.amazon.awssdk.services.secretsmanager.model.SecretValueEntry;

/**
 * AWS Secrets Manager. Region, endpoint and credentials come from the standard AWS environment
 * ({@code AWS_REGION}, {@code AWS_ENDPOINT_URL_SECRETS_MANAGER}, the default credential chain).
 */
public final class AwsSecretsManagerSource implements BulkSource {
  /** BatchGetSecretValue takes at most 20 ids. */
  static final int BATCH_SIZE = 20;
  /** Batch reads of one {@link #readAll} in flight at once. */
  static final int PARALLEL_BATCHES = 4;
  /** ListSecrets returns at most 100 entries per page. */
  static final int PAGE_SIZE = 100;
  private static final String CURRENT = "AWSCURRENT";

  private final SecretsManagerClient client;

  public AwsSecretsManagerSource(SecretsManagerClient client) {
    this.client = client;
  }

  /**
   * A client with explicit timeouts, adaptive retries (client-side rate limiting on throttling),
   * and a token bucket in front of every call.
   */
  public static AwsSecretsManagerSource fromEnvironment(
      Duration callTimeout, TokenBucket limit, ExecutionInterceptor... interceptors) {
    return new AwsSecretsManagerSource(configure(SecretsManagerClient.builder(), callTimeout, limit, interceptors)
        .build());
  }

  /** The operator's client settings, on a builder the tests may point elsewhere first. */
  static SecretsManagerClientBuilder configure(SecretsManagerClientBuilder builder,
      Duration callTimeout, TokenBucket limit, ExecutionInterceptor... interceptors) {
    Duration attempt = callTimeout.dividedBy(3);
    return builder
        .httpClient(
            UrlConnectionHttpClient.builder()
                .connectionTimeout(attempt)
                .socketTimeout(attempt)
                .build())
        .overrideConfiguration(
            c -> {
              c.apiCallTimeout(callTimeout)
                  .apiCallAttemptTimeout(attempt)
                  .scheduledExecutorService(CallTimeoutScheduler.SHARED)
                  .retryStrategy(RetryMode.ADAPTIVE_V2)
                  .addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                      limit.acquire();
                    }
                  })
                  .addExecutionInterceptor(new LastAttempt(callTimeout));
              for (ExecutionInterceptor i : interceptors) {
                c.addExecutionInterceptor(i);
              }
            });
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

  @Override
  public Map<String, String> currentVersions(String keyPrefix) throws SourceException {
    Map<String, String> versions = new HashMap<>();
    String token = null;
    try {
      do {
        String page = token;
        ListSecretsResponse response = client.listSecrets(r -> r
            .filters(f -> f.key(FilterNameStringType.NAME).values(keyPrefix))
            .maxResults(PAGE_SIZE)
            .nextToken(page));
        for (SecretListEntry entry : response.secretList()) {
          // The name filter is a prefix match that real AWS applies case-insensitively: re-check.
          if (entry.name().startsWith(keyPrefix) && entry.deletedDate() == null) {
            entry.secretVersionsToStages().forEach((version, stages) -> {
              if (stages.contains(CURRENT)) {
                versions.put(entry.name(), version);
              }
            });
          }
        }
        token = response.nextToken();
      } while (token != null && !token.isEmpty());
    } catch (SdkException e) {
      throw translate(e);
    }
    return versions;
  }

  @Override
  public int batchSize() {
    return BATCH_SIZE;
  }

  /**
   * Reads every key in batches of {@link #BATCH_SIZE}, up to {@link #PARALLEL_BATCHES} batches at
   * once: a batch is one round trip of tens of milliseconds to AWS, so a sweep of 10,000 changed
   * keys would otherwise spend most of its time waiting. The token bucket still paces them.
   */
  @Override
  public Map<String, Upstream> readAll(Collection<String> keys) throws SourceException {
    Map<String, Upstream> results = new ConcurrentHashMap<>();
    List<String> all = List.copyOf(new LinkedHashSet<>(keys));
    List<List<String>> batches = new ArrayList<>();
    for (int from = 0; from < all.size(); from += BATCH_SIZE) {
      batches.add(all.subList(from, Math.min(all.size(), from + BATCH_SIZE)));
    }
    if (batches.size() == 1) {
      readChunk(batches.get(0), results);
    } else if (batches.size() > 1) {
      readInParallel(batches, results);
    }
    for (String key : all) {
      if (!results.containsKey(key)) {
        results.put(key, readOrUnreachable(key)); // neither a value nor an error came back: ask alone
      }
    }
    return results;
  }

  private void readInParallel(List<List<String>> batches, Map<String, Upstream> results) throws SourceException {
    Semaphore inFlight = new Semaphore(PARALLEL_BATCHES);
    List<Future<Void>> reads = new ArrayList<>();
    try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (List<String> batch : batches) {
        reads.add(readers.submit(() -> {
          inFlight.acquire();
          try {
            readChunk(batch, results);
            return null;
          } finally {
            inFlight.release();
          }
        }));
      }
      for (Future<Void> read : reads) {
        read.get();
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SourceException failed) {
        throw failed;
      }
      throw new IllegalStateException("batch read failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceException(SourceException.Kind.UNREACHABLE, "interrupted while reading");
    }
  }

  private void readChunk(List<String> chunk, Map<String, Upstream> results) throws SourceException {
    String token = null;
    try {
      do {
        String page = token;
        BatchGetSecretValueResponse response =
            client.batchGetSecretValue(r -> r.secretIdList(chunk).nextToken(page));
        for (SecretValueEntry value : response.secretValues()) {
          results.put(value.name(), value.secretString() == null
              ? new Upstream.Invalid(PayloadRule.BINARY_SECRET, null, null)
              : PayloadParser.parse(value.secretString(), value.versionId()));
        }
        for (APIErrorType error : response.errors()) {
          if (error.secretId() == null) {
            continue; // names no key: each key without an answer is read alone below
          }
          String code = error.errorCode() == null ? "" : error.errorCode();
          Upstream answer = switch (code) {
            case "ResourceNotFoundException" -> new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
            // Scheduled for deletion, or another per-key refusal: the single read tells which.
            case "InvalidRequestException" -> readOrUnreachable(error.secretId());
            case "DecryptionFailure", "DecryptionFailureException" ->
                new Upstream.Unreachable(SourceException.Kind.DECRYPTION_FAILURE, code);
            case "AccessDeniedException" -> new Upstream.Unreachable(SourceException.Kind.ACCESS_DENIED, code);
            default -> new Upstream.Unreachable(SourceException.Kind.REJECTED, code);
          };
          results.put(error.secretId(), answer);
        }
        token = response.nextToken();
      } while (token != null && !token.isEmpty());
    } catch (SdkException e) {
      throw translate(e);
    }
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

  /**
   * Maps SDK failures to kinds. Provider messages are dropped: only codes and status travel.
   * Interceptors may see what the SDK has not wrapped yet, such as a bare InterruptedException.
   */
  /** Error codes that say the caller's credentials are wrong, not that the policy denies the call. */
  private static final java.util.List<String> CREDENTIAL_CODES = java.util.List.of("UnrecognizedClient",
      "InvalidSignature", "ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature",
      "MissingAuthenticationToken", "InvalidToken");

  public static SourceException translate(Throwable e) {
    Optional<LastAttempt.CutShort> cut = LastAttempt.of(e);
    if (cut.isPresent()) {
      return cutShort(cut.get());
    }
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
      } else if (code.contains("AccessDenied")) {
        kind = SourceException.Kind.ACCESS_DENIED;
      } else if (s.statusCode() == 403 || CREDENTIAL_CODES.stream().anyMatch(code::contains)) {
        // Not a policy decision: never a reason to give up listing for good.
        kind = SourceException.Kind.CREDENTIALS;
      } else if (s.statusCode() >= 500) {
        kind = SourceException.Kind.UNAVAILABLE;
      } else {
        kind = SourceException.Kind.REJECTED;
      }
      return new SourceException(kind, code);
    }
    if (e instanceof SdkClientException) {
      Throwable cause = e.getCause();
      if (cause instanceof SocketTimeoutException) {
        return new SourceException(SourceException.Kind.TIMEOUT, "no answer within the call timeout");
      }
      if (cause instanceof IOException) { // no HTTP answer at all: refused, reset, closed before a response
        return new SourceException(SourceException.Kind.UNREACHABLE,
            "no HTTP response (" + cause.getClass().getSimpleName() + ")");
      }
      return new SourceException(SourceException.Kind.UNAVAILABLE,
          cause == null ? "client error" : cause.getClass().getSimpleName());
    }
    return new SourceException(SourceException.Kind.UNAVAILABLE, e.getClass().getSimpleName());
  }

  /**
   * A call the call timeout ended while the SDK waited. Named by the last error it was retrying;
   * one never sent at all was held back by the adaptive retry mode's client-side rate limiter,
   * which holds requests back only after throttling.
   */
  private static SourceException cutShort(LastAttempt.CutShort c) {
    String code = c.lastCode();
    if (code == null && !c.sent()) {
      return new SourceException(SourceException.Kind.THROTTLED,
          "held back by client-side rate limiting for the whole call timeout");
    }
    if (code == null) {
      return new SourceException(SourceException.Kind.TIMEOUT, "no answer within the call timeout");
    }
    String last = code + " (HTTP " + c.lastStatus() + ")";
    boolean throttling = c.lastStatus() == 429 || code.contains("Throttl") || code.contains("TooManyRequests")
        || code.contains("LimitExceeded");
    return throttling
        ? new SourceException(SourceException.Kind.THROTTLED, last + ", retries cut short by the call timeout")
        : new SourceException(SourceException.Kind.TIMEOUT, "call timeout reached while retrying " + last);
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
