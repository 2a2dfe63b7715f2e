package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The operator's Events about a site Namespace, as NamespaceEvents records them. */
final class OperatorEvents {
  static final String COMPONENT = "build-secrets-operator";
  static final String DELETION_PAUSED = "DeletionPaused";

  private OperatorEvents() {}

  /** Reason of the most recent Event from the operator about this Namespace, in that namespace. */
  static Optional<String> lastReason(KubernetesClient client, String namespace) {
    List<Event> events = client.v1().events().inNamespace(namespace)
        .withField("involvedObject.kind", "Namespace")
        .withField("involvedObject.name", namespace)
        .list().getItems();
    return latest(events, namespace).map(Event::getReason);
  }

  /** Pure: the most recent of {@code events} that the operator recorded about Namespace {@code namespace}. */
  static Optional<Event> latest(List<Event> events, String namespace) {
    return events.stream()
        .filter(e -> e.getInvolvedObject() != null
            && "Namespace".equals(e.getInvolvedObject().getKind())
            && namespace.equals(e.getInvolvedObject().getName()))
        .filter(e -> (e.getSource() != null && COMPONENT.equals(e.getSource().getComponent()))
            || COMPONENT.equals(e.getReportingComponent()))
        .max(Comparator.comparing(OperatorEvents::when).thenComparing(OperatorEvents::resourceVersion));
  }

  /** RFC 3339 timestamps of one format compare correctly as text. */
  private static String when(Event e) {
    if (e.getLastTimestamp() != null) return e.getLastTimestamp();
    if (e.getEventTime() != null && e.getEventTime().getTime() != null) return e.getEventTime().getTime();
    if (e.getFirstTimestamp() != null) return e.getFirstTimestamp();
    return e.getMetadata() == null || e.getMetadata().getCreationTimestamp() == null
        ? "" : e.getMetadata().getCreationTimestamp();
  }

  private static long resourceVersion(Event e) {
    try {
      return Long.parseLong(e.getMetadata().getResourceVersion());
    } catch (RuntimeException ex) {
      return 0;
    }
  }
}
