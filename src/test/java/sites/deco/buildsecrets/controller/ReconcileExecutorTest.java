package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReconcileExecutorTest {
  private final ReconcileExecutor executor = new ReconcileExecutor(2);
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() {
    release.countDown();
    executor.shutdownNow();
  }

  @Test
  void runsAtMostItsSlotsAtOnceOnVirtualThreads() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    List<Integer> started = new CopyOnWriteArrayList<>();
    List<Boolean> virtual = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 6; i++) {
      int n = i;
      executor.execute(() -> {
        started.add(n);
        virtual.add(Thread.currentThread().isVirtual());
        most.accumulateAndGet(running.incrementAndGet(), Math::max);
        waitFor(release);
        running.decrementAndGet();
      });
    }
    // The first two submitted hold the two slots; which of them records its start first is a race.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(started).containsExactlyInAnyOrder(0, 1));
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(started).hasSize(6));
    assertThat(started).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
    assertThat(most.get()).isEqualTo(2);
    assertThat(virtual).containsOnly(true);
  }

  @Test
  void startsReconcilesInSubmissionOrder() {
    ReconcileExecutor oneSlot = new ReconcileExecutor(1);
    List<Integer> started = new CopyOnWriteArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        int n = i;
        oneSlot.execute(() -> started.add(n));
      }
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(started).containsExactly(0, 1, 2, 3, 4, 5));
    } finally {
      oneSlot.shutdownNow();
    }
  }

  @Test
  void aReconcileWaitingWithoutItsSlotLetsTheNextOneStart() {
    CountDownLatch answer = new CountDownLatch(1);
    List<String> pastRead = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 2; i++) {
      String name = "reader-" + i;
      executor.execute(() -> {
        ReconcileExecutor.withoutSlot(() -> waitFor(answer));
        pastRead.add(name);
        waitFor(release);
      });
    }
    List<String> started = new CopyOnWriteArrayList<>();
    executor.execute(() -> {
      started.add("writer");
      waitFor(release);
    });
    // Both readers gave their slots away while waiting, so the third reconcile runs...
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(started).containsExactly("writer"));
    // ...and once answered they share the two slots with it: one goes on, the other waits its turn.
    answer.countDown();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(pastRead).hasSize(1));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> pastRead.size() == 1);
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(pastRead).hasSize(2));
  }

  @Test
  void atMostEightReconcilesPerSlotWaitWithoutTheirSlot() {
    ReconcileExecutor oneSlot = new ReconcileExecutor(1);
    CountDownLatch answer = new CountDownLatch(1);
    AtomicInteger waiting = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    try {
      for (int i = 0; i < ReconcileExecutor.LENT_PER_SLOT + 2; i++) {
        oneSlot.execute(() -> {
          ReconcileExecutor.withoutSlot(() -> {
            waiting.incrementAndGet();
            return waitFor(answer);
          });
          done.incrementAndGet();
        });
      }
      // Eight lent their slot; the ninth waits holding it, so the tenth cannot start.
      int most = ReconcileExecutor.LENT_PER_SLOT + 1;
      await().atMost(Duration.ofSeconds(10)).until(() -> waiting.get() == most);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> waiting.get() == most);
      answer.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == ReconcileExecutor.LENT_PER_SLOT + 2);
    } finally {
      answer.countDown();
      oneSlot.shutdownNow();
    }
  }

  @Test
  void withoutSlotOnAnyOtherThreadJustRuns() {
    assertThat(ReconcileExecutor.withoutSlot(() -> "answer")).isEqualTo("answer");
  }

  @Test
  void shutdownFinishesWhatWasSubmittedAndRefusesMore() throws Exception {
    AtomicInteger ran = new AtomicInteger();
    for (int i = 0; i < 4; i++) {
      executor.execute(() -> {
        waitFor(release);
        ran.incrementAndGet();
      });
    }
    executor.shutdown();
    assertThatThrownBy(() -> executor.execute(ran::incrementAndGet)).isInstanceOf(RejectedExecutionException.class);
    assertThat(executor.awaitTermination(50, TimeUnit.MILLISECONDS)).isFalse();
    release.countDown();
    assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(executor.isTerminated()).isTrue();
    assertThat(ran.get()).isEqualTo(4);
  }

  @Test
  void shutdownNowHandsBackTheQueuedReconciles() {
    for (int i = 0; i < 5; i++) {
      executor.execute(() -> waitFor(release));
    }
    assertThat(executor.shutdownNow()).hasSize(3);
  }

  private static Boolean waitFor(CountDownLatch latch) {
    try {
      return latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
