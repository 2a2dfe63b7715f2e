package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.sync.DeletionApproval;
import sites.deco.buildsecrets.sync.SiteRef;

/**
 * The deliberate way past the deletion budget: a person names the removals to let through. Each
 * approval is the annotation {@code deco.sites/build-secrets-deletion-approved} on the namespace,
 * naming the managed Secret it approves ({@link DeletionApproval}), so it approves that Secret
 * only, and a blanket or mistyped annotation approves nothing. Only the deletion approvers the
 * admission policies name may set it; anyone else is told so.
 */
@Command(
    name = "approve-deletions",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Approves the deletion of the managed build-secrets Secret in each named namespace (or every namespace that "
            + "opted out and still holds one, with --all-opted-out), or the removal of keys from it by an upstream "
            + "update, past the operator's fleet-wide deletion budget. The budget only: a missing upstream key is "
            + "still confirmed (delay and corroborating reads) before its Secret is deleted.",
        "Use it after a deliberate bulk opt-out or upstream clean-up that the deletion guard paused. The operator still "
            + "does only what its rule table says: re-opting a namespace in cancels the deletion.",
        "Under the chart's admission policies only the deletion approvers may approve (by default the break-glass "
            + "groups and the opt-in admins); --dry-run asks the API server whether you may.",
        "Exit 0 when every namespace was approved (or would be, with --dry-run), 1 when any was refused, 2 on usage errors."})
public final class ApproveDeletionsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;

  @ArgGroup(multiplicity = "1")
  Target target;

  static final class Target {
    @Parameters(paramLabel = "NAMESPACE", arity = "1..*", description = "Site namespaces, e.g. sites-<site>.")
    List<String> namespaces;

    @Option(names = "--all-opted-out", required = true,
        description = "Every site namespace that is not opted in and still holds a managed Secret.")
    boolean allOptedOut;
  }

  @Option(names = "--dry-run", description = "Print what would be approved; write nothing.")
  boolean dryRun;

  @Override
  public Integer call() throws Exception {
    CliSupport.quietLogging();
    Naming naming = namingOptions.naming();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (target.namespaces != null) {
      for (String ns : target.namespaces) {
        if (naming.siteOf(ns).isEmpty()) {
          throw new IllegalArgumentException("'" + ns + "' is not a site namespace: its name must be "
              + naming.namespacePrefix() + "<site>");
        }
      }
    }
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      List<String> namespaces = target.allOptedOut ? optedOutWithManagedSecret(client, naming) : target.namespaces;
      if (namespaces.isEmpty()) {
        out.println("nothing to approve: no site namespace that opted out still holds a managed Secret");
        out.flush();
        return 0;
      }
      int refused = 0;
      for (String ns : namespaces) {
        String line = approve(client, naming, ns);
        if (line.startsWith("refused")) {
          refused++;
        }
        out.println(ns + ": " + line);
      }
      out.flush();
      return refused == 0 ? 0 : 1;
    } catch (KubernetesClientException e) {
      out.flush();
      err.println("error: " + CliSupport.describe(e));
      err.flush();
      return 1;
    }
  }

  private String approve(KubernetesClient client, Naming naming, String namespace) {
    Namespace ns = client.namespaces().withName(namespace).get();
    if (ns == null) {
      return "refused: namespace not found";
    }
    Secret secret = client.secrets().inNamespace(namespace).withName(naming.secretName()).get();
    if (secret == null || !naming.isOwned(secret.getMetadata().getLabels())) {
      return "refused: no managed Secret " + naming.secretName() + " to delete";
    }
    SiteRef site = SiteRef.from(ns, naming).orElseThrow();
    String uid = secret.getMetadata().getUid();
    // An opt-out deletes the Secret, whatever its state. Opted in, the removal is the operator's to
    // find (a missing key, or an update dropping keys): the approval names the Secret's state, so
    // the write it lets through spends it.
    String approval = site.optedIn() ? DeletionApproval.ofState(uid, secret.getMetadata().getResourceVersion()) : uid;
    String what = site.optedIn()
        ? "removal from Secret " + naming.secretName() + " (uid " + uid + "): its deletion for a missing upstream key, "
            + "or an upstream update that drops keys, applied only if the operator finds one"
        : "deletion of Secret " + naming.secretName() + " (uid " + uid + "), cause opt-out";
    // A merge patch of one annotation: nothing else on the Namespace changes. Sent as a server-side
    // dry run first with --dry-run, so the admission policies say whether this caller may approve.
    var patch = client.namespaces().withName(namespace);
    String body = "{\"metadata\":{\"annotations\":{\"" + Naming.DELETION_APPROVAL_ANNOTATION + "\":\"" + approval + "\"}}}";
    try {
      (dryRun ? patch.dryRun() : patch).patch(PatchContext.of(PatchType.JSON_MERGE), body);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        return "refused: you may not approve deletions (" + CliSupport.describeRefusal(e) + "); approvals are "
            + "reserved to the deletion approvers the admission policies name (chart value "
            + "admissionPolicies.deletionApprovers; by default the break-glass groups and the opt-in admins)";
      }
      throw e;
    }
    return (dryRun ? "would approve the " : "approved the ") + what;
  }

  private static List<String> optedOutWithManagedSecret(KubernetesClient client, Naming naming) {
    List<String> out = new ArrayList<>();
    for (Namespace ns : client.namespaces().list().getItems()) {
      SiteRef.from(ns, naming).filter(site -> !site.optedIn() && !site.terminating()).ifPresent(site -> {
        Secret s = client.secrets().inNamespace(site.namespace()).withName(naming.secretName()).get();
        if (s != null && naming.isOwned(s.getMetadata().getLabels())) {
          out.add(site.namespace());
        }
      });
    }
    return out;
  }
}
