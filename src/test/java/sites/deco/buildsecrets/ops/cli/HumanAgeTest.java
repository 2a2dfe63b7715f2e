package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HumanAgeTest {

  private static String age(Duration d) {
    return HumanAge.of(d);
  }

  @Test
  void printsAgesAsKubectlDoes() {
    assertThat(age(Duration.ofSeconds(0))).isEqualTo("0s");
    assertThat(age(Duration.ofSeconds(45))).isEqualTo("45s");
    assertThat(age(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(age(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(age(Duration.ofSeconds(5 * 60 + 30))).isEqualTo("5m30s");
    assertThat(age(Duration.ofMinutes(42))).isEqualTo("42m");
    assertThat(age(Duration.ofMinutes(179))).isEqualTo("179m");
    assertThat(age(Duration.ofHours(3))).isEqualTo("3h");
    assertThat(age(Duration.ofMinutes(3 * 60 + 5))).isEqualTo("3h5m");
    assertThat(age(Duration.ofHours(10))).isEqualTo("10h");
    assertThat(age(Duration.ofHours(47))).isEqualTo("47h");
    assertThat(age(Duration.ofDays(2))).isEqualTo("2d");
    assertThat(age(Duration.ofHours(52))).isEqualTo("2d4h");
    assertThat(age(Duration.ofDays(40))).isEqualTo("40d");
    assertThat(age(Duration.ofDays(730))).isEqualTo("2y");
    assertThat(age(Duration.ofDays(800))).isEqualTo("2y70d");
    assertThat(age(Duration.ofDays(365 * 9))).isEqualTo("9y");
  }

  @Test
  void toleratesSmallClockSkewAndFlagsLargeOnes() {
    assertThat(age(Duration.ofMillis(-500))).isEqualTo("0s");
    assertThat(age(Duration.ofSeconds(-1))).isEqualTo("0s");
    assertThat(age(Duration.ofSeconds(-5))).isEqualTo("<invalid>");
  }

  @Test
  void measuresFromATimestamp() {
    Instant now = Instant.parse("2026-01-10T12:00:00Z");
    assertThat(HumanAge.since(Instant.parse("2026-01-10T09:00:00Z"), now)).isEqualTo("3h");
    assertThat(HumanAge.since(null, now)).isEqualTo("-");
  }
}
