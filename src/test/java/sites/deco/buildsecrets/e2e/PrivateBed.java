package sites.deco.buildsecrets.e2e;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * A test bed of a test class's own ({@code dev/testbed up --dir target/<name>}), for faults that
 * would disturb the shared one, such as restarting its API server.
 */
final class PrivateBed implements AutoCloseable {
  private static final Pattern EXPORT = Pattern.compile("^export (\\w+)=\"(.*)\"$");

  final Path dir;
  final Map<String, String> env;
  final KubernetesClient kube;
  final SecretsManagerClient sm;

  private PrivateBed(Path dir, Map<String, String> env) throws IOException {
    this.dir = dir;
    this.env = env;
    this.kube = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(Files.readString(Path.of(env.get("KUBECONFIG")))))
        .build();
    this.sm = SecretsManagerClient.builder()
        .endpointOverride(URI.create(env.get("TESTBED_MOTO_URL")))
        .region(Region.of(env.get("AWS_REGION")))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.create())
        .build();
  }

  /** {@code dev/testbed up --dir target/<name> [flags]}. */
  static PrivateBed up(String name, String... flags) throws Exception {
    Path dir = TestBed.repoRoot().resolve("target").resolve(name);
    List<String> args = new ArrayList<>(List.of("up", "--dir", dir.toString()));
    args.addAll(List.of(flags));
    testbed(args);
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(dir.resolve("env"))) {
      Matcher m = EXPORT.matcher(line.trim());
      if (m.matches() && !m.group(1).equals("PATH")) {
        env.put(m.group(1), m.group(2));
      }
    }
    return new PrivateBed(dir, env);
  }

  /** SIGTERM to kube-apiserver, then waits until it has exited (etcd keeps running). */
  void stopApiServer() throws IOException {
    for (String line : Files.readAllLines(dir.resolve("pids"))) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length == 2 && parts[0].equals("kube-apiserver")) {
        ProcessHandle.of(Long.parseLong(parts[1])).ifPresent(p -> {
          p.destroy();
          p.onExit().orTimeout(30, TimeUnit.SECONDS).join();
        });
      }
    }
  }

  /** {@code dev/testbed restart-apiserver}: same port, certs and etcd; returns once it is ready. */
  void restartApiServer() throws Exception {
    testbed(List.of("restart-apiserver", "--dir", dir.toString()));
  }

  Path auditLog() {
    return dir.resolve("logs/audit.log");
  }

  @Override
  public void close() throws Exception {
    kube.close();
    sm.close();
    testbed(List.of("down", "--dir", dir.toString()));
  }

  private static void testbed(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(TestBed.repoRoot().resolve("dev/testbed").toString()));
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    // 900s: a cold `up --node` builds the node's binaries first.
    if (!p.waitFor(900, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
    }
  }
}
