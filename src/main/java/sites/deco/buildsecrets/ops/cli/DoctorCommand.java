package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.EnvironmentCheck;
import sites.deco.buildsecrets.source.Upstream;

@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 120,
    description = {
        "Checks what the operator needs, as the current kubeconfig identity and AWS environment: the kube API, "
            + "every RBAC permission (SelfSubjectAccessReview), the admission policies and their bindings, AWS "
            + "credentials and region (with --build-secrets-backend=vault: Vault's health, the Kubernetes auth login, the KV version 2 mount and the policy on the key path through sys/capabilities-self), the change-events queue when one is configured (GetQueueAttributes), and with --site one site's upstream key (version and key names only), and "
            + "whether this identity could adopt that site (informational: the operator's own identity must not be able to).",
        "Prints OK or FAIL per check, with a fix for each FAIL. Exit 0 when all pass, 1 when any fails, 2 on usage errors."})
public final class DoctorCommand implements Callable<Integer> {

  /** One permission the operator needs. */
  record Permission(String group, String resource, String verb, String name, String namespace, String why) {
    String describe() {
      String res = (group.isEmpty() ? "" : group + "/") + resource + (name == null ? "" : " named " + name);
      return "RBAC: " + verb + " " + res + (namespace.isEmpty() ? " (all namespaces)" : " in namespace " + namespace);
    }

    String fix() {
      String scope = namespace.isEmpty()
          ? "a ClusterRole rule (bound with a ClusterRoleBinding)"
          : "a Role rule in namespace " + namespace + " (bound with a RoleBinding)";
      return "grant the operator's identity " + scope + ": {apiGroups: [\"" + group + "\"], resources: [\"" + resource
          + "\"]" + (name == null ? "" : ", resourceNames: [\"" + name + "\"]") + ", verbs: [\"" + verb + "\"]} ("
          + why + "); the Helm chart's clusterrole.yaml, role.yaml and deletion-ledger-role.yaml hold them";
    }
  }

  @Spec CommandSpec spec;
  @Mixin NamingOptions namingOptions;
  @Mixin SourceOptions sourceOptions;

  @Option(names = "--site", paramLabel = "SITE", description = "Also read this site's upstream key.")
  String site;

  @Option(names = "--as-editor", description = "With --site: check what the env command needs as this identity (a "
      + "build variables editor: AWS reads, identity, the namespace's sync) in place of what the operator needs.")
  boolean asEditor;

  @Mixin LeaseOptions leaseOptions;

  @Mixin DeletionLedgerOptions deletionLedger;

  @Mixin AdmissionPolicyChecks admissionPolicies;

  @Mixin ChangeEventsOptions changeEvents;

  /**
   * Every permission the operator uses, matching the Helm chart's ClusterRole and Role.
   *
   * @param ledger null with --deletion-ledger=none
   */
  static List<Permission> permissions(Naming naming, String leaseName, String leaseNamespace,
      OperatorConfig.DeletionLedgerLocation ledger) {
    List<Permission> out = new ArrayList<>();
    for (String verb : List.of("get", "list", "watch")) {
      out.add(new Permission("", "namespaces", verb, null, "", "site namespaces carry the opt-in annotation"));
    }
    for (String verb : List.of("get", "list", "watch", "update", "delete")) {
      out.add(new Permission("", "secrets", verb, naming.secretName(), "", "the operator's one Secret per site"));
    }
    out.add(new Permission("", "secrets", "create", null, "", "create carries no name, so it cannot use resourceNames"));
    out.add(new Permission("", "events", "create", null, "", "Events about each site namespace"));
    for (String verb : List.of("get", "update", "patch")) {
      out.add(new Permission("coordination.k8s.io", "leases", verb, leaseName, leaseNamespace,
          "leader election, with --leader-elect"));
    }
    out.add(new Permission("coordination.k8s.io", "leases", "create", null, leaseNamespace,
        "leader election, with --leader-elect"));
    if (ledger != null) {
      String why = "the deletion guard's memory across restarts; without it budgeted deletions pause";
      for (String verb : List.of("get", "update")) {
        out.add(new Permission("", "configmaps", verb, ledger.name(), ledger.namespace(), why));
      }
      out.add(new Permission("", "configmaps", "create", null, ledger.namespace(), why));
    }
    return out;
  }

  @Override
  public Integer call() throws Exception {
    CliSupport.quietLogging();
    Naming naming = namingOptions.naming();
    if (site != null && (site.isBlank() || site.contains("/"))) {
      throw new IllegalArgumentException("--site: '" + site + "' is not a site name");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (asEditor) {
      return editor(naming, out);
    }
    List<DoctorCheck> checks = new ArrayList<>();
    List<DoctorCheck> adoptRbac = new ArrayList<>();
    Upstream answer = null;
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      boolean reachable = kubeApi(client, checks);
      List<Permission> needed = permissions(naming, leaseOptions.name(), leaseOptions.namespace(),
          deletionLedger.location());
      if (reachable) {
        for (Permission p : needed) {
          checks.add(rbac(client, p));
        }
        checks.addAll(admissionPolicies.check(client));
        if (site != null) {
          for (Permission p : adoptPermissions(naming, naming.namespacePrefix() + site)) {
            adoptRbac.add(rbac(client, p));
          }
        }
      } else {
        checks.add(DoctorCheck.fail("RBAC: " + needed.size() + " permission checks skipped: the kube API is unreachable",
            "fix the kube API check above, then run doctor again"));
      }
    }
    List<EnvironmentCheck> environment =
        sourceOptions.environmentChecks(naming.upstreamKey(site != null ? site : "example"));
    environment.forEach(c -> checks.add(new DoctorCheck(c.ok(), c.what(), c.fix())));
    if (site != null) {
      if (!environment.stream().allMatch(EnvironmentCheck::ok)) {
        checks.add(DoctorCheck.fail("upstream key " + naming.upstreamKey(site) + ": not read",
            "fix the AWS checks above, then run doctor again"));
      } else {
        try (Source source = sourceOptions.open()) {
          answer = CliSupport.read(source, naming.upstreamKey(site));
        }
        checks.add(upstreamKey(naming.upstreamKey(site), answer,
            sourceOptions.backend() == OperatorConfig.Backend.VAULT ? VAULT_ADVICE : AWS_ADVICE));
      }
    }
    if (changeEvents.queueUrl() != null) {
      checks.add(environment.stream().allMatch(EnvironmentCheck::ok)
          ? changeEvents.check(sourceOptions.callTimeout())
          : DoctorCheck.fail("change events queue: not checked", "fix the AWS checks above, then run doctor again"));
    }
    out.print(DoctorCheck.render(checks));
    if (site != null) {
      out.print(adoptSection(naming.namespacePrefix() + site, naming.upstreamKey(site), adoptRbac, answer));
    }
    out.flush();
    return checks.stream().allMatch(DoctorCheck::ok) ? 0 : 1;
  }

  private int editor(Naming naming, PrintWriter out) {
    if (site == null) {
      throw new IllegalArgumentException("--as-editor needs --site SITE");
    }
    List<DoctorCheck> checks = new ArrayList<>();
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      if (kubeApi(client, checks)) {
        checks.addAll(EditorChecks.kube(client, naming, naming.namespacePrefix() + site));
      }
    }
    checks.addAll(EditorChecks.aws(sourceOptions, naming.upstreamKey(site)));
    out.print(DoctorCheck.render(checks));
    out.print(EditorChecks.untried(naming.upstreamKey(site)));
    out.flush();
    return checks.stream().allMatch(DoctorCheck::ok) ? 0 : 1;
  }

  private static boolean kubeApi(KubernetesClient client, List<DoctorCheck> checks) {
    String where = String.valueOf(client.getMasterUrl());
    try {
      VersionInfo v = client.getKubernetesVersion();
      checks.add(DoctorCheck.ok("kube API reachable at " + where + ": Kubernetes " + v.getGitVersion()));
      return true;
    } catch (KubernetesClientException e) {
      checks.add(DoctorCheck.fail("kube API at " + where + ": " + CliSupport.describe(e),
          "point KUBECONFIG (or the current context: kubectl config current-context) at the cluster, "
              + "check the API server is reachable and the credentials are valid (kubectl version)"));
      return false;
    }
  }

  static DoctorCheck rbac(KubernetesClient client, Permission p) {
    SelfSubjectAccessReview review = new SelfSubjectAccessReviewBuilder()
        .withNewSpec()
        .withResourceAttributes(new ResourceAttributesBuilder()
            .withGroup(p.group()).withResource(p.resource()).withVerb(p.verb())
            .withName(p.name()).withNamespace(p.namespace())
            .build())
        .endSpec()
        .build();
    try {
      SelfSubjectAccessReview answer = client.authorization().v1().selfSubjectAccessReview().create(review);
      boolean allowed = answer.getStatus() != null && Boolean.TRUE.equals(answer.getStatus().getAllowed());
      return allowed ? DoctorCheck.ok(p.describe()) : DoctorCheck.fail(p.describe() + ": denied", p.fix());
    } catch (KubernetesClientException e) {
      return DoctorCheck.fail(p.describe() + ": could not ask (" + CliSupport.describe(e) + ")",
          "allow the identity to create selfsubjectaccessreviews (authorization.k8s.io; system:basic-user grants it)");
    }
  }

  /** What doctor says of one key's state on a backend: the words for "missing", and the fix of each state. */
  private record KeyAdvice(String scheduledForDeletion, String notFound, Function<String, String> restore,
      Function<String, String> create, Function<String, String> storeStrings,
      BiFunction<String, Upstream.Unreachable, String> unreachable) {}

  private static final KeyAdvice AWS_ADVICE = new KeyAdvice("scheduled for deletion", "not found",
      key -> "restore it: aws secretsmanager restore-secret --secret-id " + key,
      key -> "create it as a JSON object of strings: aws secretsmanager create-secret --name " + key
          + " --secret-string '{\"NAME\":\"...\"}' (check AWS_REGION and the account if it should exist)",
      key -> "store a JSON object whose values are all strings: aws secretsmanager put-secret-value --secret-id " + key
          + " --secret-string '{\"NAME\":\"...\"}'",
      (key, u) -> switch (u.kind()) {
        case ACCESS_DENIED -> "allow secretsmanager:GetSecretValue and secretsmanager:DescribeSecret on "
            + "arn:aws:secretsmanager:<region>:<account>:secret:" + key + "-* for the operator's role (see README, IAM policy)";
        case CREDENTIALS -> "the AWS credentials were rejected (expired, invalid or unrecognised): check the "
            + "role the pod assumes (IRSA or Pod Identity), AWS_PROFILE, or the clock (signatures expire)";
        case DECRYPTION_FAILURE -> "allow kms:Decrypt on the secret's customer-managed KMS key for the operator's role";
        case THROTTLED -> "Secrets Manager is throttling this account: try again later or raise the quota";
        case TIMEOUT, UNAVAILABLE, UNREACHABLE -> "check network access to Secrets Manager in this region "
            + "(AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER, proxies) and --aws-call-timeout";
        case REJECTED -> "check the key name (--key-template) and the region";
      });

  /** Vault's own commands as the fixes. */
  private static final KeyAdvice VAULT_ADVICE = new KeyAdvice("current version soft-deleted", "not found or destroyed",
      key -> "restore it: vault kv undelete -versions=<current> <mount>/" + key,
      key -> "write it with string values: vault kv put <mount>/" + key + " NAME=...",
      key -> "store string values only: vault kv put <mount>/" + key + " NAME=...",
      (key, u) -> "see the Vault checks above and docs/operations.md, Vault (policy, role, mount)");

  private static DoctorCheck upstreamKey(String key, Upstream answer, KeyAdvice advice) {
    return switch (answer) {
      case Upstream.Found f -> DoctorCheck.ok(
          "upstream key " + key + ": found, version " + f.version() + ", keys " + f.data().keys());
      case Upstream.Missing m when m.reason() == Upstream.MissingReason.SCHEDULED_FOR_DELETION -> DoctorCheck.fail(
          "upstream key " + key + ": missing (" + advice.scheduledForDeletion() + ")", advice.restore().apply(key));
      case Upstream.Missing m -> DoctorCheck.fail("upstream key " + key + ": missing (" + advice.notFound() + ")",
          advice.create().apply(key));
      case Upstream.Invalid i -> DoctorCheck.fail("upstream key " + key + ": invalid, " + i.describe(),
          advice.storeStrings().apply(key));
      case Upstream.Unreachable u -> DoctorCheck.fail("upstream key " + key + ": error, " + u.describe(),
          advice.unreachable().apply(key, u));
    };
  }

  /** What {@code adopt} and {@code release} need from Kubernetes for one site namespace (docs/adopter-rbac.yaml). */
  static List<Permission> adoptPermissions(Naming naming, String namespace) {
    String why = "adopt and release";
    return List.of(
        new Permission("", "namespaces", "get", namespace, "", why),
        new Permission("", "namespaces", "patch", namespace, "", "adopt --opt-in"),
        new Permission("", "namespaces", "list", null, "", "adopt --all"),
        new Permission("", "secrets", "get", naming.secretName(), namespace, why),
        new Permission("", "secrets", "update", naming.secretName(), namespace, why),
        new Permission("", "secrets", "list", naming.secretName(), "", "adopt --all"));
  }

  /**
   * Whether this identity could adopt the site: the RBAC answers and what the upstream read showed.
   * Informational: it never changes doctor's exit status, since the operator's own identity must
   * not be able to adopt. Pure.
   *
   * @param answer the upstream read, null when it was not made
   */
  static String adoptSection(String namespace, String key, List<DoctorCheck> rbac, Upstream answer) {
    StringBuilder out = new StringBuilder("\nadopt " + namespace + " as this identity (adopt and release run with "
        + "your own credentials, not the operator's):\n");
    List<String> missing = new ArrayList<>();
    for (DoctorCheck c : rbac) {
      out.append(c.ok() ? "  yes  " : "  no   ").append(c.what()).append('\n');
      if (!c.ok()) missing.add(c.what().replaceFirst(": denied$", ""));
    }
    if (rbac.isEmpty()) {
      missing.add("the RBAC checks (kube API unreachable)");
    }
    String read = "AWS: read " + key + " (GetSecretValue, DescribeSecret)";
    switch (answer) {
      case null -> {
        out.append("  ?    ").append(read).append(": not read\n");
        missing.add("an AWS read of " + key);
      }
      case Upstream.Unreachable u -> {
        out.append("  no   ").append(read).append(": ").append(u.describe()).append('\n');
        missing.add("an AWS read of " + key);
      }
      case Upstream.Missing m when m.reason() == Upstream.MissingReason.SCHEDULED_FOR_DELETION -> {
        out.append("  no   ").append(read).append(": allowed, but the key is scheduled for deletion\n");
        missing.add(key + " restored (aws secretsmanager restore-secret --secret-id " + key + ")");
      }
      default -> out.append("  yes  ").append(read).append(": allowed\n");
    }
    out.append("  ?    AWS: secretsmanager:CreateSecret, TagResource, PutSecretValue and UpdateSecretVersionStage on ")
        .append(key).append(": not checkable without writing; if denied, adopt stops before it changes the Secret\n");
    out.append("  ?    admission policies (break-glass group to label, opt-in admins for --opt-in): not seen by RBAC "
        + "checks; adopt --dry-run sends every Kubernetes write as a server-side dry run and names a refusal\n");
    out.append(missing.isEmpty()
        ? "could adopt: yes, if AWS allows the writes above\n"
        : "could adopt: no, missing " + String.join("; ", missing) + " (see docs/operations.md, Migrating hand-made Secrets)\n");
    return out.toString();
  }
}
