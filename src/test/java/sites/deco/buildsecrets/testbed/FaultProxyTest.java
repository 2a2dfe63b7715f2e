package sites.deco.buildsecrets.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.FaultProxy.Fraction;

class FaultProxyTest {
  private static long[] hits(Fraction f, int requests) {
    return LongStream.rangeClosed(1, requests).filter(f::hits).toArray();
  }

  @Test
  void everyNthHitsExactlyTheMultiples() {
    assertThat(hits(Fraction.everyNth(1), 5)).containsExactly(1, 2, 3, 4, 5);
    assertThat(hits(Fraction.everyNth(3), 10)).containsExactly(3, 6, 9);
    assertThatThrownBy(() -> Fraction.everyNth(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void seededIsRepeatableAndNearItsProbability() {
    assertThat(hits(Fraction.seeded(42, 0.3), 1000)).containsExactly(hits(Fraction.seeded(42, 0.3), 1000));
    assertThat(hits(Fraction.seeded(42, 0.3), 1000).length).isBetween(250, 350);
    assertThat(hits(Fraction.seeded(7, 0), 100)).isEmpty();
    assertThat(hits(Fraction.seeded(7, 1), 100)).hasSize(100);
  }
}
