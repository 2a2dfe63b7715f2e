package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

class DirectReadsTest {
  /** Long enough that every reader started together joins the first batch, even on a busy machine. */
  private static final Duration WIDE = Duration.ofMillis(500);

  private final ExecutorService pool = Executors.newFixedThreadPool(32);

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  @Test
  void aLoneReadGoesOutAsOneSingleRead() throws Exception {
    FakeBulk source = new FakeBulk();
    DirectReads reads = new DirectReads(source, DirectReads.WINDOW, Clock.systemUTC());

    Upstream answer = reads.read("sites/a/build");

    assertThat(version(answer)).isEqualTo("sites/a/build@1");
    assertThat(source.singles.get()).isEqualTo(1);
    assertThat(source.batches).isEmpty();
  }

  @Test
  void aLoneReadsFailureIsThrownAsWithoutCoalescing() {
    FakeBulk source = new FakeBulk();
    source.singleFailure = SourceException.Kind.TIMEOUT;
    DirectReads reads = new DirectReads(source, DirectReads.WINDOW, Clock.systemUTC());

    assertThatThrownBy(() -> reads.read("sites/a/build")).isInstanceOf(SourceException.class)
        .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.Kind.TIMEOUT));
    assertThat(source.singles.get()).isEqualTo(1);
  }

  @Test
  void twentySimultaneousReadsGoOutAsOneBatchAndEachGetsItsOwnAnswer() throws Exception {
    FakeBulk source = new FakeBulk();
    DirectReads reads = new DirectReads(source, WIDE, Clock.systemUTC());

    Map<String, Upstream> answers = readTogether(reads, keys(20));

    assertThat(source.batches).hasSize(1);
    assertThat(source.batches.get(0)).hasSize(20);
    assertThat(source.singles.get()).isZero();
    answers.forEach((key, answer) -> assertThat(version(answer)).isEqualTo(key + "@1"));
  }

  @Test
  void aBatchGoesOutAsSoonAsItIsFullAndTheRestFormTheNext() throws Exception {
    FakeBulk source = new FakeBulk();
    DirectReads reads = new DirectReads(source, WIDE, Clock.systemUTC());

    Map<String, Upstream> answers = readTogether(reads, keys(25));

    assertThat(source.batches).extracting(List::size).containsExactlyInAnyOrder(20, 5);
    assertThat(source.singles.get()).isZero();
    assertThat(answers).hasSize(25);
    answers.forEach((key, answer) -> assertThat(version(answer)).isEqualTo(key + "@1"));
  }

  @Test
  void readsArrivingWhileAnotherIsInFlightWaitForItAndGoOutTogether() throws Exception {
    FakeBulk source = new FakeBulk();
    CountDownLatch release = new CountDownLatch(1);
    source.singleGate = release;
    DirectReads reads = new DirectReads(source, DirectReads.WINDOW, Duration.ofSeconds(30), Clock.systemUTC());

    Future<Upstream> lone = pool.submit(() -> reads.read("sites/a/build"));
    await().atMost(Duration.ofSeconds(10)).until(() -> source.singles.get() == 1); // in flight, held
    List<Future<Upstream>> later = new ArrayList<>();
    for (String key : keys(3)) {
      later.add(pool.submit(() -> reads.read(key)));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> reads.gathering() == 3);
    assertThat(source.batches).isEmpty(); // still waiting, well past the 3 ms window
    release.countDown();

    assertThat(version(lone.get())).isEqualTo("sites/a/build@1");
    for (Future<Upstream> f : later) {
      assertThat(f.get()).isInstanceOf(Upstream.Found.class);
    }
    assertThat(source.batches).hasSize(1);
    assertThat(source.batches.get(0)).containsExactlyInAnyOrderElementsOf(keys(3));
    assertThat(source.singles.get()).isEqualTo(1);
  }

  @Test
  void aBatchReadsWhatIsThereWhenItIsSentNotBefore() throws Exception {
    FakeBulk source = new FakeBulk();
    DirectReads reads = new DirectReads(source, DirectReads.WINDOW, Clock.systemUTC());
    reads.read("sites/a/build");
    source.bump("sites/a/build"); // a new value upstream, then a force-sync

    assertThat(version(reads.read("sites/a/build"))).isEqualTo("sites/a/build@2");
  }

  @Test
  void whenTheBatchFailsEachReaderReadsAlone() throws Exception {
    FakeBulk source = new FakeBulk();
    source.batchFailure = SourceException.Kind.THROTTLED;
    DirectReads reads = new DirectReads(source, WIDE, Clock.systemUTC());

    Map<String, Upstream> answers = readTogether(reads, keys(5));

    assertThat(source.batches).hasSize(1);
    assertThat(source.singles.get()).isEqualTo(5);
    answers.forEach((key, answer) -> assertThat(version(answer)).isEqualTo(key + "@1"));
  }

  @Test
  void aDeniedBatchTurnsBatchingOffSoLaterReadsGoAloneAtOnce() throws Exception {
    FakeBulk source = new FakeBulk();
    source.batchFailure = SourceException.Kind.ACCESS_DENIED;
    DirectReads reads = new DirectReads(source, WIDE, Clock.systemUTC());
    readTogether(reads, keys(3));
    assertThat(source.batches).hasSize(1);

    long started = System.nanoTime();
    readTogether(reads, keys(3));

    assertThat(source.batches).hasSize(1);
    assertThat(source.singles.get()).isEqualTo(6);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WIDE);
  }

  @Test
  void aKeyTheBatchDidNotAnswerIsReadAlone() throws Exception {
    FakeBulk source = new FakeBulk();
    source.leftOut = "sites/s2/build";
    DirectReads reads = new DirectReads(source, WIDE, Clock.systemUTC());

    Map<String, Upstream> answers = readTogether(reads, keys(4));

    assertThat(source.batches).hasSize(1);
    assertThat(source.singles.get()).isEqualTo(1);
    assertThat(version(answers.get("sites/s2/build"))).isEqualTo("sites/s2/build@1");
  }

  @Test
  void aSourceThatCannotBatchIsReadDirectly() throws Exception {
    AtomicInteger singles = new AtomicInteger();
    Source plain = new Source() {
      @Override
      public Upstream read(String key) {
        singles.incrementAndGet();
        return new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
      }

      @Override
      public String name() {
        return "plain";
      }
    };
    DirectReads reads = new DirectReads(plain, WIDE, Clock.systemUTC());

    long started = System.nanoTime();
    readTogether(reads, keys(3));

    assertThat(singles.get()).isEqualTo(3);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(WIDE);
  }

  private Map<String, Upstream> readTogether(DirectReads reads, List<String> keys) throws Exception {
    List<Future<Upstream>> futures = new ArrayList<>();
    for (String key : keys) {
      futures.add(pool.submit(() -> reads.read(key)));
    }
    Map<String, Upstream> answers = new HashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      answers.put(keys.get(i), futures.get(i).get());
    }
    return answers;
  }

  private static List<String> keys(int n) {
    return IntStream.range(0, n).mapToObj(i -> "sites/s" + i + "/build").toList();
  }

  private static String version(Upstream answer) {
    return ((Upstream.Found) answer).version();
  }

  /** Answers every key with a Found whose version names the key and how often it was changed. */
  private static final class FakeBulk implements BulkSource {
    final AtomicInteger singles = new AtomicInteger();
    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    final Map<String, Integer> generation = new ConcurrentHashMap<>();
    volatile SourceException.Kind batchFailure;
    volatile String leftOut;
    volatile CountDownLatch singleGate;
    volatile SourceException.Kind singleFailure;

    void bump(String key) {
      generation.merge(key, 1, Integer::sum);
    }

    private Upstream answer(String key) {
      return new Upstream.Found(SecretData.fromStrings(Map.of("K", "v")), key + "@" + (1 + generation.getOrDefault(key, 0)));
    }

    @Override
    public Upstream read(String key) throws SourceException {
      singles.incrementAndGet();
      if (singleFailure != null) {
        throw new SourceException(singleFailure, "injected");
      }
      CountDownLatch gate = singleGate;
      if (gate != null) {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return answer(key);
    }

    @Override
    public Map<String, String> currentVersions(String keyPrefix) {
      return Map.of();
    }

    @Override
    public Map<String, Upstream> readAll(Collection<String> keys) throws SourceException {
      batches.add(List.copyOf(keys));
      if (batchFailure != null) {
        throw new SourceException(batchFailure, "injected");
      }
      Map<String, Upstream> out = new HashMap<>();
      keys.stream().filter(k -> !k.equals(leftOut)).forEach(k -> out.put(k, answer(k)));
      return out;
    }

    @Override
    public int batchSize() {
      return 20;
    }

    @Override
    public String name() {
      return "fake-bulk";
    }
  }
}
