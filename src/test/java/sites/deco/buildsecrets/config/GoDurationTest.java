package sites.deco.buildsecrets.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

  @Test
  void parsesMinutes() {
    assertThat(GoDuration.parse("15m")).isEqualTo(Duration.ofMinutes(15));
  }

  @Test
  void parsesHoursAndMinutesCombined() {
    assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void parsesSecondsAboveSixty() {
    assertThat(GoDuration.parse("90s")).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void parsesMillisecondsAsMillisecondsNotMinutes() {
    assertThat(GoDuration.parse("500ms")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void parsesFractionalHours() {
    assertThat(GoDuration.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void parsesBareZero() {
    assertThat(GoDuration.parse("0")).isEqualTo(Duration.ZERO);
  }

  @Test
  void parsesMicrosecondsAndNanoseconds() {
    assertThat(GoDuration.parse("2us")).isEqualTo(Duration.ofNanos(2_000));
    assertThat(GoDuration.parse("7ns")).isEqualTo(Duration.ofNanos(7));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "15", "1x", "-5m", "15 m", "m", "1h 30m", "1.h", "00"})
  void rejectsTextThatIsNotAGoDurationAndNamesIt(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'")
        .hasMessageContaining("not a duration");
  }

  @Test
  void rejectsNullWithAMessageInsteadOfAnNpe() {
    assertThatThrownBy(() -> GoDuration.parse(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'null'");
  }

  @Test
  void aTimeLeftIsShownInWholeSecondsRoundedUp() {
    assertThat(GoDuration.formatWholeSecondsUp(Duration.ofNanos(59_980_959_448L))).isEqualTo("1m");
    assertThat(GoDuration.formatWholeSecondsUp(Duration.ofMillis(1_500))).isEqualTo("2s");
    assertThat(GoDuration.formatWholeSecondsUp(Duration.ofMillis(3))).isEqualTo("1s");
    assertThat(GoDuration.formatWholeSecondsUp(Duration.ofSeconds(90))).isEqualTo("1m30s");
  }

  @Test
  void formatsZeroAsBareZero() {
    assertThat(GoDuration.format(Duration.ZERO)).isEqualTo("0");
  }

  @Test
  void formatsHoursMinutesSecondsAndMillis() {
    assertThat(GoDuration.format(Duration.ofHours(1).plusMinutes(30))).isEqualTo("1h30m");
    assertThat(GoDuration.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(GoDuration.format(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(GoDuration.format(Duration.ofHours(25))).isEqualTo("25h");
  }

  @Test
  void formatsSubMillisecondDurationsInNanoseconds() {
    assertThat(GoDuration.format(Duration.ofNanos(1500))).isEqualTo("1500ns");
  }

  @ParameterizedTest
  @ValueSource(strings = {"15m", "1h30m", "90s", "500ms", "1.5h", "0", "2h0m5s", "1h1m1s1ms", "36h", "750ns"})
  void formatOfParseRoundTrips(String text) {
    Duration d = GoDuration.parse(text);
    assertThat(GoDuration.parse(GoDuration.format(d))).isEqualTo(d);
  }

  @Test
  void formatOfCanonicalTextReturnsTheSameText() {
    for (String text : new String[] {"15m", "1h30m", "30s", "500ms", "1h1s", "0"}) {
      assertThat(GoDuration.format(GoDuration.parse(text))).isEqualTo(text);
    }
  }
}
