package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.kube.SecretWriter;
import sites.deco.buildsecrets.sync.SiteRef;

@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Syncs one site namespace now: reads its upstream key directly, decides with the operator's rule table, "
            + "prints what changes (key names only) and applies it, unless --dry-run.",
        "A missing upstream key never deletes a Secret from the command line: only the operator does, within "
            + "its fleet-wide deletion budget.",
        "Exit 0 on success or nothing to do, 1 when refused (not owned, key missing), invalid or failed, 2 on usage errors."})
public final class SyncCommand implements Callable<Integer> {

  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;
  @Mixin SourceOptions sourceOptions;

  @Parameters(index = "0", paramLabel = "NAMESPACE", description = "The site namespace, e.g. sites-<site>.")
  String namespace;

  @Option(names = "--dry-run", description = "Print what would change; write nothing.")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    CliSupport.quietLogging();
    Naming naming = namingOptions.naming();
    if (naming.siteOf(namespace).isEmpty()) {
      throw new IllegalArgumentException("'" + namespace + "' is not a site namespace: its name must be "
          + naming.namespacePrefix() + "<site>");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (Source source = sourceOptions.open(); KubernetesClient client = new KubernetesClientBuilder().build()) {
      Namespace ns = client.namespaces().withName(namespace).get();
      if (ns == null) {
        err.println("error: namespace " + namespace + " not found");
        err.flush();
        return 1;
      }
      SiteRef site = SiteRef.from(ns, naming).orElseThrow();
      Secret secret = client.secrets().inNamespace(namespace).withName(naming.secretName()).get();
      Inspection in = Inspection.of(site, secret, naming, source);
      PlanDescription plan = PlanDescription.of(in.plan(), in.upstream());
      out.println(namespace + ": upstream key " + site.upstreamKey() + ": " + PlanDescription.upstream(in.upstream()));
      out.println(namespace + ": Secret " + naming.secretName() + ": " + PlanDescription.current(in.local()));
      out.println(namespace + ": " + (dryRun && plan.writes() ? "would " : "") + plan.text());
      if (plan.writes()) {
        if (dryRun) {
          out.println(namespace + ": dry run: nothing written");
        } else {
          SecretWriter writer = new SecretWriter(client, naming, new NoOpListener());
          try {
            writer.apply(site, in.plan(), secret);
            out.println(namespace + ": done");
          } catch (SecretWriter.Conflict c) {
            out.flush();
            err.println("error: the Secret changed while syncing (" + c.getMessage() + "); nothing was written: run again");
            err.flush();
            return 1;
          }
        }
      }
      out.flush();
      return plan.exitCode();
    } catch (KubernetesClientException e) {
      out.flush();
      err.println("error: " + CliSupport.describe(e));
      err.flush();
      return 1;
    }
  }

  private static final class NoOpListener implements SecretWriter.WriteListener {
    @Override
    public void created(Secret written) {}

    @Override
    public void updated(Secret written, Secret previous) {}
  }
}
