package sites.deco.buildsecrets.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A tiny HTTP server for probes or metrics, on the JDK's built-in server. */
public final class OpsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
  private final HttpServer server;

  /** A probe's answer: ok, plus a short reason when not. */
  public record Check(boolean ok, String detail) {}

  private OpsServer(HttpServer server) {
    this.server = server;
  }

  /**
   * Parses {@code host:port} ({@code :8080} means every interface); "0" disables the server.
   *
   * @return null when disabled
   */
  public static OpsServer start(String what, String bindAddress) throws IOException {
    if (bindAddress == null || bindAddress.equals("0") || bindAddress.isBlank()) {
      LOG.info("{} endpoint disabled", what);
      return null;
    }
    int colon = bindAddress.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("'" + bindAddress + "' is not host:port (for example :8080 or 127.0.0.1:8080)");
    }
    String host = bindAddress.substring(0, colon);
    int port = Integer.parseInt(bindAddress.substring(colon + 1));
    InetSocketAddress address = host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    HttpServer server = HttpServer.create(address, 16);
    // A probe or a scrape only formats text: a virtual thread each, no platform thread kept idle.
    server.setExecutor(
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ops-http-" + what + "-", 0).factory()));
    server.start();
    LOG.info("{} endpoint listening on {}", what, server.getAddress());
    return new OpsServer(server);
  }

  public OpsServer text(String path, String contentType, Supplier<String> body) {
    server.createContext(path, exchange -> respond(exchange, 200, contentType, body.get()));
    return this;
  }

  public OpsServer probe(String path, Supplier<Check> check) {
    server.createContext(path, exchange -> {
      Check c = check.get();
      respond(exchange, c.ok() ? 200 : 503, "text/plain", c.ok() ? "ok\n" : c.detail() + "\n");
    });
    return this;
  }

  private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
