package sites.deco.buildsecrets.source.aws;

import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.telemetry.SyncMetrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import sites.deco.buildsecrets.source.aws.AwsCallMetrics;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.testbed.FaultProxy;
import sites.deco.buildsecrets.testbed.FaultProxy.Mode;

/**
 * The operator's own client settings (adaptive retries, call timeout) through a proxy that fails
 * every request: what the SDK really throws after its retries, and the kind it is reported as.
 * Throttling is the case a stub cannot show: the adaptive retry mode waits past the call timeout,
 * before its next attempt or before sending at all.
 */
class AwsSecretsManagerSourceFaultTest {
  private static final Duration CALL_TIMEOUT = Duration.ofMillis(1500);

  static Stream<Arguments> modes() {
    return Stream.of(
        Arguments.of(Mode.HTTP_500, SourceException.Kind.UNAVAILABLE, "service unavailable: InternalServiceError (HTTP 500)"),
        Arguments.of(Mode.THROTTLING, SourceException.Kind.THROTTLED, "throttled: "),
        Arguments.of(Mode.ACCESS_DENIED, SourceException.Kind.ACCESS_DENIED, "access denied: AccessDeniedException (HTTP 400)"),
        Arguments.of(Mode.HANG, SourceException.Kind.TIMEOUT, "timed out: no answer within the call timeout"),
        Arguments.of(Mode.DROP, SourceException.Kind.UNREACHABLE, "unreachable: no HTTP response (SocketException)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("modes")
  void everyFailureIsReportedByItsKindWithoutTheProviderMessage(Mode mode, SourceException.Kind kind, String message) {
    SyncMetrics metrics = SyncMetrics.noop();
    // No upstream behind the proxy: every request gets the fault.
    try (FaultProxy proxy = new FaultProxy("http://127.0.0.1:9");
        AwsSecretsManagerSource source = new AwsSecretsManagerSource(AwsSecretsManagerSource.configure(
                SecretsManagerClient.builder()
                    .endpointOverride(URI.create(proxy.url()))
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s"))),
                CALL_TIMEOUT, new TokenBucket(50, 50), new ExecutionInterceptor[] {new AwsCallMetrics(metrics)})
            .build())) {
      proxy.inject(mode, FaultProxy.Fraction.everyNth(1));
      // Twice: under throttling the second call is held back before it is sent.
      for (int call = 0; call < 2; call++) {
        SourceException e = catchThrowableOfType(SourceException.class, () -> source.read("sites/acme/build"));
        assertThat(e.kind()).as("call %d", call).isEqualTo(kind);
        assertThat(e.getMessage()).as("call %d", call).startsWith(message).doesNotContain(FaultProxy.RAW_MESSAGE_MARKER);
      }
      assertThat(proxy.injected(mode)).isPositive();
      assertThat(metrics.registry().find("deco_operator_buildsecrets_source_requests")
          .tags(List.of(io.micrometer.core.instrument.Tag.of("outcome", kind.label()))).counter())
          .as("counted under its kind").isNotNull()
          .satisfies(c -> assertThat(c.count()).isEqualTo(2));
    }
  }
}
