package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * kube-apiserver restarted in the middle of a 1,000-namespace cold sync, on a test bed of this
 * class's own (the shared one is not disturbed). Writes are counted by the API server itself: the
 * private bed runs with an audit log of every Secret write (Metadata level, never a value), which
 * survives the restart, so a create or update made twice is seen even if no watch was open.
 */
class ControlPlaneFaultsE2EIT {
  private static final int NAMESPACES = 1000;
  private static final String PREFIX = "sites-";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static PrivateBed bed;

  @BeforeAll
  static void up() throws Exception {
    bed = PrivateBed.up("control-plane-testbed", "--audit");
  }

  @AfterAll
  static void down() throws Exception {
    if (bed != null) {
      bed.close();
    }
  }

  private static String site(int i) {
    return "cp-" + i;
  }

  private static String payload(int i) {
    return "{\"TENANT_TOKEN\":\"tok-" + i + "\",\"MODE\":\"restart\"}";
  }

  @Test
  void anApiServerRestartMidSyncLosesNoWriteAndDuplicatesNone() throws Exception {
    Map<String, String> versions = new ConcurrentHashMap<>(); // namespace -> upstream version id
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> work = IntStream.range(0, NAMESPACES).<Future<?>>mapToObj(i -> pool.submit(() -> {
        String id = bed.sm.createSecret(r -> r.name("sites/" + site(i) + "/build").secretString(payload(i))).versionId();
        versions.put(PREFIX + site(i), id);
        bed.kube.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(PREFIX + site(i))
            .addToAnnotations("deco.sites/build-secrets-managed", "enabled").endMetadata().build()).create();
      })).toList();
      for (Future<?> f : work) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }

    try (OperatorProcess op = OperatorProcess.start(TestBed.get(), "apiserver-restart", bed.env,
        "--log-format=console")) {
      // Stop the API server once the operator is well into the cold sync.
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).until(() -> {
        if (!op.isAlive()) {
          throw new IllegalStateException("operator exited:\n" + op.output());
        }
        return createdBefore() >= NAMESPACES / 5;
      });
      bed.stopApiServer();
      int createdBeforeTheRestart = createdBefore();
      System.out.println("apiserver stopped with " + createdBeforeTheRestart + " of " + NAMESPACES + " Secrets created");
      assertThat(createdBeforeTheRestart).as("Secrets created when the API server stopped").isLessThan(NAMESPACES);
      // Down long enough for writes to fail and the informers' watches to break.
      await().pollDelay(Duration.ofSeconds(5)).until(() -> true);
      bed.restartApiServer();

      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        assertThat(op.isAlive()).isTrue();
        assertThat(createdBefore()).isEqualTo(NAMESPACES);
      });
      // Every namespace holds exactly the right Secret.
      Map<String, Secret> secrets = new HashMap<>();
      bed.kube.secrets().inAnyNamespace().withField("metadata.name", "build-secrets").list().getItems()
          .forEach(s -> secrets.put(s.getMetadata().getNamespace(), s));
      for (int i = 0; i < NAMESPACES; i++) {
        String ns = PREFIX + site(i);
        Secret s = secrets.get(ns);
        assertThat(s).as(ns).isNotNull();
        assertThat(Sites.decoded(s)).as(ns).isEqualTo(Map.of("TENANT_TOKEN", "tok-" + i, "MODE", "restart"));
        assertThat(s.getMetadata().getAnnotations()).as(ns)
            .containsEntry("deco.sites/build-secrets-version", versions.get(ns));
        assertThat(s.getMetadata().getLabels()).as(ns)
            .containsEntry("deco.sites/managed-by", "operator").containsEntry("deco.sites/feature", "build-secrets");
      }
      // The operator's informers are healthy again (liveness would have restarted it otherwise).
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        HttpResponse<String> live = op.get(op.healthPort(), "/healthz");
        return live != null && live.statusCode() == 200;
      });
      // Quiet for a while: nothing more is written once converged.
      Map<String, Map<String, Integer>> settled = writes();
      await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7)).until(() -> writes().equals(settled));

      Map<String, Map<String, Integer>> byNamespace = writes();
      Map<String, Integer> totals = new TreeMap<>();
      byNamespace.values().forEach(m -> m.forEach((k, v) -> totals.merge(k, v, Integer::sum)));
      System.out.println("Secret requests by verb and code, from the audit log: " + totals);
      for (int i = 0; i < NAMESPACES; i++) {
        String ns = PREFIX + site(i);
        Map<String, Integer> w = byNamespace.getOrDefault(ns, Map.of());
        assertThat(w.getOrDefault("create 201", 0)).as(ns + " successful creates").isEqualTo(1);
        assertThat(w.keySet()).as(ns + " writes other than the one create (a 409 is no write)")
            .allMatch(k -> k.equals("create 201") || k.startsWith("create 409") || !k.matches(".* 2\\d\\d"));
      }
      assertThat(totals.keySet()).as("no successful update, patch or delete of any Secret")
          .noneMatch(k -> k.matches("(update|patch|delete|deletecollection) 2\\d\\d"));
    }
    ReliabilityRecord.passed("Control-plane faults",
        "kube-apiserver restarted (SIGTERM, back on the same port) during a 1,000-namespace cold sync",
        "Reconnected and converged: every namespace holds exactly the right Secret; the API server's audit log "
            + "shows exactly one successful create per namespace and no update, patch or delete; liveness healthy again");
  }

  /** Successful creates of build-secrets in site namespaces, from the audit log. */
  private static int createdBefore() throws IOException {
    return writes().values().stream().mapToInt(m -> m.getOrDefault("create 201", 0)).sum();
  }

  /** namespace -> "verb code" -> count, for every audited request on a build-secrets Secret. */
  private static Map<String, Map<String, Integer>> writes() throws IOException {
    Map<String, Map<String, Integer>> out = new TreeMap<>();
    if (!Files.exists(bed.auditLog())) {
      return out;
    }
    for (String line : Files.readAllLines(bed.auditLog())) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode e;
      try {
        e = JSON.readTree(line);
      } catch (IOException partial) {
        continue; // a line being written right now
      }
      JsonNode ref = e.path("objectRef");
      String ns = ref.path("namespace").asText("");
      if (!"ResponseComplete".equals(e.path("stage").asText()) || !ns.startsWith(PREFIX)
          || !"build-secrets".equals(ref.path("name").asText())) {
        continue;
      }
      String key = e.path("verb").asText() + " " + e.path("responseStatus").path("code").asInt();
      out.computeIfAbsent(ns, k -> new TreeMap<>()).merge(key, 1, Integer::sum);
    }
    return out;
  }
}
