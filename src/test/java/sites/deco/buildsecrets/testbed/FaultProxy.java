package sites.deco.buildsecrets.testbed;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * A loopback HTTP/1.1 proxy in front of moto that breaks a chosen fraction of requests the ways
 * Secrets Manager and the network do: a 5xx, throttling, access denied, a hang past any client
 * timeout, or a connection closed without an answer. Everything else is forwarded unchanged.
 *
 * <p>Requests are read whole (headers and a Content-Length body, as the AWS SDK sends them) before
 * the fault is chosen, so a fault always hits a request the operator really made.
 *
 * <p>It can also re-file forwarded requests under another region or account by rewriting the SigV4
 * {@code Authorization} header ({@link #toRegion}, {@link #toAccount}): what a running process sees
 * when what its fixed configuration resolves to changes under it (an IRSA / Pod Identity role
 * swapped to another account's, or an endpoint that now leads to another region). moto checks no
 * signature, so the rewritten request is served, and moto keeps regions and accounts apart.
 */
public final class FaultProxy implements AutoCloseable {
  /**
   * Put into every injected error body: the operator must pass only codes and status on, so this
   * text must never reach its logs, Events or metrics.
   */
  public static final String RAW_MESSAGE_MARKER = "RAW-AWS-MESSAGE-7f3a";
  private static final Set<String> NOT_FORWARDED =
      Set.of("host", "connection", "content-length", "expect", "upgrade", "keep-alive", "transfer-encoding");

  public enum Mode {
    HTTP_500,
    THROTTLING,
    ACCESS_DENIED,
    /** Reads the request and answers nothing until healed or closed. */
    HANG,
    /** Reads the request and closes the connection without a response. */
    DROP
  }

  /** Which requests, counted from the moment faults are switched on, get the fault. */
  @FunctionalInterface
  public interface Fraction {
    boolean hits(long requestNumber);

    /** Requests k, 2k, 3k...; {@code everyNth(1)} is every request. */
    static Fraction everyNth(int k) {
      if (k < 1) throw new IllegalArgumentException("k must be >= 1");
      return n -> n % k == 0;
    }

    /**
     * Each request with probability {@code p}, decided by a seeded generator in arrival order:
     * the same seed gives the same pattern.
     */
    static Fraction seeded(long seed, double p) {
      Random random = new Random(seed);
      return n -> {
        synchronized (random) {
          return random.nextDouble() < p;
        }
      };
    }
  }

  private record Fault(Mode mode, Fraction fraction) {}

  private final ServerSocket server;
  private final URI upstream;
  private final HttpClient forwarder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final ExecutorService connections = Executors.newVirtualThreadPerTaskExecutor();
  private final AtomicLong sinceInjected = new AtomicLong();
  private final AtomicLong forwarded = new AtomicLong();
  private final Map<Mode, AtomicLong> injected = new EnumMap<>(Mode.class);
  private volatile Fault fault;
  private volatile UnaryOperator<String> authorization = UnaryOperator.identity();
  /** Released on heal or close: hung requests then lose their connection. */
  private volatile CountDownLatch hangs = new CountDownLatch(1);

  public FaultProxy(String upstreamUrl) {
    this.upstream = URI.create(upstreamUrl);
    for (Mode m : Mode.values()) {
      injected.put(m, new AtomicLong());
    }
    try {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** From now on, the requests {@code fraction} selects get {@code mode}. */
  public synchronized void inject(Mode mode, Fraction fraction) {
    sinceInjected.set(0);
    hangs = new CountDownLatch(1);
    fault = new Fault(mode, fraction);
  }

  /** Forwards everything again, and drops the connections still hanging. */
  public synchronized void heal() {
    fault = null;
    hangs.countDown();
  }

  /** Requests signed for region {@code from} are filed under region {@code to}. */
  public void toRegion(String from, String to) {
    authorization = a -> a.replace("/" + from + "/secretsmanager/", "/" + to + "/secretsmanager/");
  }

  /** Requests are filed under the account that owns {@code accessKeyId}. */
  public void toAccount(String accessKeyId) {
    authorization = a -> a.replaceFirst("Credential=[^/]+/", "Credential=" + accessKeyId + "/");
  }

  /** Requests are forwarded as signed again. */
  public void passThrough() {
    authorization = UnaryOperator.identity();
  }

  public long injected(Mode mode) {
    return injected.get(mode).get();
  }

  public long forwarded() {
    return forwarded.get();
  }

  @Override
  public void close() {
    heal();
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    connections.shutdownNow();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        connections.execute(() -> serve(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** Serves requests on one connection until the client closes it or a fault ends it. */
  private void serve(Socket client) {
    try (client) {
      InputStream in = new BufferedInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      Request request;
      while ((request = Request.read(in)) != null) {
        Fault f = fault;
        if (f != null && f.fraction().hits(sinceInjected.incrementAndGet())) {
          injected.get(f.mode()).incrementAndGet();
          if (!answerWithFault(f.mode(), out)) {
            return; // the connection is dropped without a response
          }
        } else {
          forward(request, out);
        }
      }
    } catch (IOException e) {
      // the client went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** @return false when the connection must be closed without an answer */
  private boolean answerWithFault(Mode mode, OutputStream out) throws IOException, InterruptedException {
    switch (mode) {
      case HTTP_500 -> respond(out, 500, "InternalServiceError");
      case THROTTLING -> respond(out, 400, "ThrottlingException");
      case ACCESS_DENIED -> respond(out, 400, "AccessDeniedException");
      case HANG -> {
        hangs.await();
        return false;
      }
      case DROP -> {
        return false;
      }
    }
    return true;
  }

  private static void respond(OutputStream out, int status, String type) throws IOException {
    String message = "ThrottlingException".equals(type) ? "Rate exceeded" : "injected by the test";
    byte[] body = ("{\"__type\":\"" + type + "\",\"message\":\"" + message + " " + RAW_MESSAGE_MARKER + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    write(out, status, Map.of("Content-Type", "application/x-amz-json-1.1", "x-amzn-ErrorType", type), body);
  }

  private void forward(Request request, OutputStream out) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(upstream.resolve(request.target()))
        .timeout(Duration.ofSeconds(30))
        .method(request.method(), request.body().length == 0
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(request.body()));
    request.headers().forEach((name, value) -> {
      String lower = name.toLowerCase(Locale.ROOT);
      if (!NOT_FORWARDED.contains(lower)) {
        b.header(name, lower.equals("authorization") ? authorization.apply(value) : value);
      }
    });
    HttpResponse<byte[]> response = forwarder.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    Map<String, String> headers = new LinkedHashMap<>();
    response.headers().map().forEach((name, values) -> {
      if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
        headers.put(name, String.join(",", values));
      }
    });
    forwarded.incrementAndGet();
    write(out, response.statusCode(), headers, response.body());
  }

  private static void write(OutputStream out, int status, Map<String, String> headers, byte[] body) throws IOException {
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ')
        .append(status == 200 ? "OK" : "Status").append("\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    // One write per response: split writes would meet the client's delayed ACK.
    ByteArrayOutputStream all = new ByteArrayOutputStream(head.length() + body.length);
    all.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    all.write(body);
    out.write(all.toByteArray());
    out.flush();
  }

  /** One HTTP/1.1 request with a Content-Length body (what the AWS SDK sends). */
  private record Request(String method, String target, Map<String, String> headers, byte[] body) {
    /** Null at the end of the connection. */
    static Request read(InputStream in) throws IOException {
      String requestLine = line(in);
      if (requestLine == null || requestLine.isEmpty()) {
        return null;
      }
      String[] parts = requestLine.split(" ");
      Map<String, String> headers = new LinkedHashMap<>();
      String header;
      while ((header = line(in)) != null && !header.isEmpty()) {
        int colon = header.indexOf(':');
        headers.put(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
      }
      int length = 0;
      for (Map.Entry<String, String> h : headers.entrySet()) {
        if (h.getKey().equalsIgnoreCase("transfer-encoding")) {
          throw new IOException("chunked request bodies are not supported by this proxy");
        }
        if (h.getKey().equalsIgnoreCase("content-length")) {
          length = Integer.parseInt(h.getValue());
        }
      }
      return new Request(parts[0], parts[1], headers, in.readNBytes(length));
    }

    private static String line(InputStream in) throws IOException {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) != -1) {
        if (c == '\n') {
          String s = buf.toString(StandardCharsets.ISO_8859_1);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
        buf.write(c);
      }
      return buf.size() == 0 ? null : buf.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
