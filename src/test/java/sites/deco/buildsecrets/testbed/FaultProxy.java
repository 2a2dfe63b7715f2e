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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
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
 *
 * <p>It is also the benchmarks' proxy (bench/run, bench/load run it standalone, see {@link #main}):
 * it counts every request by operation (the {@code X-Amz-Target} header's part after the last '.'),
 * the seconds spent forwarding it (moto's time) and when it arrived and finished; it can add a
 * latency before forwarding ({@link #latency}) and apply Secrets Manager's per-operation request
 * quotas ({@link #quotas}). Standalone, a control API under {@code /__proxy/} answers JSON:
 * {@code GET counts}, {@code GET seconds}, {@code GET timing?since=S&until=U} (epoch seconds),
 * {@code GET quota}, {@code POST reset}.
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

  /** One forwarded request: arrived and finished in epoch seconds. */
  private record Span(double arrived, double finished, String operation) {}

  /** The control API's reserved path prefix (never forwarded, never counted). */
  public static final String CONTROL = "/__proxy/";

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
  /** Guards counts, seconds and timeline. */
  private final Object stats = new Object();
  private Map<String, Long> counts = new TreeMap<>();
  private Map<String, Double> seconds = new TreeMap<>();
  private final List<Span> timeline = new ArrayList<>();
  private volatile Duration latency = Duration.ZERO;
  private volatile Quotas quotas;

  public FaultProxy(String upstreamUrl) {
    this.upstream = URI.create(upstreamUrl);
    for (Mode m : Mode.values()) {
      injected.put(m, new AtomicLong());
    }
    try {
      // A burst of new connections must never overflow the backlog and wait for a SYN retry.
      server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
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

  /** Every request forwarded from now on waits {@code latency} first (a remote region's round trip). */
  public void latency(Duration latency) {
    this.latency = latency;
  }

  /**
   * From now on, Secrets Manager's per-operation request quotas, times {@code scale}, apply over a
   * sliding one-second window: a request over its quota is answered ThrottlingException.
   */
  public void quotas(double scale) {
    quotas = new Quotas(scale);
  }

  /** Requests seen by operation since the last {@link #reset} (control API requests excluded). */
  public Map<String, Long> counts() {
    synchronized (stats) {
      return new TreeMap<>(counts);
    }
  }

  /** Seconds spent forwarding (waiting for the upstream), by operation, since the last reset. */
  public Map<String, Double> seconds() {
    synchronized (stats) {
      return new TreeMap<>(seconds);
    }
  }

  /**
   * Of the forwarded requests that arrived in [since, until] (epoch seconds): how many, the span
   * from the first arrival to the last finish, how much of it requests spent in the proxy and
   * upstream (summed), and the rest; empty when none arrived.
   */
  public Map<String, Number> timing(double since, double until) {
    List<Span> spans;
    synchronized (stats) {
      spans = timeline.stream().filter(r -> since <= r.arrived() && r.arrived() <= until).toList();
    }
    Map<String, Number> out = new LinkedHashMap<>();
    if (spans.isEmpty()) {
      return out;
    }
    double first = spans.stream().mapToDouble(Span::arrived).min().orElseThrow();
    double last = spans.stream().mapToDouble(Span::finished).max().orElseThrow();
    double busy = spans.stream().mapToDouble(r -> r.finished() - r.arrived()).sum();
    out.put("requests", spans.size());
    out.put("span_s", round2(last - first));
    out.put("in_proxy_and_moto_s", round2(busy));
    out.put("between_requests_s", round2(last - first - busy));
    return out;
  }

  /** Requests answered ThrottlingException by the quotas, by operation (empty without quotas). */
  public Map<String, Long> throttled() {
    Quotas q = quotas;
    return q == null ? Map.of() : q.throttled();
  }

  /** The highest count admitted in any one-second window, by quota (empty without quotas). */
  public Map<String, Long> peaks() {
    Quotas q = quotas;
    return q == null ? Map.of() : q.peaks();
  }

  /** Forgets the counts and seconds (the timeline and the quotas' figures are kept). */
  public void reset() {
    synchronized (stats) {
      counts = new TreeMap<>();
      seconds = new TreeMap<>();
    }
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
        double arrived = now();
        if (request.target().startsWith(CONTROL)) {
          control(request, out);
          continue;
        }
        String operation = operation(request);
        synchronized (stats) {
          counts.merge(operation, 1L, Long::sum);
        }
        Quotas q = quotas;
        Fault f = fault;
        if (q != null && !q.admit(operation)) {
          respond(out, 400, "ThrottlingException");
        } else if (f != null && f.fraction().hits(sinceInjected.incrementAndGet())) {
          injected.get(f.mode()).incrementAndGet();
          if (!answerWithFault(f.mode(), out)) {
            return; // the connection is dropped without a response
          }
        } else {
          Duration wait = latency;
          if (!wait.isZero()) {
            Thread.sleep(wait);
          }
          forward(request, out, operation, arrived);
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

  /** The X-Amz-Target's part after the last '.', or "(no target) METHOD". */
  private static String operation(Request request) {
    for (Map.Entry<String, String> h : request.headers().entrySet()) {
      if (h.getKey().equalsIgnoreCase("x-amz-target")) {
        return h.getValue().substring(h.getValue().lastIndexOf('.') + 1);
      }
    }
    return "(no target) " + request.method();
  }

  private static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private void forward(Request request, OutputStream out, String operation, double arrived)
      throws IOException, InterruptedException {
    long started = System.nanoTime();
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
    double took = (System.nanoTime() - started) / 1e9;
    synchronized (stats) {
      seconds.merge(operation, took, Double::sum);
      timeline.add(new Span(arrived, now(), operation));
    }
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

  /** Answers the control API: counts, seconds, timing, quota (GET) and reset (POST). */
  private void control(Request request, OutputStream out) throws IOException {
    URI uri = URI.create(request.target());
    Map<String, String> query = new LinkedHashMap<>();
    if (uri.getQuery() != null) {
      for (String pair : uri.getQuery().split("&")) {
        int eq = pair.indexOf('=');
        query.put(pair.substring(0, Math.max(eq, 0)), pair.substring(eq + 1));
      }
    }
    String json = switch (request.method() + " " + uri.getPath().substring(CONTROL.length())) {
      case "GET counts" -> json(counts());
      case "GET seconds" -> json(seconds());
      case "GET timing" -> json(timing(Double.parseDouble(query.get("since")), Double.parseDouble(query.get("until"))));
      case "GET quota" -> {
        Quotas q = quotas;
        yield "{\"limits\":" + json(q == null ? Map.of() : q.limits) + ",\"throttled\":" + json(throttled())
            + ",\"peaks\":" + json(peaks()) + "}";
      }
      case "POST reset" -> {
        reset();
        yield "{}";
      }
      default -> null;
    };
    byte[] body = (json == null ? "{\"error\":\"unknown control request\"}" : json).getBytes(StandardCharsets.UTF_8);
    write(out, json == null ? 404 : 200, Map.of("Content-Type", "application/json"), body);
  }

  /** A flat JSON object of names to numbers. */
  private static String json(Map<String, ? extends Number> map) {
    StringBuilder b = new StringBuilder("{");
    map.forEach((k, v) -> b.append(b.length() > 1 ? "," : "")
        .append('"').append(k.replace("\\", "\\\\").replace("\"", "\\\"")).append("\":").append(v));
    return b.append('}').toString();
  }

  /**
   * Secrets Manager's requests-per-second quotas per operation (GetSecretValue and DescribeSecret
   * share one), over a sliding one-second window.
   */
  private static final class Quotas {
    private static final Map<String, String> QUOTA_OF = Map.of(
        "GetSecretValue", "GetSecretValue+DescribeSecret", "DescribeSecret", "GetSecretValue+DescribeSecret",
        "BatchGetSecretValue", "BatchGetSecretValue", "ListSecrets", "ListSecrets");
    private static final Map<String, Long> PER_SECOND =
        Map.of("GetSecretValue+DescribeSecret", 10000L, "BatchGetSecretValue", 100L, "ListSecrets", 100L);

    final Map<String, Long> limits = new TreeMap<>();
    private final Map<String, ArrayDeque<Long>> windows = new TreeMap<>();
    private final Map<String, Long> throttled = new TreeMap<>();
    private final Map<String, Long> peaks = new TreeMap<>();

    Quotas(double scale) {
      PER_SECOND.forEach((quota, limit) -> {
        limits.put(quota, Math.max(1, (long) (limit * scale)));
        windows.put(quota, new ArrayDeque<>());
      });
    }

    /** Whether the request fits its quota's window; a request over it is counted as throttled. */
    synchronized boolean admit(String operation) {
      String quota = QUOTA_OF.get(operation);
      if (quota == null) {
        return true;
      }
      long now = System.nanoTime();
      ArrayDeque<Long> window = windows.get(quota);
      while (!window.isEmpty() && window.peekFirst() <= now - 1_000_000_000L) {
        window.pollFirst();
      }
      if (window.size() >= limits.get(quota)) {
        throttled.merge(operation, 1L, Long::sum);
        return false;
      }
      window.addLast(now);
      peaks.merge(quota, (long) window.size(), Math::max);
      return true;
    }

    synchronized Map<String, Long> throttled() {
      return new TreeMap<>(throttled);
    }

    synchronized Map<String, Long> peaks() {
      return new TreeMap<>(peaks);
    }
  }

  /**
   * Runs the proxy standalone (the benchmarks do):
   * {@code FaultProxy --upstream URL [--latency-ms MS] [--quota-scale S]}. Prints its URL as the
   * first line of stdout and serves until killed.
   */
  public static void main(String[] args) throws InterruptedException {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i], args[i + 1]);
    }
    if (args.length % 2 != 0 || !options.containsKey("--upstream")
        || !Set.of("--upstream", "--latency-ms", "--quota-scale").containsAll(options.keySet())) {
      System.err.println("usage: FaultProxy --upstream URL [--latency-ms MS] [--quota-scale S]");
      System.exit(2);
    }
    FaultProxy proxy = new FaultProxy(options.get("--upstream"));
    proxy.latency(Duration.ofNanos((long) (Double.parseDouble(options.getOrDefault("--latency-ms", "0")) * 1e6)));
    if (options.containsKey("--quota-scale")) {
      proxy.quotas(Double.parseDouble(options.get("--quota-scale")));
    }
    System.out.println(proxy.url());
    System.out.flush();
    Thread.currentThread().join(); // the acceptor is a daemon thread: serve until killed
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
