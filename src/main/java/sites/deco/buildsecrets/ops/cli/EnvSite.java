package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.SiteRef;

/**
 * The site an {@code env} command names (by site or by namespace), its upstream key, and whether the
 * operator delivers a write there: only to a namespace that exists and is opted in, and whose Secret
 * is absent or the operator's.
 *
 * @param deliveryRefusal why the operator would not deliver a write now, null when it would
 */
record EnvSite(String site, String namespace, String key, String deliveryRefusal) {

  /** The site of {@code siteOrNamespace}: a namespace {@code <prefix><site>} or a site name; exit 2 otherwise. */
  static String siteOf(Naming naming, String siteOrNamespace) {
    String site = naming.siteOf(siteOrNamespace).orElse(siteOrNamespace);
    if (site.isBlank() || site.contains("/") || !site.equals(site.strip())) {
      throw new IllegalArgumentException("'" + siteOrNamespace + "' is not a site name or a site namespace ("
          + naming.namespacePrefix() + "<site>)");
    }
    return site;
  }

  /** Reads the site's namespace to tell whether the operator would deliver a write. */
  static EnvSite resolve(Naming naming, KubernetesClient client, String siteOrNamespace) {
    String site = siteOf(naming, siteOrNamespace);
    String namespace = naming.namespacePrefix() + site;
    String refusal;
    try {
      Namespace ns = client.namespaces().withName(namespace).get();
      SiteRef ref = ns == null ? null : SiteRef.from(ns, naming).orElseThrow();
      refusal = ref == null ? "namespace " + namespace + " does not exist"
          : ref.terminating() ? "namespace " + namespace + " is being deleted"
          : !ref.optedIn() ? "namespace " + namespace + " is not opted in (annotation " + naming.managedAnnotation()
              + (ref.optInValue() == null ? " is absent" : " is not exactly '" + Naming.OPT_IN_VALUE + "'") + ")"
          : LocalSecret.of(client.secrets().inNamespace(namespace).withName(naming.secretName()).get(), naming)
              instanceof LocalSecret.Unowned ? "Secret " + naming.secretName() + " in " + namespace + " is hand-made "
              + "(not-owned): the operator leaves it alone until it is adopted (see adopt)"
          : null;
    } catch (KubernetesClientException e) {
      refusal = "namespace " + namespace + " could not be read (" + CliSupport.describe(e) + ")";
    }
    return new EnvSite(site, namespace, naming.upstreamKey(site), refusal);
  }
}
