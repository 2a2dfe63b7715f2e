package sites.deco.buildsecrets.source.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;

/**
 * Vault's HTTP API through the JDK client: one call, paced by the token bucket, with a timeout.
 * Answers carry the status and the parsed JSON body; callers never log a body (it may hold values
 * or tokens), only the status and Vault's error count.
 */
final class VaultHttp {
  static final ObjectMapper JSON = new ObjectMapper();

  /** One answer. {@code body} is a MissingNode when Vault sent none or no JSON. */
  record Reply(int status, JsonNode body) {
    boolean ok() {
      return status / 100 == 2;
    }

    /** Vault's {@code errors} array is empty or absent (a KV 404 for an absent key has it empty). */
    boolean noErrors() {
      JsonNode errors = body.path("errors");
      return errors.isMissingNode() || errors.isNull() || (errors.isArray() && errors.isEmpty());
    }
  }

  /** What each call reports: the operation, its outcome label and how long it took (nanoseconds). */
  interface CallListener {
    void call(String operation, String outcome, long nanos);
  }

  private final VaultSettings settings;
  private final TokenBucket limit;
  private final HttpClient client;
  private final CallListener listener;

  VaultHttp(VaultSettings settings, TokenBucket limit, CallListener listener) {
    this.settings = settings;
    this.limit = limit;
    this.listener = listener == null ? (o, r, n) -> {} : listener;
    HttpClient.Builder b = HttpClient.newBuilder()
        .connectTimeout(settings.callTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .version(HttpClient.Version.HTTP_1_1);
    if (settings.caCert() != null) {
      b.sslContext(trusting(settings));
    }
    this.client = b.build();
  }

  /**
   * Sends one request.
   *
   * @param operation a bounded label for metrics (read, login, mount_check, ...)
   * @param token the Vault token, or null (login)
   * @param body a JSON body, or null for none
   */
  Reply send(String operation, String method, String path, String token, JsonNode body) throws SourceException {
    HttpRequest.Builder r = HttpRequest.newBuilder(settings.api(path)).timeout(settings.callTimeout())
        .header("Accept", "application/json");
    if (token != null) {
      r.header("X-Vault-Token", token);
    }
    if (settings.namespace() != null) {
      r.header("X-Vault-Namespace", settings.namespace());
    }
    if (body != null) {
      r.header("Content-Type", "application/json");
      try {
        r.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      } catch (IOException e) {
        throw new IllegalStateException("cannot encode a request body", e);
      }
    } else {
      r.method(method, HttpRequest.BodyPublishers.noBody());
    }
    limit.acquire();
    long started = System.nanoTime();
    String outcome = "unreachable";
    try {
      HttpResponse<InputStream> response = client.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
      JsonNode parsed;
      try (InputStream in = response.body()) {
        byte[] bytes = in.readAllBytes();
        parsed = bytes.length == 0 ? MissingNode.getInstance() : parseOrMissing(bytes);
      }
      outcome = String.valueOf(response.statusCode());
      return new Reply(response.statusCode(), parsed);
    } catch (HttpConnectTimeoutException e) {
      outcome = "timeout";
      throw new SourceException(SourceException.Kind.TIMEOUT, "no connection to Vault within the call timeout");
    } catch (HttpTimeoutException e) {
      outcome = "timeout";
      throw new SourceException(SourceException.Kind.TIMEOUT, "no answer from Vault within the call timeout");
    } catch (ConnectException e) {
      throw new SourceException(SourceException.Kind.UNREACHABLE, "no HTTP response from Vault (connection refused)");
    } catch (IOException e) {
      throw new SourceException(SourceException.Kind.UNREACHABLE,
          "no HTTP response from Vault (" + e.getClass().getSimpleName() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceException(SourceException.Kind.UNREACHABLE, "interrupted while calling Vault");
    } finally {
      listener.call(operation, outcome, System.nanoTime() - started);
    }
  }

  /** Stops the client's threads; calls in flight end with an error (the operator stops them first). */
  void close() {
    client.shutdownNow();
  }

  private static JsonNode parseOrMissing(byte[] bytes) {
    try {
      JsonNode n = JSON.readTree(bytes);
      return n == null ? MissingNode.getInstance() : n;
    } catch (IOException e) {
      return MissingNode.getInstance(); // e.g. an HTML page from a proxy: the status still speaks
    }
  }

  /**
   * A failed answer as an error: the status and Vault's error count only. Vault's messages name
   * paths and policies, never values, but they are still left out so nothing echoes a request.
   */
  static SourceException error(String what, Reply reply) {
    int s = reply.status();
    SourceException.Kind kind;
    if (s == 403) {
      kind = SourceException.Kind.ACCESS_DENIED;
    } else if (s == 401) {
      kind = SourceException.Kind.CREDENTIALS;
    } else if (s == 429) {
      kind = SourceException.Kind.THROTTLED;
    } else if (s >= 500) {
      kind = SourceException.Kind.UNAVAILABLE; // 503: sealed or standby without forwarding
    } else {
      kind = SourceException.Kind.REJECTED;
    }
    return new SourceException(kind, what + " (HTTP " + s + (s == 503 ? ", sealed or unavailable" : "") + ")");
  }

  private static SSLContext trusting(VaultSettings settings) {
    try (InputStream in = Files.newInputStream(settings.caCert())) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("vault-ca-" + i++, c);
      }
      if (i == 0) {
        throw new IllegalArgumentException("--vault-ca-cert: no certificate in " + settings.caCert());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("--vault-ca-cert: cannot read a PEM bundle from " + settings.caCert() + " ("
          + e.getClass().getSimpleName() + ")");
    }
  }

}
