package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnAddFilter;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Map;
import java.util.Objects;
import sites.deco.buildsecrets.config.Naming;

/**
 * Decides which Namespace events reach the reconciler. Every site namespace is reconciled once when
 * first seen (so an opt-out that happened while the operator was down is still cleaned up). After
 * that only a change of the opt-in annotation, of the force-sync annotation, of a deletion
 * approval, or the start of
 * deletion counts: another controller's labels or finalizers cost nothing. Old and new are
 * compared, so removing the opt-in still reaches the reconciler.
 */
final class NamespaceEventFilter {
  private final Naming naming;

  NamespaceEventFilter(Naming naming) {
    this.naming = naming;
  }

  OnAddFilter<Namespace> onAdd() {
    return this::isSite;
  }

  OnUpdateFilter<Namespace> onUpdate() {
    return this::isRelevantChange;
  }

  boolean isSite(Namespace ns) {
    return naming.siteOf(ns.getMetadata().getName()).isPresent();
  }

  boolean isRelevantChange(Namespace newNs, Namespace oldNs) {
    return isSite(newNs)
        && (!Objects.equals(annotation(oldNs, naming.managedAnnotation()), annotation(newNs, naming.managedAnnotation()))
            || !Objects.equals(annotation(oldNs, naming.syncAnnotation()), annotation(newNs, naming.syncAnnotation()))
            || !Objects.equals(annotation(oldNs, Naming.DELETION_APPROVAL_ANNOTATION),
                annotation(newNs, Naming.DELETION_APPROVAL_ANNOTATION))
            || (oldNs.getMetadata().getDeletionTimestamp() == null
                && newNs.getMetadata().getDeletionTimestamp() != null));
  }

  private static String annotation(Namespace ns, String key) {
    Map<String, String> a = ns.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }
}
