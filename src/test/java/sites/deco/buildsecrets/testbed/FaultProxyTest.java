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
}
