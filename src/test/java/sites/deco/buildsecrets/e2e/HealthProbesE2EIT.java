package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * Readiness and liveness of the jar against a test bed of its own, whose API server this test
 * stops: the informers lose their watch, and liveness must say so, so that Kubernetes restarts a
 * replica whose caches can no longer be trusted.
 */
class HealthProbesE2EIT {
  private static final Path DIR = TestBed.repoRoot().resolve("target/health-testbed");
  private static Map<String, String> env;

  @BeforeAll
  static void start() throws Exception {
    testbed("up");
    env = readEnv();
  }

  @AfterAll
  static void stop() throws Exception {
    testbed("down");
  }

  @Test
  void readyOnceSyncedAndNotLiveOnceTheInformersLoseTheApiServer() throws Exception {
    // This test bed's env overrides the shared one's: the operator talks only to the one we break.
    try (OperatorProcess p = OperatorProcess.start(TestBed.get(), "health", env)) {
      p.awaitReady();
      assertThat(status(p, "/healthz")).isEqualTo(200);

      killApiServer();
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .until(() -> status(p, "/healthz") == 503);
      HttpResponse<String> live = p.get(p.healthPort(), "/healthz");
      assertThat(live.body()).contains("unhealthy informers");
    }
  }

  private static int status(OperatorProcess p, String path) {
    HttpResponse<String> r = p.get(p.healthPort(), path);
    return r == null ? -1 : r.statusCode();
  }

  private static void killApiServer() throws IOException {
    for (String line : Files.readAllLines(DIR.resolve("pids"))) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length == 2 && parts[0].equals("kube-apiserver")) {
        ProcessHandle.of(Long.parseLong(parts[1])).ifPresent(ProcessHandle::destroy);
      }
    }
  }

  private static Map<String, String> readEnv() throws IOException {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (String line : Files.readAllLines(DIR.resolve("env"))) {
      var m = java.util.regex.Pattern.compile("^export (\\w+)=\"(.*)\"$").matcher(line.trim());
      if (m.matches() && !m.group(1).equals("PATH")) {
        out.put(m.group(1), m.group(2));
      }
    }
    return out;
  }

  private static void testbed(String verb) throws Exception {
    Process p = new ProcessBuilder(List.of(TestBed.repoRoot().resolve("dev/testbed").toString(), verb, "--dir",
        DIR.toString())).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("dev/testbed " + verb + " failed:\n" + out);
    }
  }
}
