package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;

class NamespaceEventFilterTest {
  private static final Naming N = Naming.DEFAULTS;
  private static final String OPT_IN = N.managedAnnotation();
  private static final String SYNC = N.syncAnnotation();

  private final NamespaceEventFilter filter = new NamespaceEventFilter(N);

  private static Namespace ns(String name, Map<String, String> annotations) {
    return new NamespaceBuilder().withNewMetadata().withName(name).withAnnotations(annotations).endMetadata().build();
  }

  private static Namespace site(Map<String, String> annotations) {
    return ns("sites-acme", annotations);
  }

  private static Namespace copy(Namespace ns) {
    return new NamespaceBuilder(ns).build();
  }

  // ---------------------------------------------------------------- isSite / onAdd

  @Test
  void siteNamespaceIsASite() {
    assertThat(filter.isSite(ns("sites-x", null))).isTrue();
  }

  @Test
  void kubeSystemIsNotASite() {
    assertThat(filter.isSite(ns("kube-system", null))).isFalse();
  }

  @Test
  void onAddAcceptsSitesOnly() {
    assertThat(filter.onAdd().accept(ns("sites-x", null))).isTrue();
    assertThat(filter.onAdd().accept(ns("kube-system", null))).isFalse();
  }

  // ---------------------------------------------------------------- isRelevantChange

  @Test
  void optInAddedIsRelevant() {
    assertThat(filter.isRelevantChange(site(Map.of(OPT_IN, "enabled")), site(null))).isTrue();
  }

  @Test
  void optInRemovedIsRelevant() {
    assertThat(filter.isRelevantChange(site(Map.of()), site(Map.of(OPT_IN, "enabled")))).isTrue();
  }

  @Test
  void optInValueChangedIsRelevant() {
    assertThat(filter.isRelevantChange(site(Map.of(OPT_IN, "true")), site(Map.of(OPT_IN, "enabled")))).isTrue();
  }

  @Test
  void syncAnnotationChangedIsRelevant() {
    Namespace old = site(Map.of(OPT_IN, "enabled", SYNC, "1"));
    Namespace updated = site(Map.of(OPT_IN, "enabled", SYNC, "2"));

    assertThat(filter.isRelevantChange(updated, old)).isTrue();
  }

  @Test
  void syncAnnotationAddedIsRelevant() {
    Namespace old = site(Map.of(OPT_IN, "enabled"));
    Namespace updated = site(Map.of(OPT_IN, "enabled", SYNC, "1"));

    assertThat(filter.isRelevantChange(updated, old)).isTrue();
  }

  @Test
  void unrelatedAnnotationChangedIsNotRelevant() {
    Namespace old = site(Map.of(OPT_IN, "enabled", "other/annotation", "a"));
    Namespace updated = site(Map.of(OPT_IN, "enabled", "other/annotation", "b"));

    assertThat(filter.isRelevantChange(updated, old)).isFalse();
  }

  @Test
  void onlyALabelChangedIsNotRelevant() {
    Namespace old = site(Map.of(OPT_IN, "enabled"));
    Namespace updated = copy(old);
    updated.getMetadata().setLabels(Map.of("team", "blue"));

    assertThat(filter.isRelevantChange(updated, old)).isFalse();
  }

  @Test
  void onlyAFinalizerChangedIsNotRelevant() {
    Namespace old = site(Map.of(OPT_IN, "enabled"));
    Namespace updated = copy(old);
    updated.getMetadata().setFinalizers(java.util.List.of("example.com/cleanup"));

    assertThat(filter.isRelevantChange(updated, old)).isFalse();
  }

  @Test
  void deletionTimestampAppearingIsRelevant() {
    Namespace old = site(Map.of(OPT_IN, "enabled"));
    Namespace updated = copy(old);
    updated.getMetadata().setDeletionTimestamp("2025-01-01T00:00:00Z");

    assertThat(filter.isRelevantChange(updated, old)).isTrue();
  }

  @Test
  void furtherChangesWhileTerminatingAreNotRelevant() {
    Namespace old = site(Map.of(OPT_IN, "enabled"));
    old.getMetadata().setDeletionTimestamp("2025-01-01T00:00:00Z");
    Namespace updated = copy(old);
    updated.getMetadata().setFinalizers(java.util.List.of());

    assertThat(filter.isRelevantChange(updated, old)).isFalse();
  }

  @Test
  void nonSiteNamespaceChangeIsNotRelevant() {
    Namespace old = ns("kube-system", null);
    Namespace updated = ns("kube-system", Map.of(OPT_IN, "enabled", SYNC, "1"));
    updated.getMetadata().setDeletionTimestamp("2025-01-01T00:00:00Z");

    assertThat(filter.isRelevantChange(updated, old)).isFalse();
  }

  @Test
  void onUpdateTakesTheNewResourceFirst() {
    Namespace old = site(Map.of(OPT_IN, "enabled"));
    Namespace updated = copy(old);
    updated.getMetadata().setDeletionTimestamp("2025-01-01T00:00:00Z");

    // JOSDK calls accept(newResource, oldResource)
    assertThat(filter.onUpdate().accept(updated, old)).isTrue();
    assertThat(filter.onUpdate().accept(old, updated)).isFalse();
  }
}
