package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import org.junit.jupiter.api.Test;

class LeanItemStoreTest {
  @Test
  void cachedObjectsKeepEverythingButManagedFields() {
    LeanItemStore<Namespace> store = new LeanItemStore<>();
    Namespace ns = new NamespaceBuilder().withNewMetadata().withName("sites-a").withResourceVersion("7")
        .addToAnnotations("deco.sites/build-secrets-managed", "enabled")
        .withManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").withOperation("Update").build())
        .endMetadata().build();

    store.put(store.getKey(ns), ns);

    Namespace cached = store.get("sites-a");
    assertThat(cached.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("7");
    assertThat(cached.getMetadata().getAnnotations()).containsEntry("deco.sites/build-secrets-managed", "enabled");
  }
}
