package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sites.deco.buildsecrets.config.Naming;

class SiteRefTest {
  private static final Naming N = Naming.DEFAULTS;

  private static Namespace namespace(String name, Map<String, String> annotations, String deletionTimestamp) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName(name)
        .withAnnotations(annotations)
        .withDeletionTimestamp(deletionTimestamp)
        .endMetadata()
        .build();
  }

  private static Map<String, String> optIn(String value) {
    Map<String, String> a = new HashMap<>();
    a.put(N.managedAnnotation(), value);
    return a;
  }

  @Test
  void nonSiteNamespaceIsNotASite() {
    assertThat(SiteRef.from(namespace("kube-system", optIn("enabled"), null), N)).isEmpty();
  }

  @Test
  void barePrefixIsNotASite() {
    assertThat(SiteRef.from(namespace("sites-", optIn("enabled"), null), N)).isEmpty();
  }

  @Test
  void optedInSiteNamespaceIsParsed() {
    SiteRef site = SiteRef.from(namespace("sites-acme", optIn("enabled"), null), N).orElseThrow();

    assertThat(site.namespace()).isEqualTo("sites-acme");
    assertThat(site.site()).isEqualTo("acme");
    assertThat(site.upstreamKey()).isEqualTo("sites/acme/build");
    assertThat(site.optInValue()).isEqualTo("enabled");
    assertThat(site.terminating()).isFalse();
    assertThat(site.optedIn()).isTrue();
    assertThat(site.hasUnrecognisedOptIn()).isFalse();
  }

  @Test
  void namespaceWithoutAnnotationsIsNotOptedIn() {
    SiteRef site = SiteRef.from(namespace("sites-acme", null, null), N).orElseThrow();

    assertThat(site.optInValue()).isNull();
    assertThat(site.syncToken()).isNull();
    assertThat(site.optedIn()).isFalse();
    assertThat(site.hasUnrecognisedOptIn()).isFalse();
  }

  @ParameterizedTest(name = "value \"{0}\"")
  @ValueSource(strings = {"true", "Enabled", " enabled ", "enabled\n", "\tenabled", ""})
  void valueOtherThanExactlyEnabledIsUnrecognised(String value) {
    SiteRef site = SiteRef.from(namespace("sites-acme", optIn(value), null), N).orElseThrow();

    assertThat(site.optedIn()).isFalse();
    assertThat(site.hasUnrecognisedOptIn()).isTrue();
  }

  @Test
  void terminatingNamespaceIsNotOptedInEvenIfEnabled() {
    SiteRef site = SiteRef.from(namespace("sites-acme", optIn("enabled"), "2025-01-01T00:00:00Z"), N).orElseThrow();

    assertThat(site.terminating()).isTrue();
    assertThat(site.optedIn()).isFalse();
    assertThat(site.hasUnrecognisedOptIn()).isFalse();
  }

  @Test
  void terminatingNamespaceWithAnUnrecognisedValueIsOffWithoutAWarning() {
    SiteRef site = SiteRef.from(namespace("sites-acme", optIn("true"), "2025-01-01T00:00:00Z"), N).orElseThrow();

    assertThat(site.optedIn()).isFalse();
    assertThat(site.hasUnrecognisedOptIn()).isFalse();
  }

  @Test
  void longestLegalNamespaceGivesA57CharacterSiteAndItsKey() {
    String site = "s".repeat(57);
    SiteRef ref = SiteRef.from(namespace("sites-" + site, optIn("enabled"), null), N).orElseThrow();

    assertThat(ref.namespace()).hasSize(63);
    assertThat(ref.site()).isEqualTo(site);
    assertThat(ref.upstreamKey()).isEqualTo("sites/" + site + "/build");
    assertThat(ref.optedIn()).isTrue();
  }

  @Test
  void syncTokenIsRead() {
    Map<String, String> annotations = optIn("enabled");
    annotations.put(N.syncAnnotation(), "2025-06-01T10:00:00Z");

    SiteRef site = SiteRef.from(namespace("sites-acme", annotations, null), N).orElseThrow();

    assertThat(site.syncToken()).isEqualTo("2025-06-01T10:00:00Z");
  }

  @Test
  void namingDecidesPrefixKeyAndAnnotation() {
    Naming custom = new Naming("team-", "build/{site}/env", "build-secrets", "example.com/opt-in",
        "example.com/sync", "example.com/version", N.managedByLabel(), N.featureLabel());
    Namespace ns = namespace("team-blue", Map.of("example.com/opt-in", "enabled"), null);

    SiteRef site = SiteRef.from(ns, custom).orElseThrow();

    assertThat(site.site()).isEqualTo("blue");
    assertThat(site.upstreamKey()).isEqualTo("build/blue/env");
    assertThat(site.optedIn()).isTrue();
    assertThat(SiteRef.from(ns, N)).isEmpty();
  }
}
