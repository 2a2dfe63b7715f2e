package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.testbed.ClientCerts;
import sites.deco.buildsecrets.testbed.GuardedBed;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.ShippedChart;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The chart's ValidatingAdmissionPolicies, rendered by helm from the chart's templates with this
 * class's values and applied as shipped, on the real API server, acting as each identity they
 * tell apart: the operator's ServiceAccount (a TokenRequest token), an ordinary user with edit
 * rights on a site namespace, a site provisioner, a break-glass member, the namespace controller,
 * a GitOps bot, identities with only namespaces/finalize or namespaces/status, and the cluster admin. No
 * operator runs here (OperatorUnderPoliciesIT runs one), so nothing races the requests.
 */
class AdmissionPolicyIT {
  static final String AREA = "Admission policies";
  static GuardedBed g;
  static TestBed bed;
  static Sites sites;
  static Naming naming;
  static String release;
  static String breakGlass;
  static String provisioner;
  static String identityPolicy;
  static String managedPolicy;
  static String optInValuePolicy;
  static String optInIdentityPolicy;
  static String creatorsPolicy;
  static String approversPolicy;
  static String ledgerPolicy;
  static KubernetesClient asOperator;
  static KubernetesClient asTenant;
  /** A site namespace whose opt-in value ("true") was set before the policies existed. */
  static String legacySite;

  @BeforeAll
  static void start() {
    bed = TestBed.get();
    legacySite = Sites.fresh("legacy");
    new Sites(bed, Sites.isolated("policy")).createNamespace(legacySite, "true"); // before any policy
    g = new GuardedBed(bed, "policy");
    sites = g.sites;
    naming = g.naming;
    release = g.release;
    breakGlass = g.breakGlassGroup;
    provisioner = g.provisionerName;
    identityPolicy = g.policy("operator-identity");
    managedPolicy = g.policy("managed-secrets");
    optInValuePolicy = g.policy("opt-in-value");
    optInIdentityPolicy = g.policy("opt-in-identity");
    creatorsPolicy = g.policy("site-namespace-creators");
    approversPolicy = g.policy("deletion-approvers");
    ledgerPolicy = g.policy("deletion-ledger");
    asOperator = g.asOperator;
    asTenant = g.asTenant;
  }

  @AfterAll
  static void stop() {
    if (g != null) g.close();
  }

  private static String siteNamespace(String site, String optIn) {
    return g.siteNamespace(site, optIn);
  }

  private static Secret secret(String name, String type, boolean labelled) {
    return g.secret(name, type, labelled);
  }

  private static Namespace namespace(String name, String optIn) {
    return g.namespace(name, optIn);
  }

  /** A PUT with the resourceVersion, as the operator writes (its RBAC has update, not patch). */
  private static Secret update(KubernetesClient as, String ns, java.util.function.UnaryOperator<Secret> change) {
    Secret s = as.secrets().inNamespace(ns).withName(naming.secretName()).get();
    return as.secrets().inNamespace(ns).resource(change.apply(s)).update();
  }

  /** The managed Secret as the operator writes it, created as the operator's identity. */
  private static Secret managedSecret(String ns) {
    return asOperator.secrets().inNamespace(ns).resource(secret(naming.secretName(), "Opaque", true)).create();
  }

  // --- 1. the operator's identity is confined --------------------------------------------------

  @Test
  void theOperatorMayWriteOnlyItsOwnSecretInSiteNamespaces() {
    String ns = siteNamespace(Sites.fresh("confined"), null);
    String bare = siteNamespace(Sites.fresh("unlabelled"), null);
    String name = naming.secretName();

    Secret created = managedSecret(ns);
    assertThat(created.getMetadata().getUid()).isNotBlank();
    update(asOperator, ns, s -> {
      s.getData().put("K2", "dg==");
      return s;
    });

    GuardedBed.assertDenied("kube-system/" + name, identityPolicy, 403, "may only write Secrets in site namespaces",
        () -> asOperator.secrets().inNamespace("kube-system").resource(secret(name, "Opaque", true)).create());
    ReliabilityRecord.passed(AREA, "Operator's ServiceAccount creates kube-system/" + name,
        "Denied (403) by the operator-identity policy: only site namespaces");
    GuardedBed.assertDenied("another name in a site namespace", identityPolicy, 403, "may only write Secrets named " + name,
        () -> asOperator.secrets().inNamespace(ns).resource(secret("other", "Opaque", true)).create());
    ReliabilityRecord.passed(AREA, "Operator's ServiceAccount creates a Secret of another name in a site namespace",
        "Denied (403) by the operator-identity policy: only the configured name");
    GuardedBed.assertDenied("a service-account-token Secret named " + name, identityPolicy, 403, "may only write Secrets of type Opaque",
        () -> asOperator.secrets().inNamespace(bare).resource(
            secret(name, "kubernetes.io/service-account-token", true)).create());
    GuardedBed.assertDenied("a service-account-token Secret in kube-system", identityPolicy, 403, "may only write Secrets",
        () -> asOperator.secrets().inNamespace("kube-system").resource(
            secret("minted-token", "kubernetes.io/service-account-token", true)).create());
    ReliabilityRecord.passed(AREA, "Operator's ServiceAccount creates a kubernetes.io/service-account-token Secret "
        + "(in a site namespace, named " + name + "; and in kube-system, naming a privileged ServiceAccount)",
        "Denied (403) by the operator-identity policy: only type Opaque, only the configured name and prefix");
    GuardedBed.assertDenied("an unlabelled " + name, identityPolicy, 403, "carry both ownership labels",
        () -> asOperator.secrets().inNamespace(bare).resource(secret(name, "Opaque", false)).create());
    ReliabilityRecord.passed(AREA, "Operator's ServiceAccount creates an unlabelled " + name,
        "Denied (403) by the operator-identity policy: both ownership labels required");
    GuardedBed.assertDenied("an update that drops the labels", identityPolicy, 403, "carry both ownership labels",
        () -> update(asOperator, ns, s -> {
          s.getMetadata().getLabels().clear();
          return s;
        }));
    // The type of a Secret is immutable: the API server's validation refuses the change (422)
    // before admission; the policy's type rule covers create, so no path leads to a non-Opaque Secret.
    assertThatThrownBy(() -> update(asOperator, ns, s -> {
      s.setType("kubernetes.io/service-account-token");
      return s;
    })).as("an update that changes the type").isInstanceOfSatisfying(KubernetesClientException.class,
        e -> assertThat(e.getCode()).isIn(403, 422));
    assertThat(bed.admin().secrets().inNamespace(ns).withName(name).get().getType()).isEqualTo("Opaque");
    ReliabilityRecord.passed(AREA, "Operator's ServiceAccount updates its Secret to change the type, or to drop the labels",
        "Denied: type change 422 (immutable field), label removal 403 by the operator-identity policy");

    // A hand-made Secret is never adopted, changed or deleted by the operator's identity.
    String handMade = siteNamespace(Sites.fresh("hand-made"), null);
    asTenant.secrets().inNamespace(handMade).resource(secret(name, "Opaque", false)).create();
    GuardedBed.assertDenied("labelling a hand-made Secret", identityPolicy, 403, "this one is hand-made",
        () -> update(asOperator, handMade, s -> {
          s.getMetadata().setLabels(secret(name, "Opaque", true).getMetadata().getLabels());
          return s;
        }));
    GuardedBed.assertDenied("deleting a hand-made Secret", identityPolicy, 403, "this one is hand-made",
        () -> asOperator.secrets().inNamespace(handMade).withName(name).delete());
    ReliabilityRecord.passed(AREA, "Operator's ServiceAccount adopts or deletes a hand-made " + name,
        "Denied (403) by the operator-identity policy: it may only update or delete Secrets it owns");

    assertThat(asOperator.secrets().inNamespace(ns).withName(name).delete()).isNotEmpty();
  }

  // --- 2. managed Secrets are protected from hand edits ----------------------------------------

  @Test
  void anOrdinaryUserCannotEditOrDeleteTheManagedSecretButMayMakeAHandMadeOne() {
    String site = Sites.fresh("protected");
    String ns = siteNamespace(site, null);
    String name = naming.secretName();
    managedSecret(ns);
    String instead = "change " + naming.upstreamKey(site) + " in Secrets Manager, then force-sync";

    GuardedBed.assertDenied("tenant edits the managed Secret", managedPolicy, 403, instead,
        () -> asTenant.secrets().inNamespace(ns).withName(name).edit(s -> {
          s.getData().put("K", "aGFuZA==");
          return s;
        }));
    GuardedBed.assertDenied("tenant removes the labels", managedPolicy, 403, "remove the opt-in",
        () -> asTenant.secrets().inNamespace(ns).withName(name).edit(s -> {
          s.getMetadata().getLabels().clear();
          return s;
        }));
    GuardedBed.assertDenied("tenant deletes the managed Secret", managedPolicy, 403, instead,
        () -> asTenant.secrets().inNamespace(ns).withName(name).delete());
    GuardedBed.assertDenied("cluster admin (not break-glass) edits it", managedPolicy, 403, "break-glass group: " + breakGlass,
        () -> bed.admin().secrets().inNamespace(ns).withName(name).edit(s -> {
          s.getData().put("K", "YWRtaW4=");
          return s;
        }));
    ReliabilityRecord.passed(AREA, "Ordinary user with edit rights (and a cluster admin outside the break-glass group) "
        + "edits, un-labels or deletes the managed Secret",
        "Denied (403) by the managed-secrets policy, naming the upstream key to change, force-sync and opt-out");

    String forgedSite = Sites.fresh("forged");
    String forged = siteNamespace(forgedSite, null);
    GuardedBed.assertDenied("tenant creates a labelled Secret", managedPolicy, 403, "change " + naming.upstreamKey(forgedSite),
        () -> asTenant.secrets().inNamespace(forged).resource(secret(name, "Opaque", true)).create());
    Secret handMade = asTenant.secrets().inNamespace(forged).resource(secret(name, "Opaque", false)).create();
    asTenant.secrets().inNamespace(forged).withName(name).edit(s -> {
      s.getData().put("MINE", "eQ==");
      return s;
    });
    assertThat(handMade.getMetadata().getLabels()).isEmpty();
    asTenant.secrets().inNamespace(forged).withName(name).delete();
    ReliabilityRecord.passed(AREA, "Ordinary user creates " + name + " where none exists: unlabelled, or labelled",
        "Unlabelled (hand-made) allowed, and stays editable; labelled denied (403): only the operator makes managed Secrets");

    g.asBreakGlass.secrets().inNamespace(ns).withName(name).edit(s -> {
      s.getData().put("K", "YnJlYWstZ2xhc3M=");
      return s;
    });
    g.asBreakGlass.secrets().inNamespace(ns).withName(name).edit(s -> {
      s.getMetadata().getLabels().clear();
      return s;
    });
    assertThat(bed.admin().secrets().inNamespace(ns).withName(name).get().getMetadata().getLabels()).isEmpty();
    asTenant.secrets().inNamespace(ns).withName(name).delete(); // hand-made again: the tenant's to manage
    ReliabilityRecord.passed(AREA, "Break-glass group member edits the managed Secret, then removes its labels",
        "Allowed; once unlabelled it is hand-made and the ordinary user may delete it");
  }

  @Test
  void theTeardownIdentitiesMayOnlyDeleteAManagedSecret() {
    String name = naming.secretName();
    String ns = siteNamespace(Sites.fresh("kcm-writes"), null);
    String bare = siteNamespace(Sites.fresh("kcm-creates"), null);
    Secret written = managedSecret(ns);
    String instead = "then force-sync";
    // The controller-manager's bootstrap role may create and update Secrets (the namespace
    // controller's may not): only the policy stands between it and a managed Secret.
    GuardedBed.assertDenied("controller-manager updates a managed Secret", managedPolicy, 403, instead,
        () -> update(g.asControllerManager, ns, s -> {
          s.getData().put("K", "Zm9yZ2Vk");
          return s;
        }));
    GuardedBed.assertDenied("controller-manager creates a managed Secret", managedPolicy, 403, instead,
        () -> g.asControllerManager.secrets().inNamespace(bare).resource(secret(name, "Opaque", true)).create());
    assertThat(bed.admin().secrets().inNamespace(ns).withName(name).get().getData()).isEqualTo(written.getData());
    assertThat(bed.admin().secrets().inNamespace(bare).withName(name).get()).isNull();
    g.asControllerManager.secrets().inNamespace(ns).withName(name).delete();
    assertThat(bed.admin().secrets().inNamespace(ns).withName(name).get()).isNull();
    ReliabilityRecord.passed(AREA, "The controller-manager's own identity (system:kube-controller-manager) creates or "
        + "updates a managed Secret in a live site namespace, then deletes it",
        "Create and update denied (403) by the managed-secrets policy (the teardown exemption covers DELETE only), "
            + "the Secret unchanged and none created; the delete allowed");
  }

  @Test
  void namespaceDeletionIsNeverBlocked() {
    String name = naming.secretName();
    String byController = siteNamespace(Sites.fresh("ns-controller"), null);
    managedSecret(byController);
    g.asNamespaceController.secrets().inNamespace(byController).withName(name).delete();
    assertThat(bed.admin().secrets().inNamespace(byController).withName(name).get()).isNull();

    String terminating = siteNamespace(Sites.fresh("terminating"), null);
    managedSecret(terminating);
    GuardedBed.assertDenied("tenant deletes it while the namespace lives", managedPolicy, 403, "Secrets Manager",
        () -> asTenant.secrets().inNamespace(terminating).withName(name).delete());
    bed.admin().namespaces().withName(terminating).delete();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
        bed.admin().namespaces().withName(terminating).get().getMetadata().getDeletionTimestamp() != null);
    asTenant.secrets().inNamespace(terminating).withName(name).delete();
    assertThat(bed.admin().secrets().inNamespace(terminating).withName(name).get()).isNull();
    ReliabilityRecord.passed(AREA, "Namespace deletion: the namespace controller's identity deletes a managed Secret; "
        + "anyone deletes one in a terminating namespace",
        "Allowed (exempt identity; terminating namespace): deleting a site namespace is never blocked");
  }

  // --- 3. a mistyped opt-in is refused when it is typed ----------------------------------------

  @Test
  void aMistypedOptInIsRefusedAndNamesTheAcceptedValue() {
    String ns = siteNamespace(Sites.fresh("typo"), null);
    for (String typo : List.of("true", " enabled", "Enabled", "yes")) {
      GuardedBed.assertDenied("annotate " + ns + " =" + typo, optInValuePolicy, 422, "accepts exactly one value, \"enabled\"",
          () -> sites.annotate(ns.substring(naming.namespacePrefix().length()), naming.managedAnnotation(), typo));
      GuardedBed.assertDenied("create with =" + typo, optInValuePolicy, 422, "got \"" + typo + "\"",
          () -> bed.admin().namespaces().resource(namespace(sites.ns(Sites.fresh("typo")), typo)).create());
    }
    sites.annotate(ns.substring(naming.namespacePrefix().length()), naming.managedAnnotation(), "enabled");

    // Unchanged values that predate the policy, and namespaces outside the prefix, are never blocked.
    sites.annotate(legacySite, "policy-it/touched", "yes");
    assertThat(bed.admin().namespaces().withName(sites.ns(legacySite)).get().getMetadata().getAnnotations())
        .containsEntry(naming.managedAnnotation(), "true");
    GuardedBed.assertDenied("changing the legacy value to another typo", optInValuePolicy, 422, "\"enabled\"",
        () -> sites.annotate(legacySite, naming.managedAnnotation(), "yes"));
    String outside = "policy-elsewhere-" + Sites.fresh("x");
    bed.admin().namespaces().resource(namespace(outside, "true")).create();
    ReliabilityRecord.passed(AREA, "Opt-in annotation set to true, \" enabled\", Enabled or yes on a site namespace "
        + "(annotate, or create)",
        "Denied (422) by the opt-in-value policy, naming the accepted value; enabled accepted; an unchanged older "
            + "value and namespaces outside the prefix untouched");
  }

  @Test
  void kubectlAnnotateIsRefusedOrWarnedAsConfigured() {
    String site = Sites.fresh("kubectl");
    String ns = siteNamespace(site, null);
    ShippedChart.Output typo = kubectl("annotate", "namespace", ns, naming.managedAnnotation() + "=true");
    assertThat(typo.exit()).as(typo.toString()).isNotZero();
    assertThat(typo.err()).contains(optInValuePolicy).contains("\"enabled\"");
    ShippedChart.Output ok = kubectl("annotate", "namespace", ns, naming.managedAnnotation() + "=enabled");
    assertThat(ok.exit()).as(ok.toString()).isZero();

    // The Warn switch: the same chart rendered with optInValueAction=Warn changes only the binding.
    ShippedChart warn = g.render("Warn");
    assertThat(warn.objects(Set.of("ValidatingAdmissionPolicyBinding")))
        .filteredOn(o -> o.getMetadata().getName().equals(optInValuePolicy)).hasSize(1);
    String other = siteNamespace(Sites.fresh("kubectl-warn"), null);
    try {
      warn.apply(g.namespace, Set.of("ValidatingAdmissionPolicyBinding"));
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() ->
          kubectl("annotate", "--overwrite", "namespace", other, naming.managedAnnotation() + "=true").exit() == 0);
      ShippedChart.Output warned = kubectl("annotate", "--overwrite", "namespace", other, naming.managedAnnotation() + "=yes");
      assertThat(warned.exit()).as(warned.toString()).isZero();
      assertThat(warned.err()).contains("Warning:").contains("\"enabled\"");
    } finally {
      g.chart.apply(g.namespace, Set.of("ValidatingAdmissionPolicyBinding"));
      g.awaitOptInValueDenied();
    }
    ReliabilityRecord.passed(AREA, "kubectl annotate namespace <site ns> <opt-in>=true",
        "Refused by kubectl with the accepted value named (Deny, the default); with optInValueAction=Warn it goes "
            + "through and kubectl prints the warning");
  }

  private static ShippedChart.Output kubectl(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of(ShippedChart.kubectl(bed).toString()));
    command.addAll(List.of(args));
    return ShippedChart.exec(bed, Map.of(), command);
  }

  // --- 4. only trusted identities may opt a namespace in ---------------------------------------

  @Test
  void onlyConfiguredIdentitiesMayOptANamespaceIn() {
    String site = Sites.fresh("opt-in");
    String ns = siteNamespace(site, null);
    String who = "only these identities may opt a site namespace in";
    GuardedBed.assertDenied("tenant annotates its namespace", optInIdentityPolicy, 403, who,
        () -> asTenant.namespaces().withName(ns).edit(n -> {
          n.getMetadata().getAnnotations().put(naming.managedAnnotation(), "enabled");
          return n;
        }));
    // Creating one is refused by two policies; the API server names the first that denies.
    String otherTenant = sites.ns(Sites.fresh("other-tenant"));
    assertThatThrownBy(() -> asTenant.namespaces().resource(namespace(otherTenant, "enabled")).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(403);
          assertThat(e.getStatus().getMessage()).containsAnyOf(optInIdentityPolicy, creatorsPolicy).contains(provisioner);
        });
    assertThat(bed.admin().namespaces().withName(otherTenant).get()).isNull();
    GuardedBed.assertDenied("GitOps bot opts a site namespace in", optInIdentityPolicy, 403, who,
        () -> g.asGitOpsBot.namespaces().resource(g.annotated(ns, naming.managedAnnotation(), "enabled")).update());
    asTenant.namespaces().resource(namespace("policy-elsewhere-" + Sites.fresh("y"), "enabled")).create();
    assertThat(bed.admin().namespaces().withName(ns).get().getMetadata().getAnnotations())
        .doesNotContainKey(naming.managedAnnotation());
    ReliabilityRecord.passed(AREA, "Ordinary user with namespace edit (and create) rights, or a GitOps bot with "
        + "cluster-wide namespace patch rights, opts a site namespace in, or creates one already opted in",
        "Denied (403) by the opt-in-identity (or site-namespace-creators) policy, naming who may; the namespace "
            + "stays opted out, none created; namespaces outside the prefix allowed");

    g.asProvisioner.namespaces().withName(ns).edit(n -> {
      n.getMetadata().getAnnotations().put(naming.managedAnnotation(), "enabled");
      return n;
    });
    g.asProvisioner.namespaces().resource(namespace(sites.ns(Sites.fresh("provisioned")), "enabled")).create();
    asTenant.namespaces().withName(ns).edit(n -> {
      n.getMetadata().getAnnotations().remove(naming.managedAnnotation());
      return n;
    });
    sites.annotate(site, naming.managedAnnotation(), "enabled"); // the cluster admin (group system:masters)
    ReliabilityRecord.passed(AREA, "Configured opt-in admin (a user; the group system:masters) opts in; "
        + "the ordinary user opts out", "Allowed: opting out stays open to anyone who may edit the namespace");
  }

  // --- 5. only trusted identities may create site namespaces -----------------------------------

  @Test
  void onlyConfiguredCreatorsMayCreateASiteNamespace() {
    String squatted = sites.ns(Sites.fresh("future"));
    GuardedBed.assertDenied("tenant creates a site namespace without the opt-in", creatorsPolicy, 403,
        "fail if it already exists (AlreadyExists)",
        () -> asTenant.namespaces().resource(namespace(squatted, null)).create());
    assertThat(bed.admin().namespaces().withName(squatted).get()).isNull();
    String elsewhere = "policy-elsewhere-" + Sites.fresh("z");
    asTenant.namespaces().resource(namespace(elsewhere, null)).create();
    ReliabilityRecord.passed(AREA, "Ordinary user allowed to create namespaces creates " + naming.namespacePrefix()
        + "<site> without the opt-in (squatting a future or off-boarded site)",
        "Denied (403) by the site-namespace-creators policy, naming who may and that provisioners must fail on "
            + "AlreadyExists; the namespace does not exist; namespaces outside the prefix allowed");

    g.asProvisioner.namespaces().resource(namespace(squatted, null)).create();
    String byAdmin = sites.ns(Sites.fresh("admin-made"));
    bed.admin().namespaces().resource(namespace(byAdmin, null)).create();
    assertThat(bed.admin().namespaces().withName(squatted).get()).isNotNull();
    assertThat(bed.admin().namespaces().withName(byAdmin).get()).isNotNull();
    ReliabilityRecord.passed(AREA, "The provisioner (an opt-in admin user) and the cluster admin (system:masters) "
        + "create site namespaces", "Allowed: with namespaceCreators empty, the opt-in admins are the creators");
  }

  // --- 6. the namespace subresources cannot change the annotations -----------------------------

  @Test
  void theStatusAndFinalizeSubresourcesCannotOptInOrApprove() {
    for (String subresource : List.of("finalize", "status")) {
      KubernetesClient as = subresource.equals("finalize") ? g.asFinalizer : g.asStatusWriter;
      String ns = siteNamespace(Sites.fresh("via-" + subresource), null);
      Map<String, String> before = bed.admin().namespaces().withName(ns).get().getMetadata().getAnnotations();
      GuardedBed.assertDenied(subresource + ": opt in", optInIdentityPolicy, 403, "only these identities may opt",
          () -> putSubresource(as, subresource, g.annotated(ns, naming.managedAnnotation(), "enabled")));
      GuardedBed.assertDenied(subresource + ": a mistyped opt-in", optInValuePolicy, 422, "\"enabled\"",
          () -> putSubresource(as, subresource, g.annotated(ns, naming.managedAnnotation(), "true")));
      GuardedBed.assertDenied(subresource + ": approve a deletion", approversPolicy, 403, "only these identities may approve",
          () -> putSubresource(as, subresource, g.annotated(ns, Naming.DELETION_APPROVAL_ANNOTATION, "any-uid")));
      assertThat(bed.admin().namespaces().withName(ns).get().getMetadata().getAnnotations())
          .as("annotations after the refused " + subresource + " updates").isEqualTo(before);
      // Any other change through the subresource still passes the policies.
      putSubresource(as, subresource, g.annotated(ns, "policy-it/unrelated", "x"));
    }
    ReliabilityRecord.passed(AREA, "An identity with only update on namespaces/finalize (and one with only "
        + "namespaces/status) sets the opt-in, a mistyped opt-in, or a deletion approval through that subresource",
        "Denied (403, 422 for the typo) by the same policies as a plain update; the stored annotations unchanged; "
            + "other changes through the subresource allowed");
  }

  /** A PUT of the whole Namespace to one of its subresources, as the namespace controller finalizes. */
  private static void putSubresource(KubernetesClient as, String subresource, Namespace n) {
    as.raw("/api/v1/namespaces/" + n.getMetadata().getName() + "/" + subresource, "PUT", n);
  }

  // --- 7. approvals and the deletion ledger belong to trusted identities -----------------------

  @Test
  void onlyConfiguredApproversMayApproveADeletion() {
    String ns = siteNamespace(Sites.fresh("approve"), null);
    String uid = managedSecret(ns).getMetadata().getUid();
    String key = Naming.DELETION_APPROVAL_ANNOTATION;
    GuardedBed.assertDenied("GitOps bot approves", approversPolicy, 403, "groups [" + breakGlass,
        () -> g.asGitOpsBot.namespaces().resource(g.annotated(ns, key, uid)).update());
    GuardedBed.assertDenied("tenant approves its own namespace", approversPolicy, 403, "users [" + provisioner,
        () -> asTenant.namespaces().withName(ns).edit(n -> {
          n.getMetadata().getAnnotations().put(key, uid);
          return n;
        }));
    assertThat(bed.admin().namespaces().withName(ns).get().getMetadata().getAnnotations()).doesNotContainKey(key);
    ReliabilityRecord.passed(AREA, "GitOps bot (namespace patch rights, reads Secret UIDs) or an ordinary user with "
        + "namespace edit rights approves a deletion (annotation = the Secret's UID)",
        "Denied (403) by the deletion-approvers policy, naming the approvers; no approval stored");

    g.asBreakGlass.namespaces().resource(g.annotated(ns, key, uid)).update();
    g.asProvisioner.namespaces().resource(g.annotated(ns, key, uid + "-changed")).update();
    sites.annotate(ns.substring(naming.namespacePrefix().length()), key, uid); // the cluster admin
    asTenant.namespaces().withName(ns).edit(n -> {
      n.getMetadata().getAnnotations().remove(key);
      return n;
    });
    assertThat(bed.admin().namespaces().withName(ns).get().getMetadata().getAnnotations()).doesNotContainKey(key);
    ReliabilityRecord.passed(AREA, "Break-glass member, opt-in admin user and cluster admin approve; the ordinary "
        + "user removes the approval", "Allowed: by default the approvers are the break-glass groups and the opt-in "
        + "admins; removing an approval stays open");
  }

  @Test
  void onlyTheOperatorAndBreakGlassMayChangeTheDeletionLedger() {
    var ledger = new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName(g.ledger)
        .endMetadata().addToData(ConfigMapDeletionLedger.TRIPPED_SINCE, "2026-01-01T00:00:00Z").build();
    GuardedBed.assertDenied("GitOps bot creates the ledger", ledgerPolicy, 403, "--as-group=<break-glass group>",
        () -> g.asGitOpsBot.configMaps().inNamespace(g.namespace).resource(ledger).create());
    var created = asOperator.configMaps().inNamespace(g.namespace).resource(ledger).create();
    GuardedBed.assertDenied("GitOps bot clears the latch", ledgerPolicy, 403, "only the operator and the break-glass groups",
        () -> g.asGitOpsBot.configMaps().inNamespace(g.namespace).withName(g.ledger).edit(c -> {
          c.getData().clear();
          return c;
        }));
    GuardedBed.assertDenied("cluster admin (not break-glass) deletes the ledger", ledgerPolicy, 403, breakGlass,
        () -> bed.admin().configMaps().inNamespace(g.namespace).withName(g.ledger).delete());
    GuardedBed.assertDenied("GitOps bot deletes the ledger", ledgerPolicy, 403, breakGlass,
        () -> g.asGitOpsBot.configMaps().inNamespace(g.namespace).withName(g.ledger).delete());
    assertThat(bed.admin().configMaps().inNamespace(g.namespace).withName(g.ledger).get().getData())
        .isEqualTo(created.getData());
    g.asGitOpsBot.configMaps().inNamespace(g.namespace).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
        .withNewMetadata().withName("other-config").endMetadata().build()).create();
    ReliabilityRecord.passed(AREA, "GitOps bot (ConfigMap write rights) or a cluster admin outside the break-glass "
        + "group creates, clears or deletes the deletion ledger ConfigMap",
        "Denied (403) by the deletion-ledger policy, naming the break-glass way; the ledger unchanged; other "
            + "ConfigMaps in the release namespace allowed");

    g.asBreakGlass.configMaps().inNamespace(g.namespace).withName(g.ledger).delete();
    assertThat(bed.admin().configMaps().inNamespace(g.namespace).withName(g.ledger).get()).isNull();
    ReliabilityRecord.passed(AREA, "Break-glass member deletes the deletion ledger ConfigMap",
        "Allowed: clearing the guard's memory is a deliberate act on the record");
  }

  // --- 8. doctor reports each policy and binding ----------------------------------------------

  @Test
  void doctorAsTheOperatorReportsEachPolicyAndBinding() {
    List<String> all = List.of(identityPolicy, managedPolicy, optInValuePolicy, optInIdentityPolicy, creatorsPolicy,
        approversPolicy, ledgerPolicy);
    java.nio.file.Path kubeconfig = ShippedChart.kubeconfig(bed, ClientCerts.serviceAccount(bed, g.namespace, release));
    ShippedChart.Output ok = doctor(kubeconfig, "--admission-policies=" + String.join(",", all));
    assertThat(ok.exit()).as(ok.toString()).isZero();
    for (String n : all) {
      assertThat(ok.out()).as(ok.toString())
          .contains("OK    admission policy " + n + ": present")
          .contains("OK    admission policy binding " + n + ": present (Deny)");
    }
    ShippedChart.Output missing = doctor(kubeconfig, "--admission-policies=" + identityPolicy + "," + release + "-not-installed");
    assertThat(missing.exit()).as(missing.toString()).isEqualTo(1);
    assertThat(missing.out()).contains("FAIL  admission policy " + release + "-not-installed: could not read (kube API answered HTTP 403")
        .contains("OK    admission policy " + identityPolicy + ": present");
    ShippedChart.Output asAdmin = doctor(java.nio.file.Path.of(bed.env().get("KUBECONFIG")),
        "--admission-policies=" + release + "-not-installed");
    assertThat(asAdmin.out()).contains("FAIL  admission policy " + release + "-not-installed: missing")
        .contains("FAIL  admission policy binding " + release + "-not-installed: missing")
        .contains("fix: install the Helm chart with admissionPolicies.enabled=true");
    ReliabilityRecord.passed(AREA, "doctor, as the operator's ServiceAccount, with the policies installed; "
        + "and with one missing", "OK per policy and binding (read by name, as the chart's ClusterRole allows); "
        + "FAIL with a fix for the missing one");
  }

  private static ShippedChart.Output doctor(java.nio.file.Path kubeconfig, String... args) {
    String jar = System.getProperty("operator.jar", TestBed.repoRoot().resolve("target/build-secrets-operator.jar").toString());
    List<String> command = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-jar", jar, "doctor", "--leader-election-namespace=" + g.namespace, "--deletion-ledger-namespace=" + g.namespace,
        "--namespace-prefix=" + naming.namespacePrefix()));
    command.addAll(List.of(args));
    return ShippedChart.exec(bed, Map.of("KUBECONFIG", kubeconfig.toString()), command);
  }
}
