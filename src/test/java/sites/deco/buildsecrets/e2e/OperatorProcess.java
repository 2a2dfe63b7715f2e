package sites.deco.buildsecrets.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The built jar, run as a separate process against the test bed, as a user would run it. Its
 * stdout and stderr go to a file under target/e2e-logs, searched afterwards for leaked values.
 */
final class OperatorProcess implements AutoCloseable {
  /** The line OpsServer logs once bound; in JSON logs the slash arrives escaped. */
  private static final Pattern LISTENING = Pattern.compile("(metrics|health) endpoint listening on \\\\?/127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final Path log;
  private final Map<String, Integer> boundPorts = new ConcurrentHashMap<>();

  private OperatorProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static Path jar() {
    String path = System.getProperty("operator.jar");
    Path jar = path != null ? Path.of(path) : TestBed.repoRoot().resolve("target/build-secrets-operator.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run the package phase first");
    }
    return jar;
  }

  /** The java that runs these tests (>= 21), so the jar runs on the same JDK. */
  static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  /**
   * The command that runs the jar: the image's runtime (jlinked JRE, jvm.options and AOT cache,
   * made by dev/build-runtime next to the jar) when it exists, else the java running these tests
   * with the same jvm.options.
   */
  static List<String> launcher() {
    Path runtime = jar().resolveSibling("runtime");
    Path java = runtime.resolve("jre/bin/java");
    if (Files.isExecutable(java) && Files.exists(runtime.resolve("app.aot"))) {
      return List.of(java.toString(), "@" + runtime.resolve("jvm.options"),
          "-XX:AOTCache=" + runtime.resolve("app.aot"), "-jar", jar().toString());
    }
    return List.of(java(), "@" + TestBed.repoRoot().resolve("src/main/jvm/jvm.options"), "-jar", jar().toString());
  }

  /** Starts the operator with the test bed's environment plus {@code extraEnv}, and these flags. */
  static OperatorProcess start(TestBed bed, String name, Map<String, String> extraEnv, String... flags) {
    Map<String, String> env = new java.util.HashMap<>(bed.env());
    env.putAll(extraEnv);
    return start(env, name, flags);
  }

  /** Starts the operator with exactly the environment {@code env} (a private test bed's), and these flags. */
  static OperatorProcess start(Map<String, String> env, String name, String... flags) {
    // Port 0: the operator binds whatever is free and logs it. A port picked here and bound later
    // can be taken in between (any outbound connection may get it as its source port).
    List<String> command = new ArrayList<>(launcher());
    command.addAll(List.of("--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0"));
    command.addAll(List.of(flags));
    // Each suite's own deletion ledger, named after its namespace prefix, so one suite's trip or
    // recent deletions never count in another's budget, while a restart within a suite finds its own.
    List<String> given = List.of(flags);
    if (given.stream().noneMatch(f -> f.startsWith("--deletion-ledger"))) {
      given.stream().filter(f -> f.startsWith("--namespace-prefix=")).findFirst()
          .ifPresent(f -> command.add("--deletion-ledger=" + f.substring("--namespace-prefix=".length()) + "deletion-ledger"));
    }
    // A lone upstream removal waits out this delay (60s in production); short, so suites stay quick.
    if (List.of(flags).stream().noneMatch(f -> f.startsWith("--deletion-confirmation-delay"))) {
      command.add("--deletion-confirmation-delay=2s");
    }
    try {
      Path dir = TestBed.repoRoot().resolve("target/e2e-logs");
      Files.createDirectories(dir);
      Path log = dir.resolve(name + "-" + System.currentTimeMillis() + ".log");
      System.out.println("operator " + name + ": " + String.join(" ", command));
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().putAll(env);
      return new OperatorProcess(pb.start(), log);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  OperatorProcess awaitReady() {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("operator exited with " + process.exitValue() + ":\n" + output());
      }
      Integer health = boundPort("health");
      HttpResponse<String> ready = health == null ? null : get(health, "/readyz");
      return ready != null && ready.statusCode() == 200;
    });
    return this;
  }

  /** The port the operator bound for {@code what} ("metrics" or "health"), or null while not yet logged. */
  private Integer boundPort(String what) {
    if (!boundPorts.containsKey(what)) {
      Matcher m = LISTENING.matcher(output());
      while (m.find()) {
        boundPorts.put(m.group(1), Integer.parseInt(m.group(2)));
      }
    }
    return boundPorts.get(what);
  }

  private int awaitBoundPort(String what) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      if (boundPort(what) == null && !process.isAlive()) {
        throw new IllegalStateException("operator exited with " + process.exitValue() + " before binding " + what);
      }
      return boundPort(what);
    }, java.util.Objects::nonNull);
  }

  /** GETs a path on one of the operator's ports; null while nothing answers. */
  HttpResponse<String> get(int port, String path) {
    try {
      return HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  String metrics() {
    return get(awaitBoundPort("metrics"), "/metrics").body();
  }

  int healthPort() {
    return awaitBoundPort("health");
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGTERM, then wait for a clean exit. */
  int stop() {
    process.destroy();
    try {
      if (!process.waitFor(40, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return process.exitValue();
  }

  /** SIGKILL: no shutdown hook runs. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  int awaitExit(Duration within) {
    try {
      if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("operator did not exit within " + within);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      stop();
    }
  }
}
