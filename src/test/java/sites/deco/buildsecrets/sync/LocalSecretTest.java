package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.sync.SyncFixtures.CANARY;
import static sites.deco.buildsecrets.sync.SyncFixtures.NAMING;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.SecretData;

class LocalSecretTest {
  private static final String MANAGED_BY_KEY = NAMING.managedByLabel().key();
  private static final String MANAGED_BY_VALUE = NAMING.managedByLabel().value();
  private static final String FEATURE_KEY = NAMING.featureLabel().key();
  private static final String FEATURE_VALUE = NAMING.featureLabel().value();

  private static Secret secretWithLabels(Map<String, String> labels) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(NAMING.secretName())
        .withNamespace("sites-acme")
        .withResourceVersion("99")
        .withLabels(labels)
        .endMetadata()
        .withData(SecretData.fromStrings(Map.of("TOKEN", CANARY)).base64())
        .build();
  }

  @Test
  void noSecretIsAbsent() {
    assertThat(LocalSecret.of(null, NAMING)).isInstanceOf(LocalSecret.Absent.class).isSameAs(LocalSecret.ABSENT);
  }

  @Test
  void secretWithoutLabelsIsUnowned() {
    Secret secret = new SecretBuilder().withNewMetadata().withName("build-secrets").withResourceVersion("5")
        .endMetadata().build();

    assertThat(LocalSecret.of(secret, NAMING)).isEqualTo(new LocalSecret.Unowned("5"));
  }

  @Test
  void secretWithOnlyTheManagedByLabelIsUnowned() {
    LocalSecret local = LocalSecret.of(secretWithLabels(Map.of(MANAGED_BY_KEY, MANAGED_BY_VALUE)), NAMING);

    assertThat(local).isEqualTo(new LocalSecret.Unowned("99"));
  }

  @Test
  void secretWithOnlyTheFeatureLabelIsUnowned() {
    LocalSecret local = LocalSecret.of(secretWithLabels(Map.of(FEATURE_KEY, FEATURE_VALUE)), NAMING);

    assertThat(local).isEqualTo(new LocalSecret.Unowned("99"));
  }

  @Test
  void secretWithBothLabelKeysButAWrongValueIsUnowned() {
    LocalSecret local =
        LocalSecret.of(secretWithLabels(Map.of(MANAGED_BY_KEY, "someone-else", FEATURE_KEY, FEATURE_VALUE)), NAMING);

    assertThat(local).isInstanceOf(LocalSecret.Unowned.class);
  }

  @Test
  void secretWithBothLabelsIsManagedWithItsDataAndVersion() {
    Secret secret = SyncFixtures.ownedSecret(Map.of("TOKEN", CANARY, "OTHER", "x"), "v7");

    LocalSecret local = LocalSecret.of(secret, NAMING);

    assertThat(local).isInstanceOf(LocalSecret.Managed.class);
    LocalSecret.Managed managed = (LocalSecret.Managed) local;
    assertThat(managed.keys()).containsExactly("OTHER", "TOKEN");
    assertThat(managed.holds(SecretData.fromStrings(Map.of("TOKEN", CANARY, "OTHER", "x")))).isTrue();
    assertThat(managed.holds(SecretData.fromStrings(Map.of("TOKEN", CANARY, "OTHER", "y")))).isFalse();
    assertThat(managed.digestCurrent()).isTrue();
    assertThat(managed.version()).isEqualTo("v7");
    assertThat(managed.secret().getMetadata()).isSameAs(secret.getMetadata());
    assertThat(managed.secret().getData()).as("a live read keeps no value either").isNull();
    assertThat(managed.uid()).isEqualTo("uid-1");
    assertThat(managed.resourceVersion()).isEqualTo("17");
  }

  @Test
  void managedSecretWithoutAnnotationsHasNoVersion() {
    Secret secret = secretWithLabels(NAMING.ownershipLabels());
    secret.getMetadata().setAnnotations(null);

    LocalSecret.Managed managed = (LocalSecret.Managed) LocalSecret.of(secret, NAMING);

    assertThat(managed.version()).isNull();
  }

  @Test
  void managedSecretWithoutDataHasEmptyData() {
    Secret secret = secretWithLabels(NAMING.ownershipLabels());
    secret.setData(null);

    LocalSecret.Managed managed = (LocalSecret.Managed) LocalSecret.of(secret, NAMING);

    assertThat(managed.keys()).isEmpty();
    assertThat(managed.holds(SecretData.fromStrings(Map.of()))).isTrue();
  }

  @Test
  void managedToStringNamesVersionAndKeysButNoValue() {
    LocalSecret local = LocalSecret.of(SyncFixtures.ownedSecret(Map.of("TOKEN", CANARY), "v7"), NAMING);

    assertThat(local.toString()).contains("v7").contains("TOKEN");
    for (String leak : SyncFixtures.leakForms(CANARY)) {
      assertThat(local.toString()).doesNotContain(leak);
    }
  }
}
