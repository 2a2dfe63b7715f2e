package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.sync.LeanSecret;

class LeanItemStoreTest {
  @Test
  void cachedNamespacesKeepWhatASiteIsReadFromAndDropManagedFieldsSpecAndStatus() {
    LeanItemStore<Namespace> store = LeanItemStore.forNamespaces();
    Namespace ns = new NamespaceBuilder().withNewMetadata().withName("sites-a").withResourceVersion("7")
        .withUid("u-1").withDeletionTimestamp("2026-12-06T00:00:00Z")
        .addToAnnotations("deco.sites/build-secrets-managed", "enabled")
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
    assertThat(cached.getMetadata().getAnnotations()).containsEntry("deco.sites/build-secrets-managed", "enabled");
    assertThat(cached.getMetadata().getLabels()).containsEntry("kubernetes.io/metadata.name", "sites-a");
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
