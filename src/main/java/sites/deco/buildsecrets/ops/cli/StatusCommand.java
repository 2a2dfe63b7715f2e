package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.sync.DeletionApproval;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.sync.SiteRef;

@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Shows every opted-in site namespace, and every other one still holding a managed Secret (its deletion due "
            + "or paused), with the state the operator's rule table gives it now: "
            + "synced, out-of-sync, upstream-missing, deletion-paused, not-owned, invalid or error.",
        "Reads the current kubeconfig context and upstream directly; writes nothing and never prints a Secret value.",
        "Exit 0 when every site could be shown, 1 when the cluster could not be read, 2 on usage errors."})
public final class StatusCommand implements Callable<Integer> {

  public enum Format { table, json }

  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;
  @Mixin SourceOptions sourceOptions;
  @Mixin DeletionLedgerOptions deletionLedger;

  @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default table).")
  Format output;

  @Option(names = "--threads", defaultValue = "8", description = "Concurrent upstream reads (default 8).")
  int threads;

  @Override
  public Integer call() throws Exception {
    CliSupport.quietLogging();
    Naming naming = namingOptions.naming();
    if (threads < 1) {
      throw new IllegalArgumentException("--threads must be at least 1");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (Source source = sourceOptions.open(); KubernetesClient client = new KubernetesClientBuilder().build()) {
      // One list call for every Secret of that name (the operator's RBAC allows exactly this).
      Map<String, Secret> secrets = new HashMap<>();
      for (Secret s : client.secrets().inAnyNamespace().withField("metadata.name", naming.secretName()).list().getItems()) {
        secrets.put(s.getMetadata().getNamespace(), s);
      }
      // Opted-in sites, and opted-out ones still holding a managed Secret: a deletion due or paused.
      List<SiteRef> shown = new ArrayList<>();
      Map<String, Namespace> namespaces = new HashMap<>();
      int others = 0;
      for (Namespace ns : client.namespaces().list().getItems()) {
        SiteRef site = SiteRef.from(ns, naming).orElse(null);
        if (site == null) continue;
        Secret secret = secrets.get(site.namespace());
        if (site.optedIn() || (secret != null && naming.isOwned(secret.getMetadata().getLabels()))) {
          shown.add(site);
          namespaces.put(site.namespace(), ns);
        } else {
          others++;
        }
      }
      Instant now = Instant.now();
      List<StatusRow> rows = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, Math.max(1, shown.size())));
      try {
        List<Future<StatusRow>> futures = new ArrayList<>();
        for (SiteRef site : shown) {
          futures.add(pool.submit(() -> row(client, naming, source, site, namespaces.get(site.namespace()),
              secrets.get(site.namespace()), now)));
        }
        for (Future<StatusRow> f : futures) {
          rows.add(f.get());
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof KubernetesClientException k) throw k;
        throw e;
      } finally {
        pool.shutdownNow();
      }
      rows.sort(Comparator.comparing(StatusRow::namespace));
      String guard = guardNote(client, now);
      if (output == Format.json) {
        out.print(StatusRendering.json(rows));
        if (others > 0) {
          err.println(others + " other site namespace(s) are not opted in (state off).");
        }
        if (guard != null) {
          err.print(guard);
        }
      } else {
        out.print(StatusRendering.table(rows, others));
        if (guard != null) {
          out.print(guard);
        }
      }
      out.flush();
      err.flush();
      return 0;
    } catch (KubernetesClientException e) {
      err.println("error: " + CliSupport.describe(e));
      err.flush();
      return 1;
    }
  }

  /** What the deletion guard's ledger says, when there is something to say; null otherwise. */
  private String guardNote(KubernetesClient client, Instant now) {
    OperatorConfig.DeletionLedgerLocation at = deletionLedger.location();
    if (at == null) {
      return null;
    }
    ConfigMapDeletionLedger ledger = new ConfigMapDeletionLedger(client, at.namespace(), at.name());
    try {
      DeletionLedger.State state = ledger.load();
      if (!ledger.existed()) {
        return "Deletion guard: no ledger at " + ledger.describe() + " (the operator creates it at its first budgeted "
            + "deletion, in its own namespace: point --deletion-ledger-namespace there).\n";
      }
      return StatusRendering.guardNote(state, ledger.describe(), now);
    } catch (DeletionLedger.Unavailable e) {
      return "Deletion guard: not shown (" + e.getMessage() + ").\n";
    }
  }

  private static StatusRow row(KubernetesClient client, Naming naming, Source source, SiteRef site, Namespace ns,
      Secret secret, Instant now) {
    Inspection in = Inspection.of(site, secret, naming, source);
    boolean paused = false;
    if (StatusState.needsLastEvent(in.plan())) {
      paused = OperatorEvents.lastReason(client, site.namespace()).map(OperatorEvents.DELETION_PAUSED::equals).orElse(false);
    }
    String created = secret != null ? secret.getMetadata().getCreationTimestamp() : ns.getMetadata().getCreationTimestamp();
    String age = created == null ? "-" : HumanAge.since(Instant.parse(created), now);
    Map<String, String> annotations = ns.getMetadata().getAnnotations();
    String approval = annotations == null ? null : annotations.get(Naming.DELETION_APPROVAL_ANNOTATION);
    boolean standingApproval = secret != null && !StatusState.needsLastEvent(in.plan())
        && DeletionApproval.approvesDeletion(approval, secret.getMetadata().getUid(),
            secret.getMetadata().getResourceVersion());
    return new StatusRow(site.namespace(), site.site(), StatusState.of(in.plan(), paused), in.upstreamVersion(),
        in.secretVersion(), age, standingApproval);
  }
}
