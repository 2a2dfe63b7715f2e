package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.sync.SyncFixtures.CANARY;
import static sites.deco.buildsecrets.sync.SyncFixtures.NAMING;
import static sites.deco.buildsecrets.sync.SyncFixtures.optedIn;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Upstream;

/**
 * The digest-only cache: a Secret keeps its metadata and what its data was as it arrived, no value,
 * and every data comparison the rule table makes comes out as it did with the data at hand.
 */
class LeanSecretTest {
  private static final Map<String, String> WRITTEN = Map.of("API_TOKEN", CANARY, "NPM_TOKEN", "npm-" + CANARY);
  private static final Upstream.Found UPSTREAM = new Upstream.Found(SecretData.fromStrings(WRITTEN), "v2");

  /** As the operator wrote it: the upstream data, version v2, a fresh digest of that data. */
  private static Secret written() {
    return SyncFixtures.ownedSecret(WRITTEN, "v2");
  }

  /** {@code secret} with its data replaced by {@code plain}, as a hand edit leaves it (annotations untouched). */
  private static Secret editedTo(Secret secret, Map<String, String> plain) {
    return new SecretBuilder(secret).withData(SecretData.fromStrings(plain).base64()).build();
  }

  /** The Secret as the informer cache holds it, and the rule table's answer for it. */
  private static Plan decideFromCache(Secret arrived) {
    Secret cached = LeanSecret.of(arrived);
    return SyncRules.decide(optedIn(), LocalSecret.of(cached, NAMING), UPSTREAM);
  }

  @Test
  void theCachedSecretHoldsMetadataAndKeyNamesButNoValue() {
    Secret secret = written();

    Secret cached = LeanSecret.of(secret);

    assertThat(cached.getData()).isNull();
    assertThat(cached.getStringData()).isNull();
    assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("17");
    assertThat(cached.getMetadata().getAnnotations()).isEqualTo(secret.getMetadata().getAnnotations());
    assertThat(((LeanSecret) cached).observed().keySet()).containsExactly("API_TOKEN", "NPM_TOKEN");
    assertThat(LeanSecret.of(cached)).isSameAs(cached);
    assertThat(LeanSecret.of(null)).isNull();
    for (String leak : SyncFixtures.leakForms(CANARY)) {
      assertThat(cached.toString()).doesNotContain(leak);
      assertThat(((LeanSecret) cached).observed().toString()).doesNotContain(leak);
    }
  }

  @Test
  void anUntouchedSecretIsUnchangedWithoutItsData() {
    assertThat(decideFromCache(written()).outcome()).isEqualTo(Outcome.UNCHANGED);
  }

  @Test
  void aValueEditedByHandIsFoundAndNamed() {
    Plan plan = decideFromCache(editedTo(written(), Map.of("API_TOKEN", "hand-" + CANARY, "NPM_TOKEN", "npm-" + CANARY)));

    assertThat(plan).isInstanceOf(Plan.Update.class);
    assertThat(plan.message()).contains("changed [API_TOKEN]").doesNotContain("NPM_TOKEN");
    assertThat(((Plan.Update) plan).removesKeys()).isFalse();
  }

  @Test
  void aKeyAddedByHandIsFoundAndItsRepairRemovesAKey() {
    Map<String, String> withExtra = new HashMap<>(WRITTEN);
    withExtra.put("HAND_ADDED", "manual-" + CANARY);

    Plan plan = decideFromCache(editedTo(written(), withExtra));

    assertThat(plan).isInstanceOf(Plan.Update.class);
    assertThat(plan.message()).contains("removed [HAND_ADDED]");
    assertThat(((Plan.Update) plan).removesKeys()).as("the deletion guard is asked, as before").isTrue();
  }

  @Test
  void aKeyRemovedByHandIsFoundAndRestored() {
    Plan plan = decideFromCache(editedTo(written(), Map.of("API_TOKEN", CANARY)));

    assertThat(plan).isInstanceOf(Plan.Update.class);
    assertThat(plan.message()).contains("added [NPM_TOKEN]");
    assertThat(((Plan.Update) plan).removesKeys()).isFalse();
  }

  @Test
  void anEditThatAlsoForgesTheDigestAnnotationIsStillFound() {
    Map<String, String> forgedData = Map.of("API_TOKEN", "forged-" + CANARY, "NPM_TOKEN", "npm-" + CANARY);
    Secret forged = editedTo(written(), forgedData);
    forged.getMetadata().getAnnotations()
        .put(Naming.DIGEST_ANNOTATION, DataDigest.of(SecretData.fromStrings(forgedData)));

    LocalSecret.Managed local = (LocalSecret.Managed) LocalSecret.of(LeanSecret.of(forged), NAMING);
    Plan plan = SyncRules.decide(optedIn(), local, UPSTREAM);

    assertThat(local.digestCurrent()).as("the annotation does vouch for the edited data").isTrue();
    assertThat(local.holds(UPSTREAM.data())).as("but the data as it arrived is not upstream's").isFalse();
    assertThat(plan).isInstanceOf(Plan.Update.class);
    assertThat(plan.message()).contains("changed [API_TOKEN]");
  }

  @Test
  void aDigestAnnotationLeftStaleByAnEditIsFoundAsNotCurrent() {
    LocalSecret.Managed local = (LocalSecret.Managed) LocalSecret.of(
        LeanSecret.of(editedTo(written(), Map.of("API_TOKEN", "x"))), NAMING);

    assertThat(local.digestCurrent()).isFalse();
  }

  @Test
  void theDigestIsComputedAsTheObjectArrivesAndUsesItsAnnotationsSalt() {
    Secret arrived = written();
    String annotation = arrived.getMetadata().getAnnotations().get(Naming.DIGEST_ANNOTATION);
    LeanSecret cached = (LeanSecret) LeanSecret.of(arrived);

    // Whatever happens to the object the informer delivered afterwards, the verdict stays.
    arrived.setData(SecretData.fromStrings(Map.of("API_TOKEN", "later")).base64());

    assertThat(cached.observed().salt()).isEqualTo(Base64.getDecoder().decode(annotation.split(":")[1]));
    assertThat(cached.observed().annotationCurrent()).isTrue();
    assertThat(SyncRules.decide(optedIn(), LocalSecret.of(cached, NAMING), UPSTREAM).outcome())
        .isEqualTo(Outcome.UNCHANGED);
  }

  @Test
  void withoutADigestAnnotationTheDataIsStillComparedButTheSecretIsRewritten() {
    Secret secret = SyncFixtures.ownedSecret("sites-acme", "uid-1", WRITTEN, "v2", null);

    LocalSecret.Managed local = (LocalSecret.Managed) LocalSecret.of(LeanSecret.of(secret), NAMING);

    assertThat(local.digestCurrent()).isFalse();
    assertThat(local.holds(UPSTREAM.data())).isTrue();
    Plan plan = SyncRules.decide(optedIn(), local, UPSTREAM);
    assertThat(plan).isInstanceOf(Plan.Update.class);
    assertThat(plan.message()).contains("no key changed");
  }

  @Test
  void aMalformedDigestAnnotationIsNotCurrent() {
    Secret secret = SyncFixtures.ownedSecret("sites-acme", "uid-1", WRITTEN, "v2", "v1:not base64!:x");

    LocalSecret.Managed local = (LocalSecret.Managed) LocalSecret.of(LeanSecret.of(secret), NAMING);

    assertThat(local.digestCurrent()).isFalse();
    assertThat(local.holds(UPSTREAM.data())).isTrue();
  }

  @Test
  void aRewriteBuiltFromTheCachedSecretCarriesItsResourceVersionAndOnlyTheNewData() {
    // What SecretWriter.update does with the Secret it is given.
    Secret cached = LeanSecret.of(written());
    SecretData next = SecretData.fromStrings(Map.of("API_TOKEN", "next"));

    Secret desired = new SecretBuilder(cached).withData(next.base64()).withStringData(null).build();

    assertThat(desired.getMetadata().getResourceVersion()).isEqualTo("17");
    assertThat(desired.getData()).isEqualTo(next.base64());
    assertThat(desired.getType()).isEqualTo(cached.getType());
  }
}
