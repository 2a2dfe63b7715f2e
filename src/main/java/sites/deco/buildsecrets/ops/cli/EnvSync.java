package sites.deco.buildsecrets.ops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import sites.deco.buildsecrets.config.Naming;

/**
 * After a write: asks the operator for a fresh read of the site (a new value of the force-sync
 * annotation on its namespace), then waits for the Secret's version annotation to name the version
 * written. Reads the Secret's metadata only; its data is never looked at.
 */
final class EnvSync {
  private static final Duration POLL = Duration.ofMillis(500);
  private static final ObjectMapper JSON = new ObjectMapper();

  private EnvSync() {}

  /** Requests the sync and waits up to {@code timeout}; reports the outcome on {@code r}. */
  static void deliver(KubernetesClient client, Naming naming, EnvSite site, String version, Duration timeout,
      EnvReport r) throws InterruptedException {
    try {
      client.namespaces().withName(site.namespace()).patch(PatchContext.of(PatchType.JSON_MERGE), JSON.writeValueAsString(
          Map.of("metadata", Map.of("annotations", Map.of(naming.syncAnnotation(), Instant.now().toString())))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings is always JSON", e);
    } catch (KubernetesClientException e) {
      r.put("sync", "failed");
      r.failAfterWrite("the write is upstream, but requesting a sync of " + site.namespace() + " failed ("
          + CliSupport.describeRefusal(e) + "); the operator picks it up at its next resync");
      return;
    }
    r.line("sync: requested on namespace " + site.namespace() + " (annotation " + naming.syncAnnotation() + ")");
    if (timeout.isZero()) {
      r.put("sync", "requested");
      return;
    }
    Instant start = Instant.now();
    Instant deadline = start.plus(timeout);
    String seen = null;
    while (true) {
      try {
        Secret s = client.secrets().inNamespace(site.namespace()).withName(naming.secretName()).get();
        seen = s == null || s.getMetadata().getAnnotations() == null ? null
            : s.getMetadata().getAnnotations().get(naming.versionAnnotation());
      } catch (KubernetesClientException e) {
        seen = null; // keep waiting: a transient API error is no verdict
      }
      if (version.equals(seen) || !Instant.now().isBefore(deadline)) {
        break;
      }
      Thread.sleep(POLL);
    }
    if (version.equals(seen)) {
      r.put("sync", "landed");
      r.line("landed: Secret " + naming.secretName() + " in " + site.namespace() + " holds version " + version
          + " (after " + Duration.between(start, Instant.now()).toSeconds() + "s)");
    } else {
      r.put("sync", "not-landed");
      r.failAfterWrite("the write is upstream, but Secret " + naming.secretName() + " in " + site.namespace()
          + " did not hold version " + version + " within " + timeout.toSeconds() + "s (it holds "
          + (seen == null ? "no version" : "version " + seen) + "): see its Events, or run status");
    }
  }
}
