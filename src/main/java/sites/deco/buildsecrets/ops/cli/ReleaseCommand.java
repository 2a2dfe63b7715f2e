package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.ManagedMarks;
import sites.deco.buildsecrets.sync.SiteRef;

@Command(
    name = "release",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Hands a managed build-secrets Secret back to people: removes both ownership labels and the operator's "
            + "annotations in one update that carries the resourceVersion it read. The Secret and its data stay; "
            + "the operator leaves it alone from then on (a NotOwned Warning while the namespace is opted in). "
            + "Upstream is neither read nor written.",
        "Identity: docs/adopter-rbac.yaml's RBAC and, under the guard-rails admission policies, membership of the "
            + "break-glass group (admissionPolicies.breakGlassGroups): only the operator and that group may un-label a "
            + "managed Secret. Impersonation (kubectl --as/--as-group, or a kubeconfig that impersonates) replaces "
            + "your groups: name every group you need. The update is first sent as a server-side dry run, so a "
            + "refusal (also with --dry-run) names the policy and changes nothing.",
        "Exit 0 when every namespace was released (or was not managed), 1 when any was refused or aborted, "
            + "2 on usage errors."})
public final class ReleaseCommand implements Callable<Integer> {

  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;

  @Parameters(arity = "1..*", paramLabel = "NAMESPACE", description = "Site namespaces to release, e.g. sites-<site>.")
  List<String> namespaces = new ArrayList<>();

  @Mixin HandOverOptions options;

  @Override
  public Integer call() throws Exception {
    CliSupport.quietLogging();
    Naming naming = namingOptions.naming();
    HandOverSupport.requireSiteNamespaces(naming, namespaces);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      List<HandOver> results = new ArrayList<>();
      for (String ns : namespaces) {
        results.add(release(client, naming, ns));
      }
      return HandOverSupport.print(out, results, options.output, results.size() > 1, options.dryRun);
    } catch (KubernetesClientException e) {
      return HandOverSupport.kubeError(out, err, e);
    }
  }

  private HandOver release(KubernetesClient client, Naming naming, String namespace) {
    HandOverSupport.Result r = new HandOverSupport.Result(namespace, naming.siteOf(namespace).orElseThrow());
    Namespace ns = client.namespaces().withName(namespace).get();
    if (ns == null) {
      return r.refuse("namespace " + namespace + " not found");
    }
    SiteRef site = SiteRef.from(ns, naming).orElseThrow();
    Secret secret = client.secrets().inNamespace(namespace).withName(naming.secretName()).get();
    LocalSecret.Managed managed;
    switch (LocalSecret.of(secret, naming)) {
      case LocalSecret.Absent a -> {
        return r.refuse("no Secret " + naming.secretName() + ": nothing to release");
      }
      case LocalSecret.Unowned u -> {
        r.line("Secret " + naming.secretName() + ": not managed by the operator: nothing to do");
        return r.finish(HandOver.Status.NOT_MANAGED);
      }
      case LocalSecret.Managed m -> managed = m;
    }
    r.version = managed.version();
    r.upstream = "none";
    r.secret = "unlabel";
    String would = options.dryRun ? "would " : "";
    r.line("Secret " + naming.secretName() + ": managed at version " + (managed.version() == null ? "(none)"
        : managed.version()) + " with keys " + managed.keys());
    r.line("Secret: " + would + "remove labels " + naming.managedByLabel() + ", " + naming.featureLabel()
        + " and annotations " + ManagedMarks.annotationKeys(naming) + " (one update, with the resourceVersion read); "
        + "data unchanged; it stays as a hand-made Secret");
    if (site.optedIn()) {
      r.line("namespace: stays opted in, so the operator warns NotOwned and leaves the Secret alone; remove "
          + naming.managedAnnotation() + " only after the release (before it, the operator would delete the "
          + "managed Secret as opted out)");
    }
    // The update as a server-side dry run first, so --dry-run also tells whether this identity may.
    for (boolean dryRun : options.dryRun ? new boolean[] {true} : new boolean[] {true, false}) {
      try {
        HandOverSupport.update(client, released(secret, naming), dryRun);
      } catch (HandOverSupport.NotUpdated e) {
        String why = e.getMessage() + (dryRun ? " (server-side dry run)" : "")
            + "; nothing was released: the Secret is still managed";
        return e.concurrent ? r.abort(why + "; run again") : r.error(why);
      }
    }
    if (options.dryRun) {
      r.line("API server: the Secret update passes a server-side dry run (RBAC and admission policies)");
      r.line("dry run: nothing written");
      return r.finish(HandOver.Status.WOULD_RELEASE);
    }
    r.line("released: the Secret is hand-made again; the operator no longer writes it");
    return r.finish(HandOver.Status.RELEASED);
  }

  private static Secret released(Secret current, Naming naming) {
    Map<String, String> labels = new LinkedHashMap<>(current.getMetadata().getLabels());
    ManagedMarks.labels(naming).keySet().forEach(labels::remove);
    Map<String, String> annotations = new LinkedHashMap<>(
        current.getMetadata().getAnnotations() == null ? Map.of() : current.getMetadata().getAnnotations());
    ManagedMarks.annotationKeys(naming).forEach(annotations::remove);
    return new SecretBuilder(current)
        .editMetadata().withLabels(labels).withAnnotations(annotations).endMetadata()
        .build();
  }
}
