package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.sync.LeanSecret;
import sites.deco.buildsecrets.sync.SiteRef;

class LeanItemStoreTest {
  @Test
  void cachedNamespacesKeepWhatASiteIsReadFromAndDropEverythingElse() {
    LeanItemStore<Namespace> store = LeanItemStore.forNamespaces(Naming.DEFAULTS);
    Namespace ns = new NamespaceBuilder().withNewMetadata().withName("sites-a").withResourceVersion("7")
        .withUid("u-1").withDeletionTimestamp("2026-12-06T00:00:00Z")
        .withCreationTimestamp("2026-12-01T00:00:00Z")
        .addToAnnotations("deco.sites/build-secrets-managed", "enabled")
        .addToAnnotations("deco.sites/build-secrets-sync", "t-1")
        .addToAnnotations(Naming.DELETION_APPROVAL_ANNOTATION, "uid-9")
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"a large\": \"document\"}")
        .addToLabels("kubernetes.io/metadata.name", "sites-a")
        .withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").withOperation("Update").build())
        .endMetadata()
        .withNewSpec().addToFinalizers("kubernetes").endSpec()
        .withNewStatus().withPhase("Terminating").endStatus()
        .build();

    store.put(store.getKey(ns), ns);

    Namespace cached = store.get("sites-a");
    assertThat(cached.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(cached.getSpec()).isNull();
    assertThat(cached.getStatus()).isNull();
    assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("7");
    assertThat(cached.getMetadata().getUid()).isEqualTo("u-1");
    assertThat(cached.getMetadata().getDeletionTimestamp()).isEqualTo("2026-12-06T00:00:00Z");
    assertThat(cached.getMetadata().getAnnotations()).containsOnly(
        Map.entry("deco.sites/build-secrets-managed", "enabled"), Map.entry("deco.sites/build-secrets-sync", "t-1"),
        Map.entry(Naming.DELETION_APPROVAL_ANNOTATION, "uid-9"));
    assertThat(cached.getMetadata().getLabels()).isNull();
    assertThat(cached.getMetadata().getCreationTimestamp()).isNull();
    assertThat(SiteRef.from(cached, Naming.DEFAULTS)).get()
        .satisfies(site -> assertThat(site.optedIn()).isFalse()) // terminating
        .satisfies(site -> assertThat(site.syncToken()).isEqualTo("t-1"));
  }

  @Test
  void annotationsNamedByTheConfigurationAreTheOnesKept() {
    Naming custom = new Naming("sites-", "sites/{site}/build", "build-secrets", "example.com/managed",
        "example.com/sync", "example.com/version", Naming.DEFAULTS.managedByLabel(), Naming.DEFAULTS.featureLabel());
    LeanItemStore<Namespace> store = LeanItemStore.forNamespaces(custom);
    Namespace ns = new NamespaceBuilder().withNewMetadata().withName("sites-a")
        .addToAnnotations("example.com/managed", "enabled")
        .addToAnnotations("deco.sites/build-secrets-managed", "enabled")
        .endMetadata().build();

    store.put(store.getKey(ns), ns);

    assertThat(store.get("sites-a").getMetadata().getAnnotations()).containsOnlyKeys("example.com/managed");
  }

  @Test
  void repeatedStringsAreSharedAndUniqueOnesKeptAsTheyAre() {
    LeanItemStore<Secret> store = LeanItemStore.forSecrets();
    String version = "33782b5f-0625-4121-be0a-53ec34c4eee4";
    for (String ns : List.of("sites-a", "sites-b")) {
      Secret secret = new SecretBuilder().withNewMetadata().withName(new String("build-secrets")).withNamespace(ns)
          .addToLabels("deco.sites/managed-by", new String("operator"))
          .addToAnnotations("deco.sites/build-secrets-version", new String(version))
          .endMetadata().withType(new String("Opaque")).addToData("K", "dg==").build();
      store.put(store.getKey(secret), secret);
    }

    Secret a = store.get("sites-a/build-secrets");
    Secret b = store.get("sites-b/build-secrets");
    assertThat(a.getMetadata().getName()).isSameAs(b.getMetadata().getName());
    assertThat(a.getType()).isSameAs(b.getType());
    assertThat(a.getMetadata().getLabels().get("deco.sites/managed-by"))
        .isSameAs(b.getMetadata().getLabels().get("deco.sites/managed-by"));
    assertThat(a.getMetadata().getAnnotations().get("deco.sites/build-secrets-version"))
        .isEqualTo(version).isNotSameAs(b.getMetadata().getAnnotations().get("deco.sites/build-secrets-version"));
    assertThat(a.getMetadata().getFinalizers()).isEmpty();
  }

  @Test
  void aWriteBuiltFromACachedSecretCanChangeItsMarks() {
    LeanItemStore<Secret> store = LeanItemStore.forSecrets();
    Secret secret = new SecretBuilder().withNewMetadata().withName("build-secrets").withNamespace("sites-a")
        .addToLabels("deco.sites/managed-by", "operator").addToAnnotations("team", "x").endMetadata()
        .addToData("K", "dg==").build();
    store.put(store.getKey(secret), secret);

    Secret write = new SecretBuilder(store.get("sites-a/build-secrets")).editMetadata()
        .addToLabels("deco.sites/feature", "build-secrets").addToAnnotations("team", "y").addToFinalizers("f")
        .endMetadata().addToData("K", "dw==").build();

    assertThat(write.getMetadata().getLabels()).containsOnlyKeys("deco.sites/managed-by", "deco.sites/feature");
    assertThat(write.getMetadata().getAnnotations()).containsEntry("team", "y");
    assertThat(store.get("sites-a/build-secrets").getMetadata().getAnnotations()).containsEntry("team", "x");
  }

  @Test
  void cachedSecretsKeepTypeMarksAndKeyNamesButNoValueNorManagedFields() {
    LeanItemStore<Secret> store = LeanItemStore.forSecrets();
    Secret secret = new SecretBuilder().withNewMetadata().withName("build-secrets").withNamespace("sites-a")
        .withResourceVersion("9").withUid("u-2")
        .addToLabels("deco.sites/managed-by", "operator")
        .addToAnnotations("deco.sites/build-secrets-version", "v1")
        .withManagedFields(new ManagedFieldsEntryBuilder().withManager("build-secrets").withOperation("Update").build())
        .endMetadata()
        .withType("Opaque").addToData("API_KEY", "c2VjcmV0").build();

    store.put(store.getKey(secret), secret);

    Secret cached = store.get("sites-a/build-secrets");
    assertThat(cached.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(cached.getData()).isNull();
    assertThat(((LeanSecret) cached).observed().keySet()).containsExactly("API_KEY");
    assertThat(((LeanSecret) cached).observed().sameData(SecretData.fromBase64(Map.of("API_KEY", "c2VjcmV0"))))
        .isTrue();
    assertThat(cached.getType()).isEqualTo("Opaque");
    assertThat(cached.getMetadata().getLabels()).containsEntry("deco.sites/managed-by", "operator");
    assertThat(cached.getMetadata().getAnnotations()).containsEntry("deco.sites/build-secrets-version", "v1");
    assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("9");
  }
}
