package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.testbed.GuardedBed;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * Identities outside the trusted set try to use the operator as a deputy: to receive a site's
 * values, to opt in or approve through a side door, to clear the deletion guard's memory. The
 * operator runs as its ServiceAccount (a TokenRequest token) under the chart's RBAC and policies;
 * each attack is made as the identity that would make it, and the test asserts what is left
 * afterwards: which Secrets exist, who can read them, what the namespaces and the ledger hold.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrustBoundariesIT {
  static final String AREA = "Trust boundaries";
  private static final Duration WITHIN = Duration.ofSeconds(30);
  /** Two deletions at most in a fleet this size, so a bulk opt-out of six shows the cap. */
  private static final OperatorConfig.DeletionBudget BUDGET = new OperatorConfig.DeletionBudget(10, 2);

  static GuardedBed g;
  static Sites sites;
  static Naming naming;
  static OperatorUnderTest operator;

  @BeforeAll
  static void start() {
    g = new GuardedBed(TestBed.get(), "trust");
    sites = g.sites;
    naming = g.naming;
    // The authorizer learns the chart's bindings from a watch: the operator starts once they apply.
    await().atMost(WITHIN).ignoreException(KubernetesClientException.class)
        .until(() -> g.asOperator.namespaces().list().getItems() != null);
    operator = OperatorUnderTest.startAs(g.bed, g.asOperator, naming, c -> c.withDeletionBudget(BUDGET)
        .withDeletionLedger(new OperatorConfig.DeletionLedgerLocation(g.namespace, g.ledger)));
  }

  @AfterAll
  static void stop() {
    if (operator != null) operator.close();
    if (g != null) g.close();
  }

  private static void assertForbidden(String what, Runnable call) {
    assertThatThrownBy(call::run).as(what).isInstanceOfSatisfying(KubernetesClientException.class,
        e -> assertThat(e.getCode()).as(what + ": HTTP status").isEqualTo(403));
  }

  /** A site opted in by the cluster admin, its upstream {"A": "v1"}, once its Secret is written. */
  private static String syncedSite(String hint) {
    String site = Sites.fresh(hint);
    sites.putUpstream(site, "{\"A\":\"v1\"}");
    g.siteNamespace(site, Naming.OPT_IN_VALUE);
    await().atMost(WITHIN).until(() -> sites.secret(site) != null);
    return site;
  }

  private static Map<String, String> annotations(String ns) {
    return g.bed.admin().namespaces().withName(ns).get().getMetadata().getAnnotations();
  }

  @Test
  @Order(1)
  void aSquatterNeverReceivesASitesValuesInEitherOrder() {
    String site = Sites.fresh("future");
    String ns = sites.ns(site);
    sites.putUpstream(site, "{\"DEPLOY_TOKEN\":\"" + site + "\"}");
    String creators = g.policy("site-namespace-creators");

    GuardedBed.assertDenied("tenant squats the future site's namespace", creators, 403, "AlreadyExists",
        () -> g.asTenant.namespaces().resource(g.namespace(ns, null)).create());
    assertThat(g.bed.admin().namespaces().withName(ns).get()).isNull();
    g.asProvisioner.namespaces().resource(g.namespace(ns, Naming.OPT_IN_VALUE)).create();
    await().atMost(WITHIN).until(() -> Map.of("DEPLOY_TOKEN", site).equals(Sites.decoded(sites.secret(site))));
    assertForbidden("tenant reads the site's Secret", () -> g.asTenant.secrets().inNamespace(ns)
        .withName(naming.secretName()).get());
    ReliabilityRecord.passed(AREA, "Squatting: an ordinary user who may create namespaces creates "
        + naming.namespacePrefix() + "<site> before the site exists (its upstream key does), then the provisioner "
        + "creates and opts it in", "Squatter denied (403) by the site-namespace-creators policy, no namespace left; "
        + "the provisioner's namespace gets the Secret, which the squatter cannot read (403)");

    // Off-boarded: the namespace goes (the test bed has no namespace controller: the operator
    // deletes its Secret in the terminating namespace, then the test finalizes it), and the
    // squatter tries to take the name over.
    g.bed.admin().namespaces().withName(ns).delete();
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    Namespace terminating = g.bed.admin().namespaces().withName(ns).get();
    terminating.getSpec().setFinalizers(List.of());
    g.bed.admin().raw("/api/v1/namespaces/" + ns + "/finalize", "PUT", terminating);
    await().atMost(WITHIN).until(() -> g.bed.admin().namespaces().withName(ns).get() == null);
    GuardedBed.assertDenied("tenant squats the off-boarded site's namespace", creators, 403, "AlreadyExists",
        () -> g.asTenant.namespaces().resource(g.namespace(ns, null)).create());
    assertThat(g.bed.admin().namespaces().withName(ns).get()).isNull();
    ReliabilityRecord.passed(AREA, "Squatting: the same user creates the namespace of an off-boarded site after "
        + "it was deleted (its upstream key still exists)", "Denied (403) by the site-namespace-creators policy; "
        + "no namespace exists, so a provisioner that creates and fails on AlreadyExists never opts in a squat");
  }

  @Test
  @Order(2)
  void theNamespaceSubresourcesCannotOptASiteIn() {
    String control = syncedSite("control");
    int round = 0;
    for (String subresource : List.of("finalize", "status")) {
      KubernetesClient as = subresource.equals("finalize") ? g.asFinalizer : g.asStatusWriter;
      String site = Sites.fresh("via-" + subresource);
      sites.putUpstream(site, "{\"A\":\"" + site + "\"}");
      String ns = g.siteNamespace(site, null);
      GuardedBed.assertDenied(subresource + ": opt in", g.policy("opt-in-identity"), 403, "only these identities",
          () -> as.raw("/api/v1/namespaces/" + ns + "/" + subresource, "PUT",
              g.annotated(ns, naming.managedAnnotation(), Naming.OPT_IN_VALUE)));
      // A reconcile of the attacked namespace and of the control, then the control's result awaited.
      String value = "v" + (round += 2);
      sites.putUpstream(control, "{\"A\":\"" + value + "\"}");
      sites.forceSync(site);
      sites.forceSync(control);
      await().atMost(WITHIN).until(() -> Map.of("A", value).equals(Sites.decoded(sites.secret(control))));
      assertThat(annotations(ns)).as(ns).doesNotContainKey(naming.managedAnnotation());
      assertThat(sites.secret(site)).as("Secret in " + ns).isNull();
    }
    ReliabilityRecord.passed(AREA, "An identity with only update on namespaces/finalize (and one with only "
        + "namespaces/status) opts in a site namespace whose upstream key exists",
        "Denied (403) by the opt-in-identity policy; after a reconcile of that namespace the opt-in is absent "
            + "and no Secret was written");
  }

  @Test
  @Order(3)
  void theControllerManagerCannotWriteAManagedSecretButTeardownRemovesIt() {
    String site = syncedSite("teardown");
    String ns = sites.ns(site);
    String bare = g.siteNamespace(Sites.fresh("teardown-bare"), null);
    String managed = g.policy("managed-secrets");
    GuardedBed.assertDenied("controller-manager overwrites the managed Secret", managed, 403, "force-sync", () -> {
      var s = g.asControllerManager.secrets().inNamespace(ns).withName(naming.secretName()).get();
      s.getData().put("A", "aW5qZWN0ZWQ=");
      g.asControllerManager.secrets().inNamespace(ns).resource(s).update();
    });
    GuardedBed.assertDenied("controller-manager creates a managed Secret", managed, 403, "force-sync",
        () -> g.asControllerManager.secrets().inNamespace(bare)
            .resource(g.secret(naming.secretName(), "Opaque", true)).create());
    assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("A", "v1"));
    assertThat(g.bed.admin().secrets().inNamespace(bare).withName(naming.secretName()).get()).isNull();

    g.bed.admin().namespaces().withName(ns).delete();
    await().atMost(WITHIN).until(() -> g.bed.admin().namespaces().withName(ns).get().getMetadata()
        .getDeletionTimestamp() != null);
    // The teardown's own delete (a no-op when the operator was first) is never refused.
    g.asNamespaceController.secrets().inNamespace(ns).withName(naming.secretName()).delete();
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    ReliabilityRecord.passed(AREA, "The controller-manager's own identity (bootstrap role: create and update Secrets) "
        + "overwrites a managed Secret, or creates one, in a live site namespace; then the namespace is deleted",
        "Denied (403) by the managed-secrets policy, the Secret unchanged and none created; the teardown removes "
            + "the Secret");
  }

  @Test
  @Order(4)
  void aGitOpsBotMayOptSitesOutButNotApproveTheirDeletion() {
    List<String> fleet = sites.syncedFleet(6, "bot", WITHIN);
    String approvers = g.policy("deletion-approvers");
    for (String site : fleet) {
      g.asGitOpsBot.namespaces().withName(sites.ns(site)).edit(n -> {
        n.getMetadata().getAnnotations().remove(naming.managedAnnotation());
        return n;
      });
    }
    for (String site : fleet) {
      var secret = g.asGitOpsBot.secrets().inNamespace(sites.ns(site)).withName(naming.secretName()).get();
      String uid = secret == null ? "already-deleted" : secret.getMetadata().getUid();
      GuardedBed.assertDenied("GitOps bot approves " + site, approvers, 403, "only these identities may approve",
          () -> g.asGitOpsBot.namespaces().resource(g.annotated(sites.ns(site), Naming.DELETION_APPROVAL_ANNOTATION, uid))
              .update());
    }
    // Settled: each opted-out site's Secret is deleted, or paused with a Warning.
    await().atMost(WITHIN).until(() -> fleet.stream()
        .allMatch(s -> sites.secret(s) == null || !sites.events(s, "DeletionPaused").isEmpty()));
    List<String> remaining = fleet.stream().filter(s -> sites.secret(s) != null).toList();
    assertThat(remaining).as("Secrets left of " + fleet).hasSizeGreaterThanOrEqualTo(fleet.size() - BUDGET.minimum());
    for (String site : fleet) {
      assertThat(annotations(sites.ns(site))).as(site)
          .doesNotContainKeys(naming.managedAnnotation(), Naming.DELETION_APPROVAL_ANNOTATION);
    }
    for (String site : remaining) {
      assertThat(Sites.decoded(sites.secret(site))).as(site).isEqualTo(Map.of("A", site));
    }
    ReliabilityRecord.passed(AREA, "A GitOps bot (cluster-wide namespace patch, reads Secret UIDs) opts 6 synced "
        + "sites out, then approves each deletion (annotation = the Secret's UID), with a deletion budget of 2",
        "Opt-outs allowed; every approval denied (403) by the deletion-approvers policy and none stored; at most 2 "
            + "Secrets deleted, the others kept with their data and a DeletionPaused Warning");

    // The same approval, by a configured approver (the cluster admin), deletes that Secret.
    String approved = remaining.get(0);
    String uid = sites.secret(approved).getMetadata().getUid();
    sites.annotate(approved, Naming.DELETION_APPROVAL_ANNOTATION, uid);
    await().atMost(WITHIN).until(() -> sites.secret(approved) == null);
    assertThat(remaining.subList(1, remaining.size())).allMatch(s -> sites.secret(s) != null);
  }

  @Test
  @Order(5)
  void onlyBreakGlassCanClearTheDeletionGuardsMemory() {
    // Written by the operator when the bot's bulk opt-out tripped the guard.
    await().atMost(WITHIN).until(() -> ledger() != null && ledger().getData().containsKey(ConfigMapDeletionLedger.TRIPPED_SINCE));
    ConfigMap before = ledger();
    String policy = g.policy("deletion-ledger");
    GuardedBed.assertDenied("GitOps bot clears the latch", policy, 403, g.breakGlassGroup,
        () -> g.asGitOpsBot.configMaps().inNamespace(g.namespace).withName(g.ledger).edit(c -> {
          c.getData().remove(ConfigMapDeletionLedger.TRIPPED_SINCE);
          return c;
        }));
    GuardedBed.assertDenied("GitOps bot deletes the ledger", policy, 403, g.breakGlassGroup,
        () -> g.asGitOpsBot.configMaps().inNamespace(g.namespace).withName(g.ledger).delete());
    GuardedBed.assertDenied("cluster admin deletes the ledger", policy, 403, g.breakGlassGroup,
        () -> g.bed.admin().configMaps().inNamespace(g.namespace).withName(g.ledger).delete());
    ConfigMap after = ledger();
    assertThat(after.getMetadata().getUid()).isEqualTo(before.getMetadata().getUid());
    assertThat(after.getData().get(ConfigMapDeletionLedger.TRIPPED_SINCE)).isEqualTo(before.getData().get(ConfigMapDeletionLedger.TRIPPED_SINCE));

    g.asBreakGlass.configMaps().inNamespace(g.namespace).withName(g.ledger).delete();
    ConfigMap cleared = ledger();
    assertThat(cleared == null || !cleared.getMetadata().getUid().equals(before.getMetadata().getUid())).isTrue();
    ReliabilityRecord.passed(AREA, "A GitOps bot with ConfigMap write rights (and a cluster admin outside the "
        + "break-glass group) clears the tripped guard's latch in the deletion ledger, or deletes the ledger",
        "Denied (403) by the deletion-ledger policy, naming the break-glass way; the ledger and its latch unchanged; "
            + "a break-glass member may delete it");
  }

  private static ConfigMap ledger() {
    return g.bed.admin().configMaps().inNamespace(g.namespace).withName(g.ledger).get();
  }
}
