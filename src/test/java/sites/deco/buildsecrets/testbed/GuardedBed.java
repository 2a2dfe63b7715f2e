package sites.deco.buildsecrets.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import sites.deco.buildsecrets.config.Naming;

/**
 * A release of the chart with its admission policies applied as shipped, scoped to one test
 * class (its own release name, namespace, ServiceAccount, namespace prefix and groups), and the
 * identities the policies tell apart, each a client with a minted certificate except the operator:
 * <ul>
 *   <li>the operator: the chart's ServiceAccount, with the chart's RBAC, authenticated by a token
 *       from the TokenRequest API, as in a pod;
 *   <li>the tenant: an ordinary user with edit rights on Secrets and on the namespace object in
 *       each site namespace made by {@link #siteNamespace}, and the right to create namespaces;
 *   <li>the provisioner: a user named in {@code admissionPolicies.optInAdmins.users} (so also a
 *       namespace creator and a deletion approver, by default);
 *   <li>break-glass: a member of the configured break-glass group, with edit rights everywhere;
 *   <li>the namespace controller: kube-system/namespace-controller, with its bootstrap role (it
 *       may delete anything, but create or update nothing);
 *   <li>the controller-manager's own identity (system:kube-controller-manager, used on clusters
 *       without per-controller credentials), with its bootstrap role: it may create and update Secrets;
 *   <li>a GitOps bot: cluster-wide get/list/patch/update on namespaces, get on Secrets (it can read
 *       a Secret's UID) and write access to ConfigMaps, as a bot that syncs a cluster's config has;
 *   <li>a finalizer and a status writer: nothing but {@code update} on {@code namespaces/finalize},
 *       or on {@code namespaces/status}.
 * </ul>
 * The cluster admin (group system:masters) is the test bed's own admin client.
 */
public final class GuardedBed implements AutoCloseable {
  public final TestBed bed;
  public final String release;
  public final String namespace;
  public final Naming naming;
  public final Sites sites;
  public final String breakGlassGroup;
  public final String tenantName;
  public final String provisionerName;
  /** The deletion ledger ConfigMap's name in {@link #namespace}, as the chart's default config names it. */
  public final String ledger = "build-secrets-deletion-ledger";
  public final ShippedChart chart;
  public final KubernetesClient asOperator;
  public final KubernetesClient asTenant;
  public final KubernetesClient asProvisioner;
  public final KubernetesClient asBreakGlass;
  public final KubernetesClient asNamespaceController;
  public final KubernetesClient asControllerManager;
  public final KubernetesClient asGitOpsBot;
  public final KubernetesClient asFinalizer;
  public final KubernetesClient asStatusWriter;

  /** Renders and applies the chart's RBAC and policies for release {@code scope + "-it"}, then waits for enforcement. */
  public GuardedBed(TestBed bed, String scope) {
    this.bed = bed;
    this.release = scope + "-it";
    this.namespace = release + "-system";
    this.naming = Sites.isolated(scope);
    this.sites = new Sites(bed, naming);
    this.breakGlassGroup = release + ":break-glass";
    this.tenantName = release + "-tenant";
    this.provisionerName = release + "-provisioner";
    this.chart = render("Deny").apply(namespace, ShippedChart.RBAC_KINDS).apply(namespace, ShippedChart.POLICY_KINDS);
    asOperator = ClientCerts.client(bed, serviceAccountToken(namespace, release));
    asTenant = ClientCerts.client(bed, ClientCerts.mint(bed, tenantName, List.of(release + ":tenants")));
    asProvisioner = ClientCerts.client(bed, ClientCerts.mint(bed, provisionerName, List.of()));
    asBreakGlass = ClientCerts.client(bed, ClientCerts.mint(bed, release + "-oncall", List.of(breakGlassGroup)));
    asNamespaceController = ClientCerts.client(bed, ClientCerts.serviceAccount(bed, "kube-system", "namespace-controller"));
    asControllerManager = ClientCerts.client(bed, ClientCerts.mint(bed, "system:kube-controller-manager", List.of()));
    asGitOpsBot = ClientCerts.client(bed, ClientCerts.mint(bed, release + "-gitops", List.of(release + ":bots")));
    asFinalizer = ClientCerts.client(bed, ClientCerts.mint(bed, release + "-finalizer", List.of()));
    asStatusWriter = ClientCerts.client(bed, ClientCerts.mint(bed, release + "-status-writer", List.of()));
    grantTestRbac();
    awaitEnforced();
  }

  /** The chart rendered with this bed's values and the given opt-in value action (Deny or Warn). */
  public ShippedChart render(String optInValueAction) {
    Map<String, Object> admins = Map.of("users", List.of(provisionerName), "groups", List.of("system:masters"),
        "serviceAccounts", List.of());
    return ShippedChart.render(bed, release, namespace, Map.of(
        "fullnameOverride", release,
        "config", Map.of("namespacePrefix", naming.namespacePrefix(), "keyTemplate", naming.keyTemplate()),
        "admissionPolicies", Map.of("enabled", true, "protectManagedSecrets", true,
            "breakGlassGroups", List.of(breakGlassGroup), "optInValueAction", optInValueAction, "optInAdmins", admins)));
  }

  public String policy(String suffix) {
    return release + "-" + suffix;
  }

  /** A token for the ServiceAccount from the TokenRequest API, as the kubelet mounts one in a pod. */
  private String serviceAccountToken(String ns, String name) {
    TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build();
    return bed.admin().serviceAccounts().inNamespace(ns).withName(name).tokenRequest(request).getStatus().getToken();
  }

  /** Waits until each of the chart's policies refuses a dry-run request it exists to refuse. */
  public void awaitEnforced() {
    String probe = siteNamespace(Sites.fresh("probe"), null);
    ShippedChart.awaitEnforced(policy("operator-identity"), () -> asOperator.secrets().inNamespace("default")
        .resource(secret("probe", "Opaque", true)).dryRun().create());
    ShippedChart.awaitEnforced(policy("managed-secrets"), () -> asTenant.secrets().inNamespace(probe)
        .resource(secret(naming.secretName(), "Opaque", true)).dryRun().create());
    awaitOptInValueDenied();
    ShippedChart.awaitEnforced(policy("opt-in-identity"), () -> asGitOpsBot.namespaces()
        .resource(annotated(probe, naming.managedAnnotation(), "enabled")).dryRun().update());
    ShippedChart.awaitEnforced(policy("site-namespace-creators"), () -> asTenant.namespaces()
        .resource(namespace(sites.ns(Sites.fresh("probe")), null)).dryRun().create());
    ShippedChart.awaitEnforced(policy("deletion-approvers"), () -> asGitOpsBot.namespaces()
        .resource(annotated(probe, Naming.DELETION_APPROVAL_ANNOTATION, "probe")).dryRun().update());
    ShippedChart.awaitEnforced(policy("deletion-ledger"), () -> asGitOpsBot.configMaps().inNamespace(namespace)
        .resource(new ConfigMapBuilder().withNewMetadata().withName(ledger).endMetadata().build()).dryRun().create());
  }

  /** The namespace as stored, with one annotation set. */
  public Namespace annotated(String ns, String key, String value) {
    Namespace n = bed.admin().namespaces().withName(ns).get();
    n.getMetadata().getAnnotations().put(key, value);
    return n;
  }

  public void awaitOptInValueDenied() {
    ShippedChart.awaitEnforced(policy("opt-in-value"), () -> bed.admin().namespaces()
        .resource(namespace(sites.ns(Sites.fresh("probe")), "true")).dryRun().create());
  }

  private void grantTestRbac() {
    clusterRole(release + "-edit", new ClusterRoleBuilder()
        .addNewRule().withApiGroups("").withResources("secrets")
        .withVerbs("get", "list", "watch", "create", "update", "patch", "delete").endRule()
        .addNewRule().withApiGroups("").withResources("namespaces").withVerbs("get", "update", "patch").endRule()
        .addNewRule().withApiGroups("").withResources("configmaps")
        .withVerbs("get", "list", "create", "update", "patch", "delete").endRule());
    clusterRole(release + "-namespaces", new ClusterRoleBuilder()
        .addNewRule().withApiGroups("").withResources("namespaces").withVerbs("create", "get", "update", "patch").endRule());
    clusterRole(release + "-create-namespaces", new ClusterRoleBuilder()
        .addNewRule().withApiGroups("").withResources("namespaces").withVerbs("create").endRule());
    bind(release + "-tenant-creates-namespaces", release + "-create-namespaces", "User", tenantName);
    bind(release + "-provisioner", release + "-namespaces", "User", provisionerName);
    bind(release + "-break-glass", release + "-edit", "Group", breakGlassGroup);
    clusterRole(release + "-gitops", new ClusterRoleBuilder()
        .addNewRule().withApiGroups("").withResources("namespaces").withVerbs("get", "list", "patch", "update").endRule()
        .addNewRule().withApiGroups("").withResources("secrets").withVerbs("get").endRule()
        .addNewRule().withApiGroups("").withResources("configmaps")
        .withVerbs("get", "list", "create", "update", "patch", "delete").endRule());
    bind(release + "-gitops", release + "-gitops", "User", release + "-gitops");
    clusterRole(release + "-finalize-only", new ClusterRoleBuilder()
        .addNewRule().withApiGroups("").withResources("namespaces/finalize").withVerbs("update").endRule());
    bind(release + "-finalizer", release + "-finalize-only", "User", release + "-finalizer");
    clusterRole(release + "-status-only", new ClusterRoleBuilder()
        .addNewRule().withApiGroups("").withResources("namespaces/status").withVerbs("update").endRule());
    bind(release + "-status-writer", release + "-status-only", "User", release + "-status-writer");
  }

  private void clusterRole(String name, ClusterRoleBuilder rules) {
    bed.admin().rbac().clusterRoles().resource(rules.withNewMetadata().withName(name).endMetadata().build())
        .serverSideApply();
  }

  private void bind(String name, String role, String kind, String subject) {
    bed.admin().rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder()
        .withNewMetadata().withName(name).endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(role).endRoleRef()
        .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind(kind).withName(subject).endSubject()
        .build()).serverSideApply();
  }

  /** A site namespace made by the cluster admin (opted in when {@code optIn} is "enabled"), with the tenant's edit rights. */
  public String siteNamespace(String site, String optIn) {
    sites.createNamespace(site, optIn);
    bed.admin().rbac().roleBindings().inNamespace(sites.ns(site)).resource(new RoleBindingBuilder()
        .withNewMetadata().withName("tenant-edit").endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(release + "-edit")
        .endRoleRef()
        .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName(tenantName).endSubject()
        .build()).create();
    // The authorizer learns new bindings from a watch: wait until this one applies.
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).ignoreException(KubernetesClientException.class)
        .until(() -> asTenant.secrets().inNamespace(sites.ns(site)).list() != null);
    return sites.ns(site);
  }

  /** A Secret with one key; with both ownership labels when {@code labelled}. */
  public Secret secret(String name, String type, boolean labelled) {
    Map<String, String> labels = new HashMap<>();
    if (labelled) {
      labels.put(naming.managedByLabel().key(), naming.managedByLabel().value());
      labels.put(naming.featureLabel().key(), naming.featureLabel().value());
    }
    SecretBuilder b = new SecretBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
        .withType(type).withStringData(Map.of("K", "v"));
    if (type.equals("kubernetes.io/service-account-token")) {
      // A token Secret the token controller would fill in for a privileged ServiceAccount.
      b.editMetadata().addToAnnotations("kubernetes.io/service-account.name", "clusterrole-aggregation-controller")
          .endMetadata().withStringData(Map.of());
    }
    return b.build();
  }

  public Namespace namespace(String name, String optIn) {
    NamespaceBuilder b = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata();
    if (optIn != null) b.editMetadata().addToAnnotations(naming.managedAnnotation(), optIn).endMetadata();
    return b.build();
  }

  /** A request refused at admission by {@code policy}, with this HTTP status and a message containing {@code says}. */
  public static void assertDenied(String what, String policy, int code, String says, ThrowingCallable call) {
    assertThatThrownBy(call).as(what).isInstanceOfSatisfying(KubernetesClientException.class, e -> {
      assertThat(e.getCode()).as(what + ": HTTP status").isEqualTo(code);
      assertThat(e.getStatus().getMessage()).as(what + ": message").contains(policy).contains(says);
    });
  }

  /** Removes the cluster-scoped policies (they would outlive the class) and closes the clients. */
  @Override
  public void close() {
    chart.delete(ShippedChart.POLICY_KINDS);
    for (KubernetesClient c : List.of(asOperator, asTenant, asProvisioner, asBreakGlass, asNamespaceController,
        asControllerManager, asGitOpsBot, asFinalizer, asStatusWriter)) {
      c.close();
    }
  }
}
