package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.sync.Outcome;

/**
 * Records core/v1 Events about a site Namespace, in that namespace, so the tenant sees them with
 * {@code kubectl get events -n sites-<site>}. Messages name keys at most. A failure to record is
 * logged and never fails the reconcile.
 */
final class NamespaceEvents {
  static final String COMPONENT = "build-secrets-operator";
  private static final Logger LOG = LoggerFactory.getLogger(NamespaceEvents.class);
  private static final int MAX_MESSAGE = 1024;
  private static final DateTimeFormatter RFC3339 =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private final KubernetesClient client;
  private final String instance;

  NamespaceEvents(KubernetesClient client, String instance) {
    this.client = client;
    this.instance = instance;
  }

  void record(String namespace, Outcome outcome, String message) {
    if (outcome.eventType() == null) {
      return;
    }
    String now = RFC3339.format(Instant.now());
    String text = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 1) + "…" : message;
    try {
      client.v1().events().inNamespace(namespace).resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(namespace + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 16))
                  .withNamespace(namespace)
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withApiVersion("v1")
                  .withKind("Namespace")
                  .withName(namespace)
                  .withNamespace(namespace)
                  .endInvolvedObject()
                  .withType(outcome.eventType().apiValue())
                  .withReason(outcome.eventReason())
                  .withMessage(text)
                  .withNewSource().withComponent(COMPONENT).endSource()
                  .withReportingComponent(COMPONENT)
                  .withReportingInstance(instance)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .build())
          .create();
    } catch (RuntimeException e) {
      LOG.debug("could not record {} event in {}: {}", outcome.eventReason(), namespace, e.getClass().getSimpleName());
    }
  }
}
