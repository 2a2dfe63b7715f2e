package sites.deco.buildsecrets.ops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.source.UpstreamWriter;
import sites.deco.buildsecrets.sync.KeyDiff;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.ManagedMarks;
import sites.deco.buildsecrets.sync.SiteRef;

@Command(
    name = "adopt",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Hands a hand-made build-secrets Secret over to the operator, without a moment in which it is absent: "
            + "checks it against the payload rules as the operator would read it back, sends every Kubernetes write "
            + "it will make as a server-side dry run, makes the upstream key hold its data (creating it, tagged, when "
            + "absent; replacing the current version only if it is still the one read, so a rotation made meanwhile "
            + "stays current), then adds both ownership labels and the version annotation in one update that "
            + "carries the resourceVersion it read.",
        "Identity: your kubeconfig identity with docs/adopter-rbac.yaml's RBAC and, under the guard-rails admission "
            + "policies, membership of the break-glass group (admissionPolicies.breakGlassGroups) to label the "
            + "Secret; with --opt-in, also an opt-in admin (admissionPolicies.optInAdmins). Impersonation (kubectl "
            + "--as/--as-group, or a kubeconfig that impersonates) replaces your groups: name every group you need. "
            + "A refusal of a dry run stops the namespace before any write, naming the policy. Your AWS credentials "
            + "write upstream (the operator stays read-only there).",
        "AWS Secrets Manager only: with --build-secrets-backend=vault adopt stops with an error before any call.",
        "Never prints a value: key names, versions and rules only.",
        "Exit 0 when every namespace was adopted (or already managed), 1 when any was refused or aborted, "
            + "2 on usage errors."})
public final class AdoptCommand implements Callable<Integer> {
  /** Tags on every key adopt creates, so they can be found later (list-secrets --filters Key=tag-key,...). */
  static final String TAG_ADOPTED_FROM = "deco.sites/adopted-from";
  static final String TAG_CREATED_BY = "deco.sites/created-by";
  static final String CREATED_BY = "build-secrets-operator adopt";
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String OPT_IN_ADMIN_NEEDED = "under the guard-rails admission policies only the opt-in admins "
      + "(admissionPolicies.optInAdmins) may opt a site namespace in: run --opt-in as one of them, or ask one to opt "
      + "the namespace in first";

  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;
  @Mixin SourceOptions sourceOptions;

  @Parameters(arity = "0..*", paramLabel = "NAMESPACE", description = "Site namespaces to adopt, e.g. sites-<site>.")
  List<String> namespaces = new ArrayList<>();

  @Option(names = "--all", description = "Every site namespace in state not-owned (opted in, with a hand-made Secret).")
  boolean all;

  @Option(names = "--prefer", paramLabel = "upstream|local",
      description = "When upstream holds a different value: upstream (the Secret takes upstream's value) or local "
          + "(upstream gets a new version with the Secret's data). Without it such a namespace is refused.")
  Adoption.Prefer prefer;

  @Option(names = "--opt-in", description = "Also set the opt-in annotation on a namespace that lacks it, before the "
      + "hand-over. Without it such a namespace is refused: the operator deletes a managed Secret where it is off.")
  boolean optIn;

  @Mixin HandOverOptions options;

  @Override
  public Integer call() throws Exception {
    CliSupport.quietLogging();
    Naming naming = namingOptions.naming();
    if (all == !namespaces.isEmpty()) {
      throw new IllegalArgumentException("name the namespaces to adopt, or give --all (not both)");
    }
    HandOverSupport.requireSiteNamespaces(naming, namespaces);
    sourceOptions.requireAws("adopt");
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    TokenBucket bucket = sourceOptions.tokenBucket(); // one bucket for every read and write
    try (Source source = sourceOptions.open(bucket);
        UpstreamWriter writer = options.dryRun ? null : sourceOptions.openWriter(bucket);
        KubernetesClient client = new KubernetesClientBuilder().build()) {
      List<String> targets = namespaces;
      int notOptedIn = 0;
      if (all) {
        targets = new ArrayList<>();
        Map<String, Secret> secrets = new HashMap<>();
        for (Secret s : client.secrets().inAnyNamespace().withField("metadata.name", naming.secretName()).list().getItems()) {
          secrets.put(s.getMetadata().getNamespace(), s);
        }
        for (Namespace ns : client.namespaces().list().getItems()) {
          SiteRef site = SiteRef.from(ns, naming).orElse(null);
          Secret secret = site == null ? null : secrets.get(site.namespace());
          if (secret == null || !(LocalSecret.of(secret, naming) instanceof LocalSecret.Unowned)) continue;
          if (site.optedIn()) {
            targets.add(site.namespace());
          } else if (!site.terminating()) {
            notOptedIn++;
          }
        }
        targets.sort(null);
      }
      List<HandOver> results = new ArrayList<>();
      for (String ns : targets) {
        results.add(adopt(client, naming, source, writer, ns));
      }
      if (all && results.isEmpty() && options.output == HandOverSupport.Format.text) {
        out.println("No site namespace is in state not-owned.");
      }
      int exit = HandOverSupport.print(out, results, options.output, all || results.size() > 1, options.dryRun);
      if (notOptedIn > 0) {
        err.println(notOptedIn + " site namespace(s) that are not opted in hold a hand-made " + naming.secretName()
            + "; --all leaves them out: name them, with --opt-in.");
        err.flush();
      }
      return exit;
    } catch (KubernetesClientException e) {
      return HandOverSupport.kubeError(out, err, e);
    }
  }

  private HandOver adopt(KubernetesClient client, Naming naming, Source source, UpstreamWriter writer, String namespace) {
    String siteName = naming.siteOf(namespace).orElseThrow();
    HandOverSupport.Result r = new HandOverSupport.Result(namespace, siteName);
    Namespace ns = client.namespaces().withName(namespace).get();
    if (ns == null) {
      return r.refuse("namespace " + namespace + " not found");
    }
    SiteRef site = SiteRef.from(ns, naming).orElseThrow();
    Secret secret = client.secrets().inNamespace(namespace).withName(naming.secretName()).get();
    switch (LocalSecret.of(secret, naming)) {
      case LocalSecret.Absent a -> {
        return r.refuse("no Secret " + naming.secretName() + ": nothing to adopt (the operator creates it from "
            + "upstream once the namespace is opted in)");
      }
      case LocalSecret.Managed m -> {
        r.line("Secret " + naming.secretName() + ": already managed by the operator (version "
            + (m.version() == null ? "(none)" : m.version()) + "): nothing to do");
        r.version = m.version();
        return r.finish(HandOver.Status.ALREADY_MANAGED);
      }
      case LocalSecret.Unowned u -> r.line("Secret " + naming.secretName() + ": hand-made, type "
          + (secret.getType() == null ? Adoption.OPAQUE : secret.getType()) + ", keys "
          + new TreeSet<>(secret.getData() == null ? List.of() : secret.getData().keySet()));
    }
    Adoption.Local checked = Adoption.check(secret);
    if (checked instanceof Adoption.Local.Refused refused) {
      return r.refuse(refused.describe());
    }
    Adoption.Local.Valid local = (Adoption.Local.Valid) checked;
    String refusal = Adoption.refuseNamespace(site, optIn, naming.managedAnnotation());
    if (refusal != null) {
      return r.refuse(refusal);
    }
    String key = site.upstreamKey();
    Upstream upstream = CliSupport.read(source, key);
    r.line("upstream " + key + ": " + PlanDescription.upstream(upstream));
    if (upstream instanceof Upstream.Found f) {
      r.difference = KeyDiff.between(local.data(), f.data());
    }
    Adoption.Decision decision = Adoption.decide(key, local, upstream, prefer);
    if (decision instanceof Adoption.Decision.Refuse refuse) {
      return r.refuse(refuse.reason());
    }
    Adoption.Decision.Proceed p = (Adoption.Decision.Proceed) decision;
    r.upstream = p.upstream().label;
    r.version = p.version();
    String would = options.dryRun ? "would " : "";
    r.line("upstream: " + switch (p.upstream()) {
      case NONE -> "no write (" + (p.secretChange().isEmpty() ? "it equals the Secret" : "the Secret takes its value")
          + ")";
      case CREATE -> would + "create " + key + " with keys " + local.data().keys() + ", tagged " + tags(namespace, naming);
      case PUT_VALUE -> would + "store a new version of " + key + " with the Secret's keys " + local.data().keys()
          + (p.difference() == null ? ", replacing the invalid payload" : " (" + Adoption.describe(p.difference()) + ")");
    });
    r.secret = p.secretChange().isEmpty() ? "label" : "label+data";
    r.line("Secret: " + would + "add labels " + naming.managedByLabel() + ", " + naming.featureLabel()
        + " and annotation " + naming.versionAnnotation() + " (one update, with the resourceVersion read); "
        + (p.secretChange().isEmpty() ? "data unchanged" : "data takes upstream's value: " + p.secretChange()));
    boolean setOptIn = !site.optedIn();
    r.optIn = setOptIn ? (options.dryRun ? "would-set" : "set") : "already";
    if (setOptIn) {
      r.line("namespace: " + would + "set " + naming.managedAnnotation() + "=enabled, before the hand-over");
    }
    // Every Kubernetes write, as a server-side dry run (RBAC, admission policies, the resourceVersion
    // read) before anything is written anywhere: a refusal now leaves upstream untouched.
    String readVersion = p.upstream() == Adoption.UpstreamAction.PUT_VALUE && p.difference() != null
        ? ((Upstream.Found) upstream).version() : null;
    HandOver refused = refusedByApiServer(client, naming, namespace, setOptIn,
        handedOver(secret, naming, p, version(p, readVersion)), r);
    if (refused != null) {
      return refused;
    }
    r.line("API server: " + (setOptIn ? "the opt-in patch and " : "") + "the Secret update pass a server-side dry "
        + "run (RBAC and admission policies)");
    if (options.dryRun) {
      r.line("dry run: nothing written");
      return r.finish(HandOver.Status.WOULD_ADOPT);
    }

    String version = p.version();
    try {
      switch (p.upstream()) {
        case CREATE -> {
          version = writer.create(key, local.json(), tags(namespace, naming));
          r.line("upstream: created " + key + " at version " + version);
        }
        case PUT_VALUE -> {
          if (readVersion == null) {
            // Upstream held an invalid payload, whose version the read does not return: take the
            // version current now, then check the value is still the invalid one read.
            readVersion = writer.currentVersion(key);
            if (!(CliSupport.read(source, key) instanceof Upstream.Invalid)) {
              return r.abort("upstream " + key + " changed while adopt read it; nothing was written: run again");
            }
          }
          UpstreamWriter.Replaced replaced = writer.replaceCurrent(key, local.json(), readVersion);
          version = replaced.version();
          r.line("upstream: stored version " + version + ", made current in place of version " + readVersion);
          if (replaced.leftOver() != null) {
            r.line("upstream: " + replaced.leftOver());
          }
        }
        case NONE -> { }
      }
    } catch (UpstreamWriter.KeyExists e) {
      return r.abort("upstream " + key + " was created by someone else since it was read; nothing was handed "
          + "over: run again");
    } catch (UpstreamWriter.ConcurrentWrite e) {
      return r.abort(e.getMessage() + ": that write stays current and nothing was handed over; the Secret is "
          + "untouched" + (e.leftOver == null ? "" : "; " + e.leftOver) + "; run again to compare afresh");
    } catch (SourceException e) {
      return r.error("upstream write failed, " + e.getMessage() + "; the Secret is untouched"
          + (e.kind() == SourceException.Kind.ACCESS_DENIED
              ? " (adopt uses your AWS credentials: they need secretsmanager:CreateSecret, TagResource, "
                  + "PutSecretValue and UpdateSecretVersionStage on " + key + ", see docs/operations.md)"
              : ""));
    }
    r.version = version;
    // Past this point upstream holds the Secret's data; a re-run finds them equal and only labels.
    String upstreamDone = p.upstream() == Adoption.UpstreamAction.NONE
        ? "upstream is unchanged"
        : "upstream " + key + " now holds the Secret's data at version " + version;
    String finish = "; to finish, run the same adopt command again: while the Secret's data is unchanged, "
        + "upstream equals it and adopt only labels it";
    if (setOptIn) {
      try {
        client.namespaces().withName(namespace).patch(PatchContext.of(PatchType.JSON_MERGE), optInPatch(naming));
        r.line("namespace: set " + naming.managedAnnotation() + "=enabled");
      } catch (KubernetesClientException e) {
        return r.error("opting the namespace in failed after its dry run passed (" + CliSupport.describeRefusal(e)
            + "); " + upstreamDone + "; the namespace is not opted in and the Secret stays hand-made" + finish);
      }
    }
    try {
      HandOverSupport.update(client, handedOver(secret, naming, p, version), false);
    } catch (HandOverSupport.NotUpdated e) {
      String outcome = "; nothing was handed over: the Secret stays hand-made; " + upstreamDone
          + (setOptIn ? "; the namespace is opted in now" : "") + finish;
      return e.concurrent ? r.abort(e.getMessage() + outcome) : r.error(e.getMessage() + outcome);
    }
    r.line("adopted: the Secret is managed at upstream version " + version + "; the operator finds it in sync");
    return r.finish(HandOver.Status.ADOPTED);
  }

  /**
   * Sends the opt-in patch (when {@code setOptIn}) and the Secret update as server-side dry runs.
   *
   * @return null when both pass; else the namespace's result: aborted when the Secret changed since it
   *     was read, refused (naming the refusal and the identity needed) otherwise
   */
  private static HandOver refusedByApiServer(KubernetesClient client, Naming naming, String namespace,
      boolean setOptIn, Secret desired, HandOverSupport.Result r) {
    String nothing = "; nothing was written anywhere";
    if (setOptIn) {
      try {
        client.namespaces().withName(namespace).dryRun().patch(PatchContext.of(PatchType.JSON_MERGE), optInPatch(naming));
      } catch (KubernetesClientException e) {
        return r.refuse("opting the namespace in was refused (server-side dry run): " + CliSupport.describeRefusal(e)
            + HandOverSupport.identityNeeded(e, OPT_IN_ADMIN_NEEDED) + nothing);
      }
    }
    try {
      HandOverSupport.update(client, desired, true);
      return null;
    } catch (HandOverSupport.NotUpdated e) {
      return e.concurrent ? r.abort(e.getMessage() + nothing + ": run again")
          : r.refuse(e.getMessage() + " (server-side dry run)" + nothing);
    }
  }

  /** The version the dry run's Secret is annotated with: the one read, or a stand-in for one a write will make. */
  private static String version(Adoption.Decision.Proceed p, String readVersion) {
    return p.version() != null ? p.version() : readVersion != null ? readVersion : "pending";
  }

  /** The Secret handed over: ours labels and annotations added, the data the operator would write, nothing else lost. */
  private static Secret handedOver(Secret current, Naming naming, Adoption.Decision.Proceed p, String version) {
    Map<String, String> labels = ManagedMarks.labelsOver(current.getMetadata().getLabels(), naming);
    Map<String, String> annotations =
        ManagedMarks.annotationsOver(current.getMetadata().getAnnotations(), naming, version, p.data());
    return new SecretBuilder(current)
        .editMetadata().withLabels(labels).withAnnotations(annotations).endMetadata()
        .withData(p.data().base64())
        .withStringData(null)
        .build();
  }

  static Map<String, String> tags(String namespace, Naming naming) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(TAG_CREATED_BY, CREATED_BY);
    tags.put(TAG_ADOPTED_FROM, namespace + "/" + naming.secretName());
    return tags;
  }

  private static String optInPatch(Naming naming) {
    try {
      return JSON.writeValueAsString(Map.of("metadata", Map.of("annotations",
          Map.of(naming.managedAnnotation(), Naming.OPT_IN_VALUE))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON merge patch", e);
    }
  }
}
