package sites.deco.buildsecrets.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

/**
 * Stands on the operator's Secrets Manager endpoint in front of moto and, once told to, rewrites
 * the SigV4 {@code Authorization} header of every request so that moto files it under another
 * region (the credential scope) or another account (the access key id). That is what a running
 * process sees when what its fixed configuration resolves to changes under it: an IRSA / Pod
 * Identity role swapped to another account's, refreshed credentials, or a DNS / VPC endpoint that
 * now leads to another region. moto checks no signature, so the rewritten request is served.
 */
final class RedirectingProxy implements AutoCloseable {
  private static final Set<String> HOP = Set.of("connection", "content-length", "expect", "host", "upgrade",
      "transfer-encoding", "keep-alive");
  private final HttpServer server;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI upstream;
  private volatile UnaryOperator<String> authorization = UnaryOperator.identity();

  RedirectingProxy(String upstreamUrl) throws IOException {
    this.upstream = URI.create(upstreamUrl);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "redirecting-proxy");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::forward);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void passThrough() {
    authorization = UnaryOperator.identity();
  }

  /** Requests signed for {@code from} are filed under region {@code to}. */
  void toRegion(String from, String to) {
    authorization = a -> a.replace("/" + from + "/secretsmanager/", "/" + to + "/secretsmanager/");
  }

  /** Requests are filed under the account that owns {@code accessKeyId}. */
  void toAccount(String accessKeyId) {
    authorization = a -> a.replaceFirst("Credential=[^/]+/", "Credential=" + accessKeyId + "/");
  }

  private void forward(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      HttpRequest.Builder req = HttpRequest.newBuilder(upstream.resolve(ex.getRequestURI().toString()))
          .timeout(Duration.ofSeconds(30))
          .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
        String name = h.getKey().toLowerCase();
        if (HOP.contains(name)) {
          continue;
        }
        for (String v : h.getValue()) {
          req.header(h.getKey(), name.equals("authorization") ? authorization.apply(v) : v);
        }
      }
      HttpResponse<byte[]> resp;
      try {
        resp = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ex.sendResponseHeaders(502, -1);
        return;
      } catch (IOException e) {
        ex.sendResponseHeaders(502, -1);
        return;
      }
      resp.headers().map().forEach((k, vs) -> {
        if (!HOP.contains(k.toLowerCase()) && !k.startsWith(":")) {
          vs.forEach(v -> ex.getResponseHeaders().add(k, v));
        }
      });
      byte[] out = resp.body();
      ex.sendResponseHeaders(resp.statusCode(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
