package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.SiteRef;

/** Hand-made sites, Secrets and sources for the CLI's unit tests. */
final class CliFixtures {
  static final Naming NAMING = Naming.DEFAULTS;
  /** A value that must never appear in any output. */
  static final String CANARY = "canary-Zr8vK3-do-not-print";

  private CliFixtures() {}

  static String[] leakForms() {
    return new String[] {CANARY, Base64.getEncoder().encodeToString(CANARY.getBytes(StandardCharsets.UTF_8))};
  }

  static SiteRef site(String optIn) {
    return new SiteRef("sites-acme", "acme", "sites/acme/build", optIn, false, null);
  }

  static Secret owned(Map<String, String> plain, String version) {
    return new SecretBuilder()
        .withNewMetadata().withName(NAMING.secretName()).withNamespace("sites-acme").withUid("u1").withResourceVersion("7")
        .withLabels(NAMING.ownershipLabels())
        .withAnnotations(version == null ? Map.of() : Map.of(NAMING.versionAnnotation(), version))
        .endMetadata()
        .withData(SecretData.fromStrings(plain).base64())
        .build();
  }

  static Secret handMade(Map<String, String> plain) {
    return new SecretBuilder()
        .withNewMetadata().withName(NAMING.secretName()).withNamespace("sites-acme").withResourceVersion("9").endMetadata()
        .withData(SecretData.fromStrings(plain).base64())
        .build();
  }

  /** A source that answers every key with a payload, a missing key, or an error. */
  static Source answering(String payload, String version) {
    return source(() -> PayloadParser.parse(payload, version));
  }

  static Source missing() {
    return source(() -> new Upstream.Missing(Upstream.MissingReason.NOT_FOUND));
  }

  static Source failing(SourceException.Kind kind) {
    return new Source() {
      @Override
      public Upstream read(String key) throws SourceException {
        throw new SourceException(kind, "AccessDeniedException (HTTP 400)");
      }

      @Override
      public String name() {
        return "failing";
      }
    };
  }

  private static Source source(java.util.function.Supplier<Upstream> answer) {
    return new Source() {
      @Override
      public Upstream read(String key) {
        return answer.get();
      }

      @Override
      public String name() {
        return "fixed";
      }
    };
  }
}
