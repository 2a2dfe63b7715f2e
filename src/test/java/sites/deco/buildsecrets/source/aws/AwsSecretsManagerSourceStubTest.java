package sites.deco.buildsecrets.source.aws;

import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DecryptionFailureException;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretRequest;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.InternalServiceErrorException;
import software.amazon.awssdk.services.secretsmanager.model.InvalidParameterException;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

class AwsSecretsManagerSourceStubTest {
  private static final String CANARY = "CANARY-7f3e9";
  private static final String KEY = "sites/acme/build";

  /** Records the requests it receives; answers with the configured functions. */
  static final class StubClient implements SecretsManagerClient {
    final List<String> getSecretIds = new ArrayList<>();
    final List<String> describeSecretIds = new ArrayList<>();
    Function<GetSecretValueRequest, GetSecretValueResponse> onGet =
        r -> {
          throw new AssertionError("unexpected GetSecretValue");
        };
    Function<DescribeSecretRequest, DescribeSecretResponse> onDescribe =
        r -> {
          throw new AssertionError("unexpected DescribeSecret");
        };
    boolean closed;

    @Override
    public GetSecretValueResponse getSecretValue(GetSecretValueRequest request) {
      getSecretIds.add(request.secretId());
      return onGet.apply(request);
    }

    @Override
    public DescribeSecretResponse describeSecret(DescribeSecretRequest request) {
      describeSecretIds.add(request.secretId());
      return onDescribe.apply(request);
    }

    @Override
    public String serviceName() {
      return SERVICE_NAME;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private final StubClient client = new StubClient();
  private final AwsSecretsManagerSource source = new AwsSecretsManagerSource(client);

  private void getAnswers(String secretString, String versionId) {
    client.onGet = r -> GetSecretValueResponse.builder().secretString(secretString).versionId(versionId).build();
  }

  private void getThrows(Supplier<? extends SdkException> e) {
    client.onGet = r -> {
      throw e.get();
    };
  }

  private static AwsServiceException awsError(AwsServiceException.Builder b, String code, int status) {
    return b.message("provider says " + CANARY)
        .awsErrorDetails(
            AwsErrorDetails.builder().errorCode(code).errorMessage("provider says " + CANARY).serviceName("SecretsManager").build())
        .statusCode(status)
        .build();
  }

  private static AwsServiceException generic(String code, int status) {
    return awsError(SecretsManagerException.builder(), code, status);
  }

  private SourceException readFails() {
    return catchThrowableOfType(SourceException.class, () -> source.read(KEY));
  }

  // ---- answers ----

  @Test
  void secretStringIsParsedIntoFoundWithVersion() throws Exception {
    getAnswers("{\"TOKEN\":\"v1\"}", "ver-1");
    Upstream u = source.read(KEY);
    assertThat(u).isEqualTo(new Upstream.Found(SecretData.fromStrings(Map.of("TOKEN", "v1")), "ver-1"));
  }

  @Test
  void asksForExactlyTheKeyPassedAndNothingElse() throws Exception {
    getAnswers("{}", "ver-1");
    source.read("sites/acme/build");
    assertThat(client.getSecretIds).containsExactly("sites/acme/build");
    assertThat(client.describeSecretIds).isEmpty();
  }

  @Test
  void invalidSecretStringIsPassedThroughTheParser() throws Exception {
    getAnswers("{\"A\":1}", "ver-1");
    Upstream u = source.read(KEY);
    assertThat(u).isInstanceOf(Upstream.Invalid.class);
    assertThat(((Upstream.Invalid) u).rule()).isEqualTo(PayloadRule.NON_STRING_VALUE);
  }

  @Test
  void binaryOnlySecretIsInvalidBinarySecret() throws Exception {
    client.onGet =
        r -> GetSecretValueResponse.builder().secretBinary(SdkBytes.fromUtf8String(CANARY)).versionId("v").build();
    Upstream u = source.read(KEY);
    assertThat(u).isEqualTo(new Upstream.Invalid(PayloadRule.BINARY_SECRET, null, null));
    assertThat(((Upstream.Invalid) u).describe()).doesNotContain(CANARY);
  }

  @Test
  void resourceNotFoundIsMissingNotFound() throws Exception {
    getThrows(() -> awsError(ResourceNotFoundException.builder(), "ResourceNotFoundException", 400));
    assertThat(source.read(KEY)).isEqualTo(new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
    assertThat(client.describeSecretIds).isEmpty();
  }

  @Test
  void invalidRequestForSecretWithDeletedDateIsScheduledForDeletion() throws Exception {
    getThrows(() -> awsError(InvalidRequestException.builder(), "InvalidRequestException", 400));
    client.onDescribe = r -> DescribeSecretResponse.builder().name(KEY).deletedDate(Instant.now()).build();
    assertThat(source.read(KEY)).isEqualTo(new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION));
    assertThat(client.describeSecretIds).containsExactly(KEY);
  }

  @Test
  void invalidRequestWhenDescribeFindsNothingIsMissing() throws Exception {
    getThrows(() -> awsError(InvalidRequestException.builder(), "InvalidRequestException", 400));
    client.onDescribe = r -> {
      throw awsError(ResourceNotFoundException.builder(), "ResourceNotFoundException", 400);
    };
    assertThat(source.read(KEY)).isInstanceOf(Upstream.Missing.class);
  }

  @Test
  void invalidRequestForSecretWithoutDeletedDateIsASourceException() {
    getThrows(() -> awsError(InvalidRequestException.builder(), "InvalidRequestException", 400));
    client.onDescribe = r -> DescribeSecretResponse.builder().name(KEY).build();
    SourceException e = readFails();
    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.REJECTED);
    assertThat(e.getMessage()).contains("InvalidRequestException").doesNotContain(CANARY);
    assertThat(client.describeSecretIds).containsExactly(KEY);
  }

  @Test
  void invalidRequestWhenDescribeFailsReportsTheDescribeFailure() {
    getThrows(() -> awsError(InvalidRequestException.builder(), "InvalidRequestException", 400));
    client.onDescribe = r -> {
      throw generic("ThrottlingException", 400);
    };
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.THROTTLED);
    assertThat(e.getMessage()).doesNotContain(CANARY);
  }

  // ---- failure kinds ----

  @Test
  void decryptionFailureIsDecryptionFailureKind() {
    getThrows(() -> awsError(DecryptionFailureException.builder(), "DecryptionFailure", 400));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.DECRYPTION_FAILURE);
    assertThat(e.getMessage()).contains("DecryptionFailure (HTTP 400)");
  }

  @Test
  void accessDeniedCodeIsAccessDenied() {
    getThrows(() -> generic("AccessDeniedException", 400));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.ACCESS_DENIED);
    assertThat(e.getMessage()).isEqualTo("access denied: AccessDeniedException (HTTP 400)");
  }

  @Test
  void status403WithoutAnAccessDeniedCodeIsCredentialsNotAPolicyDenial() {
    // A 403 without an AccessDenied code is a signature or token problem: transient, and never a
    // reason to give up listing (only ACCESS_DENIED switches the operator to per-key reads).
    getThrows(() -> generic("SomethingForbidden", 403));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.CREDENTIALS);
    assertThat(e.getMessage()).isEqualTo("credentials rejected: SomethingForbidden (HTTP 403)");
  }

  @Test
  void status403WithAnAccessDeniedCodeIsAccessDenied() {
    getThrows(() -> generic("AccessDeniedException", 403));
    assertThat(readFails().kind()).isEqualTo(SourceException.Kind.ACCESS_DENIED);
  }

  @Test
  void badCredentialsCodesAreCredentialsNotAccessDenied() {
    for (String code : List.of("UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
        "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationTokenException",
        "InvalidToken")) {
      getThrows(() -> generic(code, 400));
      SourceException e = readFails();
      assertThat(e.kind()).as(code).isEqualTo(SourceException.Kind.CREDENTIALS);
      assertThat(e.getMessage()).as(code).contains(code).doesNotContain(CANARY);
    }
  }

  @Test
  void throttlingWinsOverA403() {
    getThrows(() -> generic("ThrottlingException", 403));
    assertThat(readFails().kind()).isEqualTo(SourceException.Kind.THROTTLED);
  }

  @Test
  void throttlingCodeIsThrottled() {
    getThrows(() -> generic("ThrottlingException", 400));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.THROTTLED);
    assertThat(e.getMessage()).contains("ThrottlingException");
  }

  @Test
  void status429IsThrottled() {
    getThrows(() -> generic("TooManyRequests", 429));
    assertThat(readFails().kind()).isEqualTo(SourceException.Kind.THROTTLED);
  }

  @Test
  void status500IsUnavailable() {
    getThrows(() -> awsError(InternalServiceErrorException.builder(), "InternalServiceError", 500));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("HTTP 500");
  }

  @Test
  void status503IsUnavailable() {
    getThrows(() -> generic("ServiceUnavailable", 503));
    assertThat(readFails().kind()).isEqualTo(SourceException.Kind.UNAVAILABLE);
  }

  @Test
  void otherClientErrorIsRejected() {
    getThrows(() -> awsError(InvalidParameterException.builder(), "InvalidParameterException", 400));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.REJECTED);
    assertThat(e.getMessage()).contains("InvalidParameterException (HTTP 400)");
  }

  @Test
  void serviceErrorWithoutDetailsIsNamedByItsClass() {
    getThrows(() -> SecretsManagerException.builder().message(CANARY).statusCode(400).build());
    SourceException e = readFails();
    assertThat(e.getMessage()).contains("SecretsManagerException (HTTP 400)").doesNotContain(CANARY);
  }

  @Test
  void apiCallTimeoutIsTimeout() {
    getThrows(() -> ApiCallTimeoutException.builder().message(CANARY).build());
    assertThat(readFails().kind()).isEqualTo(SourceException.Kind.TIMEOUT);
  }

  @Test
  void apiCallAttemptTimeoutIsTimeout() {
    getThrows(() -> ApiCallAttemptTimeoutException.builder().message(CANARY).build());
    assertThat(readFails().kind()).isEqualTo(SourceException.Kind.TIMEOUT);
  }

  @Test
  void noHttpResponseIsUnreachableNamingOnlyTheCauseType() {
    getThrows(() -> SdkClientException.builder().message(CANARY).cause(new SocketException(CANARY)).build());
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.UNREACHABLE);
    assertThat(e.getMessage()).isEqualTo("unreachable: no HTTP response (SocketException)");
  }

  @Test
  void socketTimeoutIsTimeout() {
    getThrows(() -> SdkClientException.builder().message(CANARY).cause(new SocketTimeoutException(CANARY)).build());
    assertThat(readFails().kind()).isEqualTo(SourceException.Kind.TIMEOUT);
  }

  // ---- calls the call timeout cut short (LastAttempt's note) ----

  private static SdkException cutShort(boolean sent, String lastCode, int lastStatus) {
    SdkException e = AbortedException.builder().cause(new InterruptedException()).build();
    e.getCause().addSuppressed(new LastAttempt.CutShort(sent, lastCode, lastStatus));
    return e;
  }

  @Test
  void retriesOfThrottlingCutShortAreThrottled() {
    getThrows(() -> cutShort(true, "ThrottlingException", 400));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.THROTTLED);
    assertThat(e.getMessage())
        .isEqualTo("throttled: ThrottlingException (HTTP 400), retries cut short by the call timeout");
  }

  @Test
  void aCallNeverSentWasHeldBackByRateLimiting() {
    getThrows(() -> cutShort(false, null, 0));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.THROTTLED);
    assertThat(e.getMessage()).contains("held back by client-side rate limiting");
  }

  @Test
  void aCallSentButNeverAnsweredTimedOut() {
    getThrows(() -> cutShort(true, null, 0));
    assertThat(readFails().getMessage()).isEqualTo("timed out: no answer within the call timeout");
  }

  @Test
  void retriesOfAnotherErrorCutShortTimedOutNamingIt() {
    getThrows(() -> cutShort(true, "InternalServiceError", 500));
    SourceException e = readFails();
    assertThat(e.kind()).isEqualTo(SourceException.Kind.TIMEOUT);
    assertThat(e.getMessage()).endsWith("while retrying InternalServiceError (HTTP 500)");
  }

  @Test
  void onlyTheBareErrorCodeIsKept() {
    assertThat(LastAttempt.codeOnly("ThrottlingException")).isEqualTo("ThrottlingException");
    assertThat(LastAttempt.codeOnly("com.amazonaws.secretsmanager#ThrottlingException")).isEqualTo("ThrottlingException");
    assertThat(LastAttempt.codeOnly("ThrottlingException:http://internal.amazon.com/coral/")).isEqualTo("ThrottlingException");
    assertThat(LastAttempt.codeOnly("not a code " + CANARY)).isNull();
    assertThat(LastAttempt.codeOnly(null)).isNull();
  }

  @Test
  void sdkClientExceptionWithoutCauseIsUnavailable() {
    getThrows(() -> SdkClientException.builder().message(CANARY).build());
    assertThat(readFails().kind()).isEqualTo(SourceException.Kind.UNAVAILABLE);
  }

  // ---- secrecy ----

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of("invalid-request", (Supplier<SdkException>) () -> awsError(InvalidRequestException.builder(), "InvalidRequestException", 400)),
        Arguments.of("decryption", (Supplier<SdkException>) () -> awsError(DecryptionFailureException.builder(), "DecryptionFailure", 400)),
        Arguments.of("access-denied", (Supplier<SdkException>) () -> generic("AccessDeniedException", 400)),
        Arguments.of("throttled", (Supplier<SdkException>) () -> generic("ThrottlingException", 400)),
        Arguments.of("500", (Supplier<SdkException>) () -> generic("InternalServiceError", 500)),
        Arguments.of("rejected", (Supplier<SdkException>) () -> generic("InvalidParameterException", 400)),
        Arguments.of("timeout", (Supplier<SdkException>) () -> ApiCallTimeoutException.builder().message(CANARY).build()),
        Arguments.of("client", (Supplier<SdkException>) () -> SdkClientException.builder().message(CANARY).cause(new IOException(CANARY)).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void sourceExceptionNeverCarriesTheProviderMessageOrCause(String label, Supplier<SdkException> failure) {
    getThrows(failure);
    client.onDescribe = r -> DescribeSecretResponse.builder().name(KEY).build();
    SourceException e = readFails();
    assertThat(e).as(label).isNotNull();
    assertThat(e.getMessage()).doesNotContain(CANARY).doesNotContain("provider says");
    assertThat(e.toString()).doesNotContain(CANARY);
    assertThat(e.getCause()).isNull();
  }

  // ---- lifecycle ----

  @Test
  void nameIsAws() {
    assertThat(source.name()).isEqualTo("aws");
  }

  @Test
  void closeClosesTheClient() {
    source.close();
    assertThat(client.closed).isTrue();
  }
}
