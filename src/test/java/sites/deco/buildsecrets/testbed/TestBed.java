package sites.deco.buildsecrets.testbed;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * One real control plane (etcd + kube-apiserver) and one moto_server per test JVM, started by
 * {@code dev/testbed} from the same cached binaries a developer uses, all on 127.0.0.1 at free
 * ports. Tests isolate themselves by namespace and upstream key, never by resetting shared state.
 */
public final class TestBed {
  private static final Pattern EXPORT = Pattern.compile("^export (\\w+)=\"(.*)\"$");
  private static TestBed instance;

  private final Path dir;
  private final Map<String, String> env;
  private final KubernetesClient admin;
  private final SecretsManagerClient secretsManager;

  /** The Vault exports (dev/testbed up --vault): kept apart, so AWS suites never run with them. */
  private volatile Map<String, String> vaultEnv;

  private TestBed(Path dir, Map<String, String> env) throws IOException {
    this.dir = dir;
    Map<String, String> plain = new LinkedHashMap<>(env);
    Path vaultExports = dir.resolve("vault/env");
    if (Files.exists(vaultExports)) {
      this.vaultEnv = parseEnv(vaultExports);
      plain.keySet().removeAll(vaultEnv.keySet());
    }
    this.env = plain;
    this.admin = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(Files.readString(Path.of(env.get("KUBECONFIG")))))
        .build();
    this.secretsManager = SecretsManagerClient.builder()
        .endpointOverride(URI.create(env.get("TESTBED_MOTO_URL")))
        .region(Region.of(env.get("AWS_REGION")))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.create())
        .build();
  }

  /** Starts the test bed on first use; it is stopped when the JVM exits. */
  public static synchronized TestBed get() {
    if (instance == null) {
      try {
        Path dir = repoRoot().resolve("target/it-testbed");
        run(List.of(repoRoot().resolve("dev/testbed").toString(), "up", "--dir", dir.toString()), 900);
        instance = new TestBed(dir, parseEnv(dir.resolve("env")));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            run(List.of(repoRoot().resolve("dev/testbed").toString(), "down", "--dir", dir.toString()), 60);
          } catch (Exception ignored) {
            // best effort at JVM exit
          }
        }));
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException("test bed did not start: " + e.getMessage(), e);
      }
    }
    return instance;
  }

  /**
   * The shared test bed with a Vault dev server added beside it ({@code dev/testbed up --vault},
   * which builds Vault on first use and restarts nothing else). Opt-in: only suites that ask for it
   * pay for it; {@link #env()} stays free of the Vault exports, {@link #vaultEnv()} holds them.
   */
  public static synchronized TestBed withVault() {
    TestBed bed = get();
    if (bed.vaultEnv == null) {
      try {
        run(List.of(repoRoot().resolve("dev/testbed").toString(), "up", "--vault", "--dir", bed.dir.toString()), 1800);
        bed.vaultEnv = parseEnv(bed.dir.resolve("vault/env"));
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException("vault did not start in the test bed: " + e.getMessage(), e);
      }
    }
    return bed;
  }

  /**
   * What dev/testbed exported for Vault: VAULT_ADDR, VAULT_CACERT, VAULT_TOKEN (root: may write
   * test data), BUILD_SECRETS_BACKEND=vault, BUILD_SECRETS_VAULT_* and TESTBED_VAULT_*.
   */
  public Map<String, String> vaultEnv() {
    if (vaultEnv == null) {
      throw new IllegalStateException("no Vault in this test bed: use TestBed.withVault()");
    }
    return vaultEnv;
  }

  /**
   * A test bed a test class started itself ({@code dev/testbed up --dir dir}), for the harness that
   * takes one ({@link GuardedBed}); its owner stops it.
   */
  public static TestBed at(Path dir) {
    try {
      return new TestBed(dir, parseEnv(dir.resolve("env")));
    } catch (IOException e) {
      throw new IllegalStateException("no test bed at " + dir + ": " + e.getMessage(), e);
    }
  }

  public static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("dev/testbed"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("cannot find the repository root (dev/testbed) above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  /**
   * A free loopback port for a daemon that must be told its port, picked by dev/lib/free_ports.py
   * below the ephemeral range, so no outbound connection takes it before the daemon binds it.
   */
  public static int freePortForDaemon() {
    try {
      return Integer.parseInt(run(List.of("python3", repoRoot().resolve("dev/lib/free_ports.py").toString(), "1"), 30)
          .trim());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public KubernetesClient admin() {
    return admin;
  }

  public SecretsManagerClient secretsManager() {
    return secretsManager;
  }

  /** The environment the test bed's env file exports (KUBECONFIG, AWS_*, TESTBED_*). */
  public Map<String, String> env() {
    return env;
  }

  public Path dir() {
    return dir;
  }

  public String motoUrl() {
    return env.get("TESTBED_MOTO_URL");
  }

  /** POSTs to moto's control API (reset etc.). */
  public void moto(String path) {
    try {
      HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(motoUrl() + path)).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Map<String, String> parseEnv(Path file) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      Matcher m = EXPORT.matcher(line.trim());
      if (m.matches() && !m.group(1).equals("PATH")) {
        out.put(m.group(1), m.group(2));
      }
    }
    return out;
  }

  /** Runs {@code command} and returns its output (stdout and stderr). */
  private static String run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed:\n" + output);
    }
    return output;
  }
}
