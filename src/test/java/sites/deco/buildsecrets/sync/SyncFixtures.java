package sites.deco.buildsecrets.sync;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;

/** Hand-made builders and stubs shared by the sync tests. */
public final class SyncFixtures {
  static final Naming NAMING = Naming.DEFAULTS;

  /** A value that must never appear in any message, log text or toString(). */
  public static final String CANARY = "canary-Xq7pL2-do-not-print";

  private SyncFixtures() {}

  static String base64(String plain) {
    return Base64.getEncoder().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  /** Asserts-friendly: the texts a value would leak as, plain or base64. */
  public static String[] leakForms(String plain) {
    return new String[] {plain, base64(plain)};
  }

  static SiteRef site(String optInValue) {
    return new SiteRef("sites-acme", "acme", "sites/acme/build", optInValue, false, null);
  }

  static SiteRef terminatingSite(String optInValue) {
    return new SiteRef("sites-acme", "acme", "sites/acme/build", optInValue, true, null);
  }

  static SiteRef optedIn() {
    return site(Naming.OPT_IN_VALUE);
  }

  static SiteRef optedOut() {
    return site(null);
  }

  /** A Secret carrying both ownership labels, the version annotation (unless null) and the data. */
  static Secret ownedSecret(Map<String, String> plainData, String version) {
    return ownedSecret("sites-acme", "uid-1", plainData, version, DataDigest.of(SecretData.fromStrings(plainData)));
  }

  /**
   * A managed Secret as found in {@code namespace}.
   *
   * @param digest the digest annotation, null for none
   */
  static Secret ownedSecret(String namespace, String uid, Map<String, String> plainData, String version,
      String digest) {
    Map<String, String> annotations = new HashMap<>();
    if (version != null) {
      annotations.put(NAMING.versionAnnotation(), version);
    }
    if (digest != null) {
      // As the operator writes it: a digest of the data, so an identical Secret is in sync.
      annotations.put(Naming.DIGEST_ANNOTATION, digest);
    }
    return new SecretBuilder()
        .withNewMetadata()
        .withName(NAMING.secretName())
        .withNamespace(namespace)
        .withUid(uid)
        .withResourceVersion("17")
        .withLabels(NAMING.ownershipLabels())
        .withAnnotations(annotations)
        .endMetadata()
        .withData(SecretData.fromStrings(plainData).base64())
        .build();
  }

  static LocalSecret.Managed managed(Map<String, String> plainData, String version) {
    return (LocalSecret.Managed) LocalSecret.of(ownedSecret(plainData, version), NAMING);
  }

  /** A managed Secret without a digest annotation: written by an older operator, or by hand. */
  static LocalSecret.Managed managedWithoutDigest(Map<String, String> plainData, String version) {
    return (LocalSecret.Managed) LocalSecret.of(ownedSecret("sites-acme", "uid-1", plainData, version, null), NAMING);
  }

  /** A managed Secret whose data was edited after the operator wrote {@code written}. */
  static LocalSecret.Managed managedEditedSince(Map<String, String> written, Map<String, String> now, String version) {
    String digest = DataDigest.of(SecretData.fromStrings(written));
    return (LocalSecret.Managed) LocalSecret.of(ownedSecret("sites-acme", "uid-1", now, version, digest), NAMING);
  }

  /** An in-sync managed Secret in {@code namespace} with Secret UID {@code uid}. */
  static LocalSecret.Managed managedIn(String namespace, String uid) {
    Map<String, String> data = Map.of("A", "1");
    return (LocalSecret.Managed) LocalSecret.of(
        ownedSecret(namespace, uid, data, "v1", DataDigest.of(SecretData.fromStrings(data))), NAMING);
  }

  static LocalSecret.Unowned unowned() {
    return new LocalSecret.Unowned("42");
  }
}
