package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.controller.LeaderLease;
import sites.deco.buildsecrets.controller.OperatorWiring;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.source.aws.AwsSecretsManagerSource;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.testbed.ClientCerts;
import sites.deco.buildsecrets.testbed.CountingSource;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The RBAC shipped in deploy/build-secrets-operator.yaml is enough for the operator and no more.
 * The objects are applied as they are shipped; the operator then runs in-process as the chart's
 * ServiceAccount (a client certificate with that identity), with leader election on, and every
 * behaviour it needs works, while reads and writes it does not need are refused with 403.
 */
class RbacIT {
  private static final Path MANIFEST = TestBed.repoRoot().resolve("deploy/build-secrets-operator.yaml");
  private static final String NAMESPACE = "build-secrets-system";
  private static final String SERVICE_ACCOUNT = "build-secrets-operator";
  private static final String LEASE = "build-secrets.deco.sites";
  private static final String LEDGER = "build-secrets-deletion-ledger";
  private static final Set<String> RBAC_KINDS =
      Set.of("Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
  private static final Duration WITHIN = Duration.ofSeconds(30);

  static TestBed bed;
  static Sites sites;
  /** The operator's identity: everything it does, and every "cannot" below, goes through it. */
  static KubernetesClient asOperator;
  static String identity;
  static LeaderLease lease;
  static OperatorWiring.Wired operator;

  @BeforeAll
  static void start() throws IOException {
    bed = TestBed.get();
    sites = new Sites(bed, Sites.isolated("rbac"));
    applyShippedRbac();

    asOperator = ClientCerts.client(bed, ClientCerts.serviceAccount(bed, NAMESPACE, SERVICE_ACCOUNT));
    // The authorizer learns new bindings from a watch: wait until they apply.
    await().atMost(WITHIN).ignoreException(KubernetesClientException.class)
        .until(() -> asOperator.namespaces().list().getItems() != null);

    OperatorConfig.LeaderElection election = new OperatorConfig.LeaderElection(LEASE, NAMESPACE);
    OperatorConfig config = OperatorUnderTest.defaults(sites.naming).withLeaderElection(election)
        .withDeletionLedger(new OperatorConfig.DeletionLedgerLocation(NAMESPACE, LEDGER));
    identity = "rbac-it-" + ProcessHandle.current().pid();
    lease = new LeaderLease(election, identity);
    // A lost Lease must fail this class (the renewal test sees it), not System.exit the test JVM
    // that the other suites share.
    lease.stopping();
    operator = OperatorWiring.build(config, asOperator,
        new CountingSource(new AwsSecretsManagerSource(bed.secretsManager())), new SiteStore(), SyncMetrics.noop(),
        identity, lease);
    operator.start(); // JOSDK checks its Lease permissions here and refuses to start without them
    await().atMost(WITHIN).until(() -> identity.equals(leaseHolder()));
  }

  @AfterAll
  static void stop() {
    if (lease != null) lease.stopping();
    if (operator != null) operator.stop();
    if (lease != null && asOperator != null) lease.release(asOperator);
    if (asOperator != null) asOperator.close();
  }

  private static void applyShippedRbac() throws IOException {
    List<HasMetadata> objects;
    try (InputStream in = Files.newInputStream(MANIFEST)) {
      objects = bed.admin().load(in).items().stream().filter(o -> RBAC_KINDS.contains(o.getKind())).toList();
    }
    assertThat(objects).extracting(HasMetadata::getKind).containsOnlyElementsOf(RBAC_KINDS).containsAll(RBAC_KINDS);
    for (HasMetadata o : objects) { // in file order: the Namespace comes first
      bed.admin().resource(o).fieldManager("rbac-it").forceConflicts().serverSideApply();
    }
  }

  private static String leaseHolder() {
    Lease l = bed.admin().leases().inNamespace(NAMESPACE).withName(LEASE).get();
    return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
  }

  private String optedInSiteWith(String json) {
    String site = Sites.fresh("rbac");
    sites.putUpstream(site, json);
    sites.createNamespace(site, "enabled");
    await().atMost(WITHIN).until(() -> sites.secret(site) != null);
    return site;
  }

  private static void assertForbidden(String what, ThrowingCallable call) {
    assertThatThrownBy(call).as(what).isInstanceOfSatisfying(KubernetesClientException.class,
        e -> assertThat(e.getCode()).as(what + ": HTTP status").isEqualTo(403));
  }

  // --- what the operator needs ------------------------------------------------------------------

  @Test
  void holdsAndRenewsItsLeaseInTheReleaseNamespace() {
    Lease held = bed.admin().leases().inNamespace(NAMESPACE).withName(LEASE).get();
    assertThat(held.getSpec().getHolderIdentity()).isEqualTo(identity);
    // Renewal is a merge patch every retry period: a missing verb would show here, not at start.
    String resourceVersion = held.getMetadata().getResourceVersion();
    await().atMost(WITHIN).until(() -> {
      Lease now = bed.admin().leases().inNamespace(NAMESPACE).withName(LEASE).get();
      return !resourceVersion.equals(now.getMetadata().getResourceVersion())
          && identity.equals(now.getSpec().getHolderIdentity());
    });
  }

  @Test
  void createsTheSecretWithItsLabels() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    Secret s = sites.secret(site);
    assertThat(s.getMetadata().getLabels())
        .containsEntry("deco.sites/managed-by", "operator")
        .containsEntry("deco.sites/feature", "build-secrets");
    assertThat(Sites.decoded(s)).isEqualTo(Map.of("A", "1"));
  }

  @Test
  void updatesTheSecretOnAnUpstreamChangeAndForceSync() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    sites.putUpstream(site, "{\"A\":\"2\"}");
    sites.forceSync(site);
    await().atMost(WITHIN).until(() -> Map.of("A", "2").equals(Sites.decoded(sites.secret(site))));
  }

  @Test
  void recreatesAHandDeletedSecret() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    String uid = sites.secret(site).getMetadata().getUid();
    bed.admin().secrets().inNamespace(sites.ns(site)).withName(sites.naming.secretName()).delete();
    await().atMost(WITHIN).until(() -> {
      Secret s = sites.secret(site);
      return s != null && !uid.equals(s.getMetadata().getUid());
    });
  }

  @Test
  void deletesTheSecretOnOptOutAfterRecordingItInItsLedger() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    String uid = sites.secret(site).getMetadata().getUid();
    sites.annotate(site, sites.naming.managedAnnotation(), null);
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    // Created, then updated, by the operator's identity through the chart's deletion-ledger Role.
    ConfigMap ledger = bed.admin().configMaps().inNamespace(NAMESPACE).withName(LEDGER).get();
    assertThat(ledger.getData().get(ConfigMapDeletionLedger.SENT)).contains(uid);
  }

  @Test
  void recordsANotOwnedEventForAHandMadeSecret() {
    String site = Sites.fresh("rbac-unowned");
    sites.putUpstream(site, "{\"A\":\"1\"}");
    sites.createNamespace(site, null);
    bed.admin().secrets().inNamespace(sites.ns(site)).resource(new SecretBuilder()
        .withNewMetadata().withName(sites.naming.secretName()).endMetadata()
        .withStringData(Map.of("A", "by-hand")).build()).create();
    sites.optIn(site);
    await().atMost(WITHIN).until(() -> !sites.events(site, "NotOwned").isEmpty());
  }

  @Test
  void listsSecretsThroughTheNameFieldSelector() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    String name = sites.naming.secretName();
    assertThat(asOperator.secrets().inAnyNamespace().withField("metadata.name", name).list().getItems())
        .isNotEmpty().allSatisfy(s -> assertThat(s.getMetadata().getName()).isEqualTo(name));
    assertThat(asOperator.secrets().inNamespace(sites.ns(site)).withField("metadata.name", name).list().getItems())
        .hasSize(1);
  }

  // --- what it must not do ----------------------------------------------------------------------

  @Test
  void cannotReadASecretWithAnotherName() {
    String site = Sites.fresh("rbac-other");
    sites.createNamespace(site, null);
    String other = "other-" + site;
    for (String ns : List.of(sites.ns(site), "kube-system")) {
      bed.admin().secrets().inNamespace(ns).resource(new SecretBuilder()
          .withNewMetadata().withName(other).endMetadata()
          .withStringData(Map.of("K", "not-for-the-operator")).build()).create();
      assertForbidden("get secret " + ns + "/" + other,
          () -> asOperator.secrets().inNamespace(ns).withName(other).get());
      assertForbidden("delete secret " + ns + "/" + other,
          () -> asOperator.secrets().inNamespace(ns).withName(other).delete());
    }
  }

  @Test
  void cannotListSecretsWithoutTheNameFieldSelector() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    assertForbidden("list secrets in " + sites.ns(site),
        () -> asOperator.secrets().inNamespace(sites.ns(site)).list());
    assertForbidden("list secrets in kube-system", () -> asOperator.secrets().inNamespace("kube-system").list());
    assertForbidden("list secrets in all namespaces", () -> asOperator.secrets().inAnyNamespace().list());
    assertForbidden("list secrets selected by another name",
        () -> asOperator.secrets().inAnyNamespace().withField("metadata.name", "other").list());
  }

  @Test
  void cannotUseLeasesOtherThanItsOwn() {
    Lease foreign = new LeaseBuilder().withNewMetadata().withName("rbac-it-foreign").endMetadata()
        .withNewSpec().withHolderIdentity(identity).endSpec().build();
    assertForbidden("create lease in default", () -> asOperator.leases().inNamespace("default").resource(foreign).create());
    assertForbidden("get lease in default", () -> asOperator.leases().inNamespace("default").withName(LEASE).get());
    assertForbidden("get another lease in " + NAMESPACE,
        () -> asOperator.leases().inNamespace(NAMESPACE).withName("kube-controller-manager").get());
    assertForbidden("list leases in " + NAMESPACE, () -> asOperator.leases().inNamespace(NAMESPACE).list());
  }

  @Test
  void cannotUseConfigMapsOtherThanItsLedger() {
    ConfigMap foreign = new ConfigMapBuilder().withNewMetadata().withName("rbac-it-foreign").endMetadata().build();
    assertForbidden("create configmap in default", () -> asOperator.configMaps().inNamespace("default").resource(foreign).create());
    assertForbidden("get another configmap in " + NAMESPACE,
        () -> asOperator.configMaps().inNamespace(NAMESPACE).withName("kube-root-ca.crt").get());
    assertForbidden("list configmaps in " + NAMESPACE, () -> asOperator.configMaps().inNamespace(NAMESPACE).list());
    assertForbidden("delete its ledger", () -> asOperator.configMaps().inNamespace(NAMESPACE).withName(LEDGER).delete());
  }

  @Test
  void cannotChangeNamespacesNorReadOtherKinds() {
    String site = Sites.fresh("rbac-ns");
    sites.createNamespace(site, null);
    assertForbidden("label namespace " + sites.ns(site), () -> asOperator.namespaces().withName(sites.ns(site))
        .edit(n -> {
          n.getMetadata().getLabels().put("rbac-it", "was-here");
          return n;
        }));
    assertForbidden("list configmaps in all namespaces", () -> asOperator.configMaps().inAnyNamespace().list());
  }
}
