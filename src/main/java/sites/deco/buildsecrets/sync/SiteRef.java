package sites.deco.buildsecrets.sync;

import io.fabric8.kubernetes.api.model.Namespace;
import java.util.Map;
import java.util.Optional;
import sites.deco.buildsecrets.config.Naming;

/**
 * A site namespace, parsed once per reconcile: which site, which upstream key, and whether it is
 * opted in. Opted in means the annotation is exactly {@code enabled} and the namespace is not being
 * deleted, as in the Go operator; {@code true}, {@code Enabled} or {@code " enabled"} are off.
 *
 * @param optInValue the annotation's raw value, null when absent
 * @param syncToken the force-sync annotation's value, null when absent
 */
public record SiteRef(
    String namespace,
    String site,
    String upstreamKey,
    String optInValue,
    boolean terminating,
    String syncToken) {

  public static Optional<SiteRef> from(Namespace ns, Naming naming) {
    String name = ns.getMetadata().getName();
    return naming
        .siteOf(name)
        .map(
            site -> {
              Map<String, String> annotations = ns.getMetadata().getAnnotations();
              String optIn = annotations == null ? null : annotations.get(naming.managedAnnotation());
              String sync = annotations == null ? null : annotations.get(naming.syncAnnotation());
              boolean terminating = ns.getMetadata().getDeletionTimestamp() != null;
              return new SiteRef(name, site, naming.upstreamKey(site), optIn, terminating, sync);
            });
  }

  public boolean optedIn() {
    return Naming.OPT_IN_VALUE.equals(optInValue) && !terminating;
  }

  /** The annotation is present with a value that does not opt in: worth telling the tenant. */
  public boolean hasUnrecognisedOptIn() {
    return optInValue != null && !Naming.OPT_IN_VALUE.equals(optInValue) && !terminating;
  }
}
