package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
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
import sites.deco.buildsecrets.testbed.GuardedBed;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * The demo's test plan with the operator running as the chart's ServiceAccount under the shipped
 * admission policies (and the chart's RBAC): every write it makes passes the operator-identity
 * policy, hand edits are refused at admission for ordinary users, and a break-glass edit is
 * still reverted, as the second line of defence.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorUnderPoliciesIT {
  private static final Duration WITHIN = Duration.ofSeconds(30);

  static GuardedBed g;
  static Sites sites;
  static OperatorUnderTest operator;
  static String site;
  static String ns;

  @BeforeAll
  static void start() {
    g = new GuardedBed(TestBed.get(), "guarded");
    sites = g.sites;
    // The authorizer learns the chart's bindings from a watch: the operator starts once they apply.
    await().atMost(WITHIN).ignoreException(KubernetesClientException.class)
        .until(() -> g.asOperator.namespaces().list().getItems() != null);
    operator = OperatorUnderTest.startAs(g.bed, g.asOperator, g.naming);
  }

  @AfterAll
  static void stop() {
    if (operator != null) operator.close();
    if (g != null) g.close();
  }

  private static Map<String, String> data() {
    return Sites.decoded(sites.secret(site));
  }

  @Test
  @Order(1)
  void upstreamThenAnnotationMaterialisesTheSecret() {
    site = Sites.fresh("seed");
    sites.putUpstream(site, "{\"TENANT_TEST_KEY\":\"v1\",\"TENANT_FROM_AWS\":\"yes\"}");
    ns = g.siteNamespace(site, null);
    sites.optIn(site); // the cluster admin: a configured opt-in admin
    await().atMost(WITHIN).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(s).isNotNull();
      assertThat(s.getType()).isEqualTo("Opaque");
      assertThat(s.getMetadata().getLabels())
          .containsEntry("deco.sites/managed-by", "operator").containsEntry("deco.sites/feature", "build-secrets");
      assertThat(Sites.decoded(s)).isEqualTo(Map.of("TENANT_TEST_KEY", "v1", "TENANT_FROM_AWS", "yes"));
    });
  }

  @Test
  @Order(2)
  void upstreamUpdateAndForceSyncUpdates() {
    sites.putUpstream(site, "{\"TENANT_TEST_KEY\":\"v2\"}");
    sites.forceSync(site);
    await().atMost(WITHIN).until(() -> Map.of("TENANT_TEST_KEY", "v2").equals(data()));
  }

  @Test
  @Order(3)
  void optOutDeletesAndOptInRecreates() {
    for (int i = 0; i < 3; i++) {
      sites.annotate(site, g.naming.managedAnnotation(), null);
      sites.optIn(site);
    }
    sites.annotate(site, g.naming.managedAnnotation(), null);
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    sites.optIn(site);
    await().atMost(WITHIN).until(() -> Map.of("TENANT_TEST_KEY", "v2").equals(data()));
  }

  @Test
  @Order(4)
  void aTenantsHandEditIsRefusedAndABreakGlassEditIsReverted() {
    String name = g.naming.secretName();
    GuardedBed.assertDenied("tenant edit", g.policy("managed-secrets"), 403, "then force-sync",
        () -> g.asTenant.secrets().inNamespace(ns).withName(name).edit(s -> {
          s.getData().put("TENANT_TEST_KEY", "aGFuZA==");
          return s;
        }));
    g.asBreakGlass.secrets().inNamespace(ns).withName(name).edit(s -> {
      s.getData().put("TENANT_TEST_KEY", "ZWRpdGVk");
      s.getData().put("ADDED_BY_HAND", "eA==");
      return s;
    });
    await().atMost(WITHIN).until(() -> Map.of("TENANT_TEST_KEY", "v2").equals(data()));
    String uid = sites.secret(site).getMetadata().getUid();
    g.asBreakGlass.secrets().inNamespace(ns).withName(name).delete();
    await().atMost(WITHIN).until(() -> {
      Secret s = sites.secret(site);
      return s != null && !uid.equals(s.getMetadata().getUid()) && Map.of("TENANT_TEST_KEY", "v2").equals(Sites.decoded(s));
    });
    ReliabilityRecord.passed(AdmissionPolicyIT.AREA, "Operator running as its ServiceAccount under the policies: "
        + "a tenant's hand edit, then a break-glass edit and delete of the managed Secret",
        "Tenant denied (403) at admission; the break-glass edit reverted and the deletion recreated by the operator");
  }

  @Test
  @Order(5)
  void aHandMadeSecretIsLeftIntactAndReported() {
    String manual = Sites.fresh("hand-made");
    sites.putUpstream(manual, "{\"A\":\"sm\"}");
    String manualNs = g.siteNamespace(manual, null);
    Secret made = g.asTenant.secrets().inNamespace(manualNs).resource(g.secret(g.naming.secretName(), "Opaque", false))
        .create();
    sites.optIn(manual);
    await().atMost(WITHIN).until(() -> !sites.events(manual, "NotOwned").isEmpty());
    assertThat(sites.secret(manual).getMetadata().getResourceVersion()).isEqualTo(made.getMetadata().getResourceVersion());
    ReliabilityRecord.passed(AdmissionPolicyIT.AREA, "Under the policies, an ordinary user creates a hand-made "
        + g.naming.secretName() + " in an opted-in namespace", "Allowed; the operator leaves it intact and reports NotOwned");
  }

  @Test
  @Order(6)
  void invalidPayloadsKeepTheSecret() {
    String before = sites.secret(site).getMetadata().getResourceVersion();
    for (String payload : List.of("null", "{\"A\":1}")) {
      int seen = sites.events(site, "InvalidPayload").size();
      sites.putUpstream(site, payload);
      sites.forceSync(site);
      await().atMost(WITHIN).until(() -> sites.events(site, "InvalidPayload").size() > seen);
      assertThat(sites.secret(site).getMetadata().getResourceVersion()).isEqualTo(before);
    }
    sites.putUpstream(site, "{\"TENANT_TEST_KEY\":\"v3\"}");
    sites.forceSync(site);
    await().atMost(WITHIN).until(() -> Map.of("TENANT_TEST_KEY", "v3").equals(data()));
  }

  @Test
  @Order(7)
  void upstreamDeletedOrScheduledForDeletionRemovesTheSecret() {
    String gone = Sites.fresh("gone");
    String scheduled = Sites.fresh("scheduled");
    for (String s : List.of(gone, scheduled)) {
      sites.putUpstream(s, "{\"A\":\"x\"}");
      g.siteNamespace(s, "enabled");
    }
    await().atMost(WITHIN).until(() -> sites.secret(gone) != null && sites.secret(scheduled) != null);
    sites.deleteUpstream(gone, false);
    sites.deleteUpstream(scheduled, true);
    sites.forceSync(gone);
    sites.forceSync(scheduled);
    await().atMost(WITHIN).until(() -> sites.secret(gone) == null && sites.secret(scheduled) == null);
    ReliabilityRecord.passed(AdmissionPolicyIT.AREA, "The seed's test plan with the operator as the chart's "
        + "ServiceAccount under the shipped policies",
        "Create, force-sync update, opt-out delete, re-create, hand-made left alone, invalid payloads kept, "
            + "upstream deletion removes: every operator write admitted");
  }
}
