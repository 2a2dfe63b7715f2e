package sites.deco.buildsecrets.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamingTest {
  private static final Naming N = Naming.DEFAULTS;

  @Test
  void siteOfStripsThePrefix() {
    assertThat(N.siteOf("sites-acme")).contains("acme");
  }

  @Test
  void siteOfKeepsDashesAfterThePrefix() {
    assertThat(N.siteOf("sites-acme-staging")).contains("acme-staging");
  }

  @Test
  void siteOfBarePrefixIsNotASite() {
    assertThat(N.siteOf("sites-")).isEmpty();
  }

  @Test
  void siteOfOtherNamespaceIsNotASite() {
    assertThat(N.siteOf("kube-system")).isEmpty();
  }

  @Test
  void siteOfPrefixInTheMiddleIsNotASite() {
    assertThat(N.siteOf("my-sites-acme")).isEmpty();
  }

  @Test
  void siteOfNullIsNotASite() {
    assertThat(N.siteOf(null)).isEmpty();
  }

  @Test
  void upstreamKeySubstitutesTheSite() {
    assertThat(N.upstreamKey("acme")).isEqualTo("sites/acme/build");
  }

  @Test
  void upstreamKeySubstitutesEveryPlaceholder() {
    Naming custom = withTemplate("{site}/secrets/{site}");
    assertThat(custom.upstreamKey("acme")).isEqualTo("acme/secrets/acme");
  }

  @Test
  void upstreamKeyPrefixIsTheTextBeforeThePlaceholder() {
    assertThat(N.upstreamKeyPrefix()).isEqualTo("sites/");
    assertThat(withTemplate("team/x/{site}/build").upstreamKeyPrefix()).isEqualTo("team/x/");
    assertThat(withTemplate("{site}/build").upstreamKeyPrefix()).isEmpty();
  }

  @Test
  void ownershipLabelsAreBothDefaultLabels() {
    assertThat(N.ownershipLabels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("deco.sites/managed-by", "operator", "deco.sites/feature", "build-secrets"));
  }

  @Test
  void isOwnedWithBothLabels() {
    assertThat(N.isOwned(N.ownershipLabels())).isTrue();
  }

  @Test
  void isOwnedIgnoresUnrelatedExtraLabels() {
    Map<String, String> labels = new HashMap<>(N.ownershipLabels());
    labels.put("app", "web");
    assertThat(N.isOwned(labels)).isTrue();
  }

  @Test
  void notOwnedWithOnlyManagedByLabel() {
    assertThat(N.isOwned(Map.of("deco.sites/managed-by", "operator"))).isFalse();
  }

  @Test
  void notOwnedWithOnlyFeatureLabel() {
    assertThat(N.isOwned(Map.of("deco.sites/feature", "build-secrets"))).isFalse();
  }

  @Test
  void notOwnedWhenALabelHasTheWrongValue() {
    assertThat(N.isOwned(Map.of("deco.sites/managed-by", "helm", "deco.sites/feature", "build-secrets")))
        .isFalse();
    assertThat(N.isOwned(Map.of("deco.sites/managed-by", "operator", "deco.sites/feature", "other")))
        .isFalse();
  }

  @Test
  void notOwnedWithNullOrEmptyLabels() {
    assertThat(N.isOwned(null)).isFalse();
    assertThat(N.isOwned(Map.of())).isFalse();
  }

  @Test
  void labelParseSplitsAtTheFirstEquals() {
    assertThat(Naming.Label.parse("a/b=c")).isEqualTo(new Naming.Label("a/b", "c"));
    assertThat(Naming.Label.parse("k=v=w")).isEqualTo(new Naming.Label("k", "v=w"));
  }

  @Test
  void labelToStringIsKeyEqualsValue() {
    assertThat(new Naming.Label("deco.sites/feature", "build-secrets").toString())
        .isEqualTo("deco.sites/feature=build-secrets");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "novalue", "=value", "key=", "="})
  void labelParseRejectsTextWithoutKeyAndValue(String text) {
    assertThatThrownBy(() -> Naming.Label.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'")
        .hasMessageContaining("key=value");
  }

  @Test
  void constructorRejectsKeyTemplateWithoutSitePlaceholder() {
    assertThatThrownBy(() -> withTemplate("sites/build"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'sites/build'")
        .hasMessageContaining("{site}");
  }

  @Test
  void constructorRejectsEmptyNamespacePrefix() {
    assertThatThrownBy(
            () ->
                new Naming(
                    "", N.keyTemplate(), N.secretName(), N.managedAnnotation(), N.syncAnnotation(),
                    N.versionAnnotation(), N.managedByLabel(), N.featureLabel()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prefix");
  }

  @Test
  void defaultsMatchTheGoOperator() {
    assertThat(N.namespacePrefix()).isEqualTo("sites-");
    assertThat(N.secretName()).isEqualTo("build-secrets");
    assertThat(N.managedAnnotation()).isEqualTo("deco.sites/build-secrets-managed");
    assertThat(Naming.OPT_IN_VALUE).isEqualTo("enabled");
  }

  private static Naming withTemplate(String template) {
    return new Naming(
        N.namespacePrefix(), template, N.secretName(), N.managedAnnotation(), N.syncAnnotation(),
        N.versionAnnotation(), N.managedByLabel(), N.featureLabel());
  }

  @Test
  void aKeyMapsBackToItsSiteOnlyWhenItFitsTheTemplate() {
    Naming n = Naming.DEFAULTS;
    assertThat(n.siteOfKey("sites/acme/build")).contains("acme");
    assertThat(n.siteOfKey("sites/acme/build-AbCdEf")).isEmpty();
    assertThat(n.siteOfKey("sites//build")).isEmpty();
    assertThat(n.siteOfKey("other/acme/build")).isEmpty();
    assertThat(n.siteOfKey("sites/build")).isEmpty();
    Naming suffixOnly = new Naming("sites-", "{site}-build", n.secretName(), n.managedAnnotation(),
        n.syncAnnotation(), n.versionAnnotation(), n.managedByLabel(), n.featureLabel());
    assertThat(suffixOnly.siteOfKey("acme-build")).contains("acme");
  }
}
