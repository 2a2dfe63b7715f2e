package sites.deco.buildsecrets.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import sites.deco.buildsecrets.config.OperatorConfig.Backend;
import sites.deco.buildsecrets.config.OperatorConfig.DeletionBudget;

class DeletionBudgetTest {

  @ParameterizedTest(name = "{0}% min {1}, {2} managed -> {3}")
  @CsvSource({
    "10, 5, 0, 5",
    "10, 5, 40, 5",
    "10, 5, 100, 10",
    "10, 5, 1000, 100",
    "10, 5, 59, 5",
    "10, 5, 69, 6",
    "10, 0, 9, 0",
    "0, 3, 1000, 3",
    "100, 0, 7, 7",
    "33, 0, 10, 3",
  })
  void allowedMissingIsMaxOfMinimumAndFlooredPercent(int percent, int minimum, int managed, int expected) {
    assertThat(new DeletionBudget(percent, minimum).allowedMissing(managed)).isEqualTo(expected);
  }

  @Test
  void percentIsFlooredNotRounded() {
    // 19% of 10 = 1.9: floor gives 1, rounding would give 2
    assertThat(new DeletionBudget(19, 0).allowedMissing(10)).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 101, Integer.MIN_VALUE})
  void rejectsPercentOutsideZeroToHundred(int percent) {
    assertThatThrownBy(() -> new DeletionBudget(percent, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("percent")
        .hasMessageContaining(String.valueOf(percent));
  }

  @Test
  void acceptsBoundaryPercents() {
    assertThat(new DeletionBudget(0, 0).percent()).isZero();
    assertThat(new DeletionBudget(100, 0).percent()).isEqualTo(100);
  }

  @Test
  void rejectsNegativeMinimum() {
    assertThatThrownBy(() -> new DeletionBudget(10, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minimum")
        .hasMessageContaining("-1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"aws", "AWS", "Aws", " aws "})
  void backendParsesAwsCaseInsensitively(String text) {
    assertThat(Backend.parse(text)).isEqualTo(Backend.AWS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"disabled", "DISABLED", "Disabled"})
  void backendParsesDisabledCaseInsensitively(String text) {
    assertThat(Backend.parse(text)).isEqualTo(Backend.DISABLED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "gcp", "vault-kv", "aws-secrets-manager", "none"})
  void backendRejectsUnknownNamesListingTheSupportedOnes(String text) {
    assertThatThrownBy(() -> Backend.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'")
        .hasMessageContaining("aws, vault, disabled");
  }

  @Test
  void backendRejectsNull() {
    assertThatThrownBy(() -> Backend.parse(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("aws, vault, disabled");
  }

  @Test
  void backendFlagValueIsLowerCaseAndParsesBack() {
    for (Backend b : Backend.values()) {
      assertThat(b.flagValue()).isEqualTo(b.name().toLowerCase(java.util.Locale.ROOT));
      assertThat(Backend.parse(b.flagValue())).isEqualTo(b);
    }
  }
}
