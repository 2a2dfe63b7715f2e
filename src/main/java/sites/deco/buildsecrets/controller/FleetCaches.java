package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.sync.DeletionApproval;
import sites.deco.buildsecrets.sync.FleetCensus;
import sites.deco.buildsecrets.sync.SiteRef;

/** The fleet as the informer caches hold it: site Namespaces and their managed Secrets. */
final class FleetCaches {
  private final IndexerResourceCache<Namespace> namespaces;
  private final InformerEventSource<Secret, Namespace> secrets;
  private final Naming naming;

  FleetCaches(IndexerResourceCache<Namespace> namespaces, InformerEventSource<Secret, Namespace> secrets,
      Naming naming) {
    this.namespaces = namespaces;
    this.secrets = secrets;
    this.naming = naming;
  }

  Stream<Namespace> namespaces() {
    return namespaces.list();
  }

  Optional<Namespace> namespace(String name) {
    return namespaces.get(new ResourceID(name));
  }

  /** The managed Secret in a namespace as the cache holds it; null when there is none. */
  Secret secret(String namespace) {
    return secrets.get(secretIdIn(namespace, naming)).orElse(null);
  }

  /** The managed Secret's id in a namespace: how the Secret cache is looked up. */
  static ResourceID secretIdIn(String namespace, Naming naming) {
    return new ResourceID(naming.secretName(), namespace);
  }

  /** The managed Secrets in site namespaces: the deletion guard's population. */
  FleetCensus census() {
    List<FleetCensus.Member> members = new ArrayList<>();
    secrets.list()
        .filter(s -> naming.isOwned(s.getMetadata().getLabels()))
        .forEach(s -> namespace(s.getMetadata().getNamespace())
            .ifPresent(n -> SiteRef.from(n, naming).ifPresent(site -> {
              String approval = annotation(n, Naming.DELETION_APPROVAL_ANNOTATION);
              String uid = s.getMetadata().getUid();
              String version = s.getMetadata().getResourceVersion();
              members.add(new FleetCensus.Member(site.namespace(), uid, site.optedIn(), site.terminating(),
                  DeletionApproval.approvesDeletion(approval, uid, version),
                  DeletionApproval.approvesKeyRemoval(approval, uid, version)));
            })));
    return new FleetCensus(members);
  }

  static String annotation(Namespace ns, String key) {
    Map<String, String> a = ns.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }
}
