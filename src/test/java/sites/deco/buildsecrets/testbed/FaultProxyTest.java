package sites.deco.buildsecrets.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.FaultProxy.Fraction;

class FaultProxyTest {
  private static long[] hits(Fraction f, int requests) {
    return LongStream.rangeClosed(1, requests).filter(f::hits).toArray();
  }

  @Test
  void everyNthHitsExactlyTheMultiples() {
    assertThat(hits(Fraction.everyNth(1), 5)).containsExactly(1, 2, 3, 4, 5);
    assertThat(hits(Fraction.everyNth(3), 10)).containsExactly(3, 6, 9);
    assertThatThrownBy(() -> Fraction.everyNth(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void seededIsRepeatableAndNearItsProbability() {
    assertThat(hits(Fraction.seeded(42, 0.3), 1000)).containsExactly(hits(Fraction.seeded(42, 0.3), 1000));
    assertThat(hits(Fraction.seeded(42, 0.3), 1000).length).isBetween(250, 350);
    assertThat(hits(Fraction.seeded(7, 0), 100)).isEmpty();
    assertThat(hits(Fraction.seeded(7, 1), 100)).hasSize(100);
  }

  @Test
  void rewritesTheSignaturesRegionOrAccountUntilToldToPassThrough() throws Exception {
    HttpServer echo = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    echo.createContext("/", ex -> {
      byte[] seen = ex.getRequestHeaders().getFirst("Authorization").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, seen.length);
      ex.getResponseBody().write(seen);
      ex.close();
    });
    echo.start();
    String signed = "AWS4-HMAC-SHA256 Credential=AKIAONE/20261205/us-east-1/secretsmanager/aws4_request, "
        + "SignedHeaders=host, Signature=abc";
    try (FaultProxy proxy = new FaultProxy("http://127.0.0.1:" + echo.getAddress().getPort());
        HttpClient client = HttpClient.newHttpClient()) {
      HttpRequest request = HttpRequest.newBuilder(URI.create(proxy.url() + "/"))
          .header("Authorization", signed).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
      Supplier<String> seen = () -> {
        try {
          return client.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      assertThat(seen.get()).isEqualTo(signed);
      proxy.toRegion("us-east-1", "eu-west-1");
      assertThat(seen.get()).contains("/eu-west-1/secretsmanager/").doesNotContain("us-east-1");
      proxy.toAccount("AKIATWO");
      assertThat(seen.get()).startsWith("AWS4-HMAC-SHA256 Credential=AKIATWO/20261205/us-east-1/");
      proxy.passThrough();
      assertThat(seen.get()).isEqualTo(signed);
      assertThat(proxy.forwarded()).isEqualTo(4);
    } finally {
      echo.stop(0);
    }
  }

  /** An upstream answering 200 "ok" to everything. */
  private static HttpServer upstream() throws Exception {
    HttpServer ok = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ok.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    ok.start();
    return ok;
  }

  @FunctionalInterface
  private interface ProxyCheck {
    void run(FaultProxy proxy, HttpClient client) throws Exception;
  }

  /** Runs check against a proxy in front of an upstream answering 200 "ok" to everything. */
  private static void withProxy(ProxyCheck check) throws Exception {
    HttpServer ok = upstream();
    try (FaultProxy proxy = new FaultProxy("http://127.0.0.1:" + ok.getAddress().getPort());
        HttpClient client = HttpClient.newHttpClient()) {
      check.run(proxy, client);
    } finally {
      ok.stop(0);
    }
  }

  private static HttpResponse<String> call(HttpClient client, String url, String target) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString("{}"));
    if (target != null) {
      b.header("X-Amz-Target", target);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String control(HttpClient client, String method, String url) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody())
        .build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(method + " " + url).isEqualTo(200);
    return response.body();
  }

  @Test
  void countsEveryRequestByOperationAndTimesTheForwarding() throws Exception {
    withProxy((proxy, client) -> {
      double before = System.currentTimeMillis() / 1000.0;
      call(client, proxy.url() + "/", "secretsmanager.GetSecretValue");
      call(client, proxy.url() + "/", "secretsmanager.GetSecretValue");
      call(client, proxy.url() + "/", "secretsmanager.ListSecrets");
      call(client, proxy.url() + "/x", null);
      double after = System.currentTimeMillis() / 1000.0 + 0.01;

      assertThat(proxy.counts())
          .containsExactlyInAnyOrderEntriesOf(Map.of("GetSecretValue", 2L, "ListSecrets", 1L, "(no target) POST", 1L));
      assertThat(proxy.seconds()).containsOnlyKeys("GetSecretValue", "ListSecrets", "(no target) POST");
      assertThat(proxy.timing(before, after)).containsEntry("requests", 4);
      assertThat(proxy.timing(after, after + 60)).isEmpty();
      proxy.reset();
      assertThat(proxy.counts()).isEmpty();
      assertThat(proxy.forwarded()).isEqualTo(4);
    });
  }

  @Test
  void addsTheLatencyBeforeForwarding() throws Exception {
    withProxy((proxy, client) -> {
      proxy.latency(Duration.ofMillis(300));
      long start = System.nanoTime();
      assertThat(call(client, proxy.url() + "/", "secretsmanager.DescribeSecret").body()).isEqualTo("ok");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
      // the wait is before forwarding, so it is not upstream time
      assertThat(proxy.seconds().get("DescribeSecret")).isLessThan(0.3);
    });
  }

  @Test
  void throttlesOverTheScaledQuotaAndRecordsThePeak() throws Exception {
    withProxy((proxy, client) -> {
      proxy.quotas(0.05); // ListSecrets 100/s -> 5/s; GetSecretValue+DescribeSecret 10000/s -> 500/s
      int throttled = 0;
      for (int i = 0; i < 8; i++) {
        HttpResponse<String> r = call(client, proxy.url() + "/", "secretsmanager.ListSecrets");
        if (r.statusCode() == 400) {
          assertThat(r.body()).contains("ThrottlingException");
          assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("ThrottlingException");
          throttled++;
        }
      }
      // 8 requests within one second unless the machine stalls for a second: at least 3 over 5/s
      assertThat(throttled).isGreaterThanOrEqualTo(3);
      assertThat(proxy.throttled()).containsEntry("ListSecrets", (long) throttled);
      assertThat(proxy.peaks()).containsEntry("ListSecrets", 5L);
      assertThat(call(client, proxy.url() + "/", "secretsmanager.GetSecretValue").statusCode()).isEqualTo(200);
      assertThat(proxy.counts()).containsEntry("ListSecrets", 8L);
      assertThat(proxy.forwarded()).isEqualTo(8 - throttled + 1);
    });
  }

  @Test
  void answersTheControlApiWithoutCountingOrForwardingIt() throws Exception {
    withProxy((proxy, client) -> {
      proxy.quotas(1);
      call(client, proxy.url() + "/", "secretsmanager.BatchGetSecretValue");
      String control = proxy.url() + FaultProxy.CONTROL;
      assertThat(control(client, "GET", control + "counts")).isEqualTo("{\"BatchGetSecretValue\":1}");
      assertThat(control(client, "GET", control + "seconds")).startsWith("{\"BatchGetSecretValue\":");
      assertThat(control(client, "GET", control + "timing?since=0&until=9999999999"))
          .startsWith("{\"requests\":1,\"span_s\":");
      assertThat(control(client, "GET", control + "timing?since=0&until=1")).isEqualTo("{}");
      assertThat(control(client, "GET", control + "quota")).isEqualTo("{\"limits\":{\"BatchGetSecretValue\":100,"
          + "\"GetSecretValue+DescribeSecret\":10000,\"ListSecrets\":100},\"throttled\":{},"
          + "\"peaks\":{\"BatchGetSecretValue\":1}}");
      assertThat(control(client, "POST", control + "reset")).isEqualTo("{}");
      assertThat(control(client, "GET", control + "counts")).isEqualTo("{}");
      assertThat(client.send(HttpRequest.newBuilder(URI.create(control + "nothing")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
      assertThat(proxy.forwarded()).isEqualTo(1);
    });
  }
}
