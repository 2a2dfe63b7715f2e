package sites.deco.buildsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.testbed.OperatorUnderTest;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/** The rule table, one behaviour per test, on a real kube-apiserver with moto behind the real AWS SDK. */
class BuildSecretsReconcilerIT {
  private static final Duration WITHIN = Duration.ofSeconds(20);
  /** How long "nothing happens" must hold. */
  private static final Duration QUIET = Duration.ofSeconds(3);

  static TestBed bed;
  static Sites sites;
  static OperatorUnderTest op;

  @BeforeAll
  static void start() {
    bed = TestBed.get();
    sites = new Sites(bed, Sites.isolated("rec"));
    // Several tests here delete or strip Secrets on purpose; the guard has its own suites.
    op = OperatorUnderTest.start(bed, sites.naming,
        c -> c.withDeletionBudget(new OperatorConfig.DeletionBudget(10, 50)));
  }

  @AfterAll
  static void stop() {
    if (op != null) op.close();
  }

  private String optedInSiteWith(String json) {
    String site = Sites.fresh("s");
    sites.putUpstream(site, json);
    sites.createNamespace(site, "enabled");
    await().atMost(WITHIN).until(() -> sites.secret(site) != null);
    return site;
  }

  @Test
  void createsTheSecretWithLabelsDataTypeAndVersion() {
    String site = Sites.fresh("create");
    String version = sites.putUpstream(site, "{\"TENANT_TOKEN\":\"from-sm\",\"FOO\":\"bar\"}");
    sites.createNamespace(site, "enabled");

    await().atMost(WITHIN).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(s).isNotNull();
      assertThat(s.getType()).isEqualTo("Opaque");
      assertThat(s.getMetadata().getLabels())
          .containsEntry("deco.sites/managed-by", "operator")
          .containsEntry("deco.sites/feature", "build-secrets");
      assertThat(s.getMetadata().getAnnotations()).containsEntry("deco.sites/build-secrets-version", version);
      assertThat(Sites.decoded(s)).isEqualTo(Map.of("TENANT_TOKEN", "from-sm", "FOO", "bar"));
    });
    await().atMost(WITHIN).until(() -> !sites.events(site, "Created").isEmpty());
    assertThat(op.source.directReads(sites.key(site))).isEqualTo(1);
  }

  @Test
  void emptyObjectGivesAnEmptySecret() {
    String site = optedInSiteWith("{}");
    assertThat(Sites.decoded(sites.secret(site))).isEmpty();
  }

  @Test
  void missingUpstreamCreatesNothingAndSaysSo() {
    String site = Sites.fresh("lazy");
    sites.createNamespace(site, "enabled");

    await().atMost(WITHIN).until(() -> !sites.events(site, "UpstreamMissing").isEmpty());
    assertThat(sites.secret(site)).isNull();

    // Once the key exists, a force-sync materialises it.
    sites.putUpstream(site, "{\"A\":\"1\"}");
    sites.forceSync(site);
    await().atMost(WITHIN).untilAsserted(() -> assertThat(sites.secret(site)).isNotNull());
  }

  @Test
  void forceSyncReadsAgainAndUpdates() {
    String site = optedInSiteWith("{\"A\":\"old\"}");
    String v2 = sites.putUpstream(site, "{\"A\":\"new\",\"B\":\"added\"}");
    sites.forceSync(site);

    await().atMost(WITHIN).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(Sites.decoded(s)).isEqualTo(Map.of("A", "new", "B", "added"));
      assertThat(s.getMetadata().getAnnotations()).containsEntry("deco.sites/build-secrets-version", v2);
    });
    await().atMost(WITHIN).until(() -> !sites.events(site, "Updated").isEmpty());
    assertThat(sites.events(site, "Updated").get(0).getMessage()).contains("added [B]").contains("changed [A]")
        .doesNotContain("new").doesNotContain("added\"");
  }

  @Test
  void handEditsAreRepairedAndForeignMetadataKept() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    bed.admin().secrets().inNamespace(sites.ns(site)).withName("build-secrets").edit(s -> {
      s.getData().put("A", "aGFja2Vk");
      s.getData().put("EXTRA", "eA==");
      s.getMetadata().getAnnotations().remove("deco.sites/build-secrets-version");
      s.getMetadata().getLabels().put("team", "builders");
      return s;
    });

    await().atMost(WITHIN).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(Sites.decoded(s)).isEqualTo(Map.of("A", "1"));
      assertThat(s.getMetadata().getAnnotations()).containsKey("deco.sites/build-secrets-version");
      assertThat(s.getMetadata().getLabels()).containsEntry("team", "builders");
    });
  }

  @Test
  void kubectlsCopyOfHandAppliedValuesGoesWithTheRepair() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    // What `kubectl apply` of a hand-written build-secrets leaves: the values, and a copy of them.
    bed.admin().secrets().inNamespace(sites.ns(site)).withName("build-secrets").edit(s -> {
      s.getData().put("A", "aGFja2Vk");
      s.getMetadata().getAnnotations().put("kubectl.kubernetes.io/last-applied-configuration",
          "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"stringData\":{\"A\":\"hacked\"}}");
      s.getMetadata().getAnnotations().put("team/owner", "builders");
      return s;
    });

    await().atMost(WITHIN).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(Sites.decoded(s)).isEqualTo(Map.of("A", "1"));
      assertThat(s.getMetadata().getAnnotations()).doesNotContainKey("kubectl.kubernetes.io/last-applied-configuration")
          .containsEntry("team/owner", "builders");
    });
  }

  @Test
  void aHandDeletionIsRepaired() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    String uid = sites.secret(site).getMetadata().getUid();
    bed.admin().secrets().inNamespace(sites.ns(site)).withName("build-secrets").delete();

    await().atMost(WITHIN).untilAsserted(() -> {
      Secret s = sites.secret(site);
      assertThat(s).isNotNull();
      assertThat(s.getMetadata().getUid()).isNotEqualTo(uid);
    });
  }

  @Test
  void optOutDeletesTheManagedSecretWithoutReadingUpstream() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    await().atMost(WITHIN).until(() -> op.source.directReads(sites.key(site)) == 1);

    sites.annotate(site, "deco.sites/build-secrets-managed", null);
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    assertThat(op.source.directReads(sites.key(site))).isEqualTo(1);
    await().atMost(WITHIN).until(() -> !sites.events(site, "Deleted").isEmpty());
    assertThat(sites.events(site, "Deleted").get(0).getMessage()).contains("opted out");

    // Opting in again recreates it.
    sites.optIn(site);
    await().atMost(WITHIN).until(() -> sites.secret(site) != null);
  }

  @Test
  void anyOtherOptInValueCountsAsOffAndIsExplained() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    sites.annotate(site, "deco.sites/build-secrets-managed", "true");

    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    await().atMost(WITHIN).until(() -> !sites.events(site, "UnrecognisedOptIn").isEmpty());
    assertThat(sites.events(site, "UnrecognisedOptIn").get(0).getMessage()).contains("\"enabled\"");
  }

  @Test
  void anUnownedSecretIsNeverTouchedNorCausesAnUpstreamRead() {
    String site = Sites.fresh("unowned");
    sites.putUpstream(site, "{\"A\":\"from-sm\"}");
    sites.createNamespace(site, null);
    Secret manual = bed.admin().secrets().inNamespace(sites.ns(site)).resource(new SecretBuilder()
        .withNewMetadata().withName("build-secrets").endMetadata()
        .withStringData(Map.of("A", "manual")).build()).create();

    sites.optIn(site);
    await().atMost(WITHIN).until(() -> sites.events(site, "NotOwned").size() == 1);
    sites.forceSync(site);

    await().during(QUIET).atMost(QUIET.plusSeconds(2)).untilAsserted(() -> {
      assertThat(sites.secret(site).getMetadata().getResourceVersion())
          .isEqualTo(manual.getMetadata().getResourceVersion());
      assertThat(sites.events(site, "NotOwned")).hasSize(1);
      assertThat(op.source.directReads(sites.key(site))).isZero();
    });

    // Opting out never deletes it either.
    sites.annotate(site, "deco.sites/build-secrets-managed", null);
    await().during(QUIET).atMost(QUIET.plusSeconds(2))
        .untilAsserted(() -> assertThat(sites.secret(site)).isNotNull());
  }

  @Test
  void ownWritesAndUnrelatedNamespaceEditsCauseNoUpstreamRead() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    // Direct reads only: another test's deletion may read this key in a batch to corroborate.
    await().during(QUIET).atMost(QUIET.plusSeconds(5)).until(() -> op.source.directReads(sites.key(site)) == 1);

    bed.admin().namespaces().withName(sites.ns(site)).edit(n -> {
      n.getMetadata().getLabels().put("another-controller", "was-here");
      return n;
    });
    await().during(QUIET).atMost(QUIET.plusSeconds(2)).until(() -> op.source.directReads(sites.key(site)) == 1);
  }

  @Test
  void upstreamDeletedRemovesTheManagedSecret() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    sites.deleteUpstream(site, false);
    sites.forceSync(site);

    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    await().atMost(WITHIN).until(() -> !sites.events(site, "Deleted").isEmpty());
  }

  @Test
  void upstreamScheduledForDeletionCountsAsMissing() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    sites.deleteUpstream(site, true);
    sites.forceSync(site);

    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
    assertThat(sites.events(site, "Deleted").get(0).getMessage()).contains("scheduled for deletion");
  }

  @Test
  void anInvalidPayloadKeepsTheSecretAndNamesTheKey() {
    String site = optedInSiteWith("{\"A\":\"good\"}");
    String before = sites.secret(site).getMetadata().getResourceVersion();
    sites.putUpstream(site, "{\"A\":\"CANARY-in-value\",\"bad key\":\"x\"}");
    sites.forceSync(site);

    await().atMost(WITHIN).until(() -> !sites.events(site, "InvalidPayload").isEmpty());
    String message = sites.events(site, "InvalidPayload").get(0).getMessage();
    // The key that is not valid is named by position, length and hash: it might be a pasted value.
    assertThat(message).contains("key #2 (7 characters, sha256 ").contains("not a valid Secret data key")
        .doesNotContain("bad key").doesNotContain("CANARY");
    assertThat(sites.secret(site).getMetadata().getResourceVersion()).isEqualTo(before);
    assertThat(Sites.decoded(sites.secret(site))).isEqualTo(Map.of("A", "good"));
  }

  @Test
  void anUpstreamErrorKeepsTheSecretAndIsReported() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    String before = sites.secret(site).getMetadata().getResourceVersion();
    op.source.failWith(SourceException.Kind.ACCESS_DENIED);
    try {
      sites.deleteUpstream(site, false); // even with the key gone, an error must not delete
      sites.forceSync(site);
      await().atMost(WITHIN).until(() -> !sites.events(site, "SourceError").isEmpty());
      assertThat(sites.events(site, "SourceError").get(0).getMessage()).contains("access denied");
      assertThat(sites.secret(site).getMetadata().getResourceVersion()).isEqualTo(before);
      // Backoff retries on its own, without a new event.
      int reads = op.source.reads(sites.key(site));
      await().atMost(WITHIN).until(() -> op.source.reads(sites.key(site)) > reads);
    } finally {
      op.source.failWith(null);
    }
  }

  @Test
  void aTerminatingNamespaceLosesItsManagedSecretOnly() {
    String site = optedInSiteWith("{\"A\":\"1\"}");
    bed.admin().namespaces().withName(sites.ns(site)).delete();
    // No controller-manager here: the namespace stays Terminating, which is the state under test.
    await().atMost(WITHIN).until(() -> sites.secret(site) == null);
  }
}
