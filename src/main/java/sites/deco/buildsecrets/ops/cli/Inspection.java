package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Secret;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.Plan;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SyncRules;

/**
 * One site run through the operator's own rule table, with a direct upstream read when the table
 * needs one: the same plan the operator would execute (whose budgeted deletions its guard admits).
 *
 * @param upstream null when the table needs no read
 */
record Inspection(SiteRef site, Secret secret, LocalSecret local, Upstream upstream, Plan plan) {

  static Inspection of(SiteRef site, Secret secret, Naming naming, Source source) {
    LocalSecret local = LocalSecret.of(secret, naming);
    Upstream upstream = SyncRules.needsUpstream(site, local) ? CliSupport.read(source, site.upstreamKey()) : null;
    return new Inspection(site, secret, local, upstream, SyncRules.decide(site, local, upstream));
  }

  String upstreamVersion() {
    return upstream instanceof Upstream.Found f ? f.version() : null;
  }

  String secretVersion() {
    return local instanceof LocalSecret.Managed m ? m.version() : null;
  }

  @Override
  public String toString() { // the Secret's own toString() holds its data
    return "Inspection[" + site.namespace() + ", " + plan.outcome() + "]";
  }
}
