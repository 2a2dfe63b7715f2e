package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OncePerTest {
  private static final Instant T0 = Instant.parse("2026-11-28T12:00:00Z");
  private final OncePer once = new OncePer(Duration.ofMinutes(1));

  @Test
  void theFirstCallerIsLetThrough() {
    assertThat(once.tryAcquire(T0)).isTrue();
  }

  @Test
  void callsWithinTheIntervalAreRefused() {
    once.tryAcquire(T0);

    assertThat(once.tryAcquire(T0)).isFalse();
    assertThat(once.tryAcquire(T0.plusSeconds(59))).isFalse();
  }

  @Test
  void aCallExactlyOneIntervalLaterIsLetThrough() {
    once.tryAcquire(T0);

    assertThat(once.tryAcquire(T0.plusSeconds(60))).isTrue();
  }

  @Test
  void theIntervalRunsFromTheLastCallLetThroughNotFromRefusedOnes() {
    once.tryAcquire(T0);
    once.tryAcquire(T0.plusSeconds(30)); // refused: does not restart the interval

    assertThat(once.tryAcquire(T0.plusSeconds(61))).isTrue();
    assertThat(once.tryAcquire(T0.plusSeconds(100))).isFalse();
    assertThat(once.tryAcquire(T0.plusSeconds(121))).isTrue();
  }

  @Test
  void aClockThatStepsBackIsRefusedUntilTheIntervalHasPassedSinceTheLastCall() {
    once.tryAcquire(T0);

    assertThat(once.tryAcquire(T0.minusSeconds(3600))).isFalse();
    assertThat(once.tryAcquire(T0.plusSeconds(60))).isTrue();
  }

  @Test
  void aZeroIntervalLetsEveryCallThrough() {
    OncePer always = new OncePer(Duration.ZERO);

    assertThat(always.tryAcquire(T0)).isTrue();
    assertThat(always.tryAcquire(T0)).isTrue();
  }

  @Test
  void exactlyOneOfManyConcurrentCallersIsLetThrough() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 50; round++) {
        OncePer shared = new OncePer(Duration.ofMinutes(1));
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          answers.add(pool.submit(() -> {
            go.await();
            return shared.tryAcquire(T0);
          }));
        }
        go.countDown();
        int through = 0;
        for (Future<Boolean> a : answers) {
          if (a.get(10, TimeUnit.SECONDS)) {
            through++;
          }
        }
        assertThat(through).as("round %d", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
