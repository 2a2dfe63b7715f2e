package sites.deco.buildsecrets.testbed;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * The Helm chart in chart/, rendered by the repository's own helm (dev/build-helm) with a test's
 * values, and applied to the test bed as shipped. Tests give each release its own name, namespace,
 * ServiceAccount and namespace prefix, so the admission policies one test class installs never
 * touch another class's namespaces or operator.
 */
public final class ShippedChart {
  public static final Set<String> POLICY_KINDS = Set.of("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
  public static final Set<String> RBAC_KINDS =
      Set.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");

  private final TestBed bed;
  private final List<HasMetadata> objects;

  private ShippedChart(TestBed bed, List<HasMetadata> objects) {
    this.bed = bed;
    this.objects = objects;
  }

  /** {@code helm template <release> chart --namespace <namespace> -f <values as JSON>}. */
  public static ShippedChart render(TestBed bed, String release, String namespace, Map<String, Object> values) {
    try {
      Path root = TestBed.repoRoot();
      String helm = run(List.of(root.resolve("dev/build-helm").toString()), 1200).strip();
      Path file = Files.createTempFile("bso-values", ".json");
      file.toFile().deleteOnExit();
      Files.writeString(file, new ObjectMapper().writeValueAsString(values));
      String yaml = run(List.of(helm, "template", release, root.resolve("chart").toString(),
          "--namespace", namespace, "-f", file.toString()), 120);
      List<HasMetadata> items = bed.admin().load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
          .items();
      return new ShippedChart(bed, items);
    } catch (IOException e) {
      throw new IllegalStateException("could not render the chart: " + e.getMessage(), e);
    }
  }

  public List<HasMetadata> objects(Set<String> kinds) {
    return objects.stream().filter(o -> kinds.contains(o.getKind())).toList();
  }

  /** Creates {@code namespace} if needed, then server-side-applies the objects of these kinds. */
  public ShippedChart apply(String namespace, Set<String> kinds) {
    if (bed.admin().namespaces().withName(namespace).get() == null) {
      bed.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
          .build()).create();
    }
    for (HasMetadata o : objects(kinds)) {
      bed.admin().resource(o).fieldManager("shipped-chart").forceConflicts().serverSideApply();
    }
    return this;
  }

  /** Deletes the objects of these kinds (cluster-scoped policies would otherwise outlive the class). */
  public void delete(Set<String> kinds) {
    for (HasMetadata o : objects(kinds)) {
      bed.admin().resource(o).delete();
    }
  }

  /**
   * Waits until {@code probe} (best a server-side dry run) is refused with a message that names
   * {@code policy}: policies and bindings take effect a moment after they are written.
   */
  public static void awaitEnforced(String policy, ThrowingCallable probe) {
    Predicate<KubernetesClientException> byPolicy =
        e -> e.getStatus() != null && String.valueOf(e.getStatus().getMessage()).contains(policy);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      try {
        probe.call();
        return false;
      } catch (KubernetesClientException e) {
        if (byPolicy.test(e)) return true;
        if (e.getCode() == 403 || e.getCode() == 422) return false; // RBAC still settling, or validation
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    });
  }

  /** The test bed's kubectl (the first entry the env file puts on PATH). */
  public static Path kubectl(TestBed bed) {
    try {
      for (String line : Files.readAllLines(bed.dir().resolve("env"))) {
        if (line.startsWith("export PATH=\"")) {
          String first = line.substring("export PATH=\"".length()).split(":", 2)[0];
          return Path.of(first, "kubectl");
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    throw new IllegalStateException("no PATH in " + bed.dir().resolve("env"));
  }

  /** A kubeconfig for the test bed that authenticates with {@code cert} only. */
  public static Path kubeconfig(TestBed bed, ClientCerts.Cert cert) {
    return ClientCerts.kubeconfig(bed.env(), cert);
  }

  /** Output of a process (stdout and stderr), exit status and all. */
  public record Output(int exit, String out, String err) {}

  /** Runs {@code command} with the test bed's environment plus {@code env}; never throws on a non-zero exit. */
  public static Output exec(TestBed bed, Map<String, String> env, List<String> command) {
    try {
      Path out = Files.createTempFile("bso-exec", ".out");
      Path err = Files.createTempFile("bso-exec", ".err");
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(bed.env());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish within 120s");
      }
      Output o = new Output(p.exitValue(), Files.readString(out), Files.readString(err));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return o;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String run(List<String> command, int timeoutSeconds) throws IOException {
    Path err = Files.createTempFile("bso-run", ".err");
    try {
      Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " failed:\n" + Files.readString(err));
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      Files.deleteIfExists(err);
    }
  }
}
