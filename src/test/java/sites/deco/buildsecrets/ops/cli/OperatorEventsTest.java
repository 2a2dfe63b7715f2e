package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class OperatorEventsTest {

  private static Event event(String reason, String component, String kind, String at, String rv) {
    return new EventBuilder()
        .withNewMetadata().withName(reason + rv).withNamespace("sites-acme").withResourceVersion(rv).endMetadata()
        .withNewInvolvedObject().withKind(kind).withName("sites-acme").endInvolvedObject()
        .withReason(reason)
        .withNewSource().withComponent(component).endSource()
        .withLastTimestamp(at)
        .build();
  }

  @Test
  void theMostRecentOperatorEventAboutTheNamespaceWins() {
    List<Event> events = List.of(
        event("DeletionPaused", "build-secrets-operator", "Namespace", "2026-01-01T10:00:00Z", "10"),
        event("UpstreamMissing", "build-secrets-operator", "Namespace", "2026-01-01T09:00:00Z", "11"),
        event("Scheduled", "someone-else", "Namespace", "2026-01-01T11:00:00Z", "12"),
        event("Other", "build-secrets-operator", "Pod", "2026-01-01T12:00:00Z", "13"));
    assertThat(OperatorEvents.latest(events, "sites-acme")).map(Event::getReason).contains("DeletionPaused");
  }

  @Test
  void sameSecondTiesGoToTheLaterResourceVersion() {
    List<Event> events = List.of(
        event("UpstreamMissing", "build-secrets-operator", "Namespace", "2026-01-01T10:00:00Z", "20"),
        event("DeletionPaused", "build-secrets-operator", "Namespace", "2026-01-01T10:00:00Z", "9"));
    assertThat(OperatorEvents.latest(events, "sites-acme")).map(Event::getReason).contains("UpstreamMissing");
    assertThat(OperatorEvents.latest(List.of(), "sites-acme")).isEmpty();
  }
}
