package sites.deco.buildsecrets.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeapSettleTest {
  private static final long MB = 1L << 20;
  private final AtomicLong old = new AtomicLong(40 * MB);
  private final AtomicInteger collections = new AtomicInteger();
  private long liveAfterCollection = 30 * MB;
  private final HeapSettle settle = new HeapSettle(old::get, () -> {
    collections.incrementAndGet();
    old.set(liveAfterCollection);
  });

  @Test
  void growthByTheThresholdIsCollectedAtTheNextLook() {
    old.set(40 * MB + HeapSettle.GROWTH);
    settle.check();

    assertThat(collections).hasValue(1);
    assertThat(old.get()).isEqualTo(30 * MB);
  }

  @Test
  void growthBelowTheThresholdIsLeftToTheCollector() {
    old.set(40 * MB + HeapSettle.GROWTH - MB);
    settle.check();
    settle.check();

    assertThat(collections).hasValue(0);
  }

  @Test
  void aQuietHeapIsNeverCollected() {
    for (int i = 0; i < 10; i++) {
      settle.check();
    }

    assertThat(collections).hasValue(0);
  }

  @Test
  void aLiveSetThatReallyGrewIsNotCollectedAgainAndAgain() {
    liveAfterCollection = 70 * MB; // the fleet doubled: the collection frees little
    old.set(80 * MB);
    settle.check();
    for (int i = 0; i < 5; i++) {
      settle.check();
    }
    assertThat(collections).hasValue(1);

    old.set(70 * MB + HeapSettle.GROWTH); // the next growth is measured from there
    settle.check();
    assertThat(collections).hasValue(2);
  }

  @Test
  void aShrinkByTheCollectorLowersTheMarkTheNextGrowthIsMeasuredFrom() {
    old.set(20 * MB); // a natural full collection shrank the heap
    settle.check();
    old.set(20 * MB + HeapSettle.GROWTH);
    settle.check();

    assertThat(collections).hasValue(1);
  }
}
