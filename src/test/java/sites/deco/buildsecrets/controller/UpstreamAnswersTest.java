package sites.deco.buildsecrets.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.SyncFixtures;

/** Upstream answers as a secondary resource: offered, found in the context, taken once, replaced, dropped. */
class UpstreamAnswersTest {
  private static final Upstream FOUND = new Upstream.Found(SecretData.fromStrings(Map.of("A", "1")), "v2");
  private static final Upstream MISSING = new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);

  private final UpstreamAnswers answers = new UpstreamAnswers();
  private final List<String> triggered = new CopyOnWriteArrayList<>();

  @BeforeEach
  void handler() {
    answers.setEventHandler(e -> triggered.add(e.getRelatedCustomResourceID().getName()));
  }

  private static Namespace ns(String name) {
    return new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  private static UpstreamAnswer answer(Upstream upstream, UpstreamAnswer.Origin origin) {
    return new UpstreamAnswer(upstream, "token-1", origin);
  }

  @Test
  void anOfferedAnswerIsTheNamespacesSecondaryResourceUntilTaken() {
    UpstreamAnswer a = answer(FOUND, UpstreamAnswer.Origin.SWEEP);
    answers.offer("sites-a", a);

    assertThat(triggered).containsExactly("sites-a");
    assertThat(answers.getSecondaryResource(ns("sites-a"))).containsSame(a);
    assertThat(answers.getSecondaryResource(ns("sites-b"))).isEmpty();

    answers.taken("sites-a", a);

    assertThat(answers.getSecondaryResource(ns("sites-a"))).isEmpty();
    assertThat(a.fate()).isCompletedWithValue(UpstreamAnswer.Fate.TAKEN);
    assertThat(answers.waitingCount()).isZero();
  }

  @Test
  void aNewerAnswerSupersedesTheOlderAndTakingTheOlderLeavesTheNewerWaiting() {
    UpstreamAnswer older = answer(FOUND, UpstreamAnswer.Origin.CHANGE_EVENT);
    UpstreamAnswer newer = answer(MISSING, UpstreamAnswer.Origin.SWEEP);
    answers.offer("sites-a", older);
    answers.offer("sites-a", newer);

    assertThat(older.fate()).isCompletedWithValue(UpstreamAnswer.Fate.SUPERSEDED);
    assertThat(answers.waitingCount()).isEqualTo(1);

    answers.taken("sites-a", older); // a reconcile that saw the older one before the newer arrived
    assertThat(answers.getSecondaryResource(ns("sites-a"))).containsSame(newer);
    assertThat(newer.fate()).isNotDone();
  }

  @Test
  void aKeptAnswerWaitsWithoutATrigger() {
    answers.keep("sites-a", answer(FOUND, UpstreamAnswer.Origin.RETRY));

    assertThat(triggered).isEmpty();
    assertThat(answers.isWaitingFor("sites-a")).isTrue();
  }

  @Test
  void aSweepDropsOnlyTheSweepsUntakenAnswers() {
    UpstreamAnswer swept = answer(FOUND, UpstreamAnswer.Origin.SWEEP);
    UpstreamAnswer event = answer(MISSING, UpstreamAnswer.Origin.CHANGE_EVENT);
    UpstreamAnswer retry = answer(FOUND, UpstreamAnswer.Origin.RETRY);
    answers.offer("sites-a", swept);
    answers.offer("sites-b", event);
    answers.keep("sites-c", retry);

    answers.dropWaiting(UpstreamAnswer.Origin.SWEEP);

    assertThat(swept.fate()).isCompletedWithValue(UpstreamAnswer.Fate.DROPPED);
    assertThat(answers.isWaitingFor("sites-a")).isFalse();
    assertThat(answers.isWaitingFor("sites-b")).isTrue();
    assertThat(answers.isWaitingFor("sites-c")).isTrue();
    assertThat(event.fate()).isNotDone();
  }

  @Test
  void whenTheFeedersStopNoAnswerOutlivesTheirTerm() {
    UpstreamAnswer event = answer(FOUND, UpstreamAnswer.Origin.CHANGE_EVENT);
    UpstreamAnswer retry = answer(FOUND, UpstreamAnswer.Origin.RETRY);
    answers.offer("sites-a", event);
    answers.keep("sites-b", retry);

    answers.dropAll();

    assertThat(answers.waitingCount()).isZero();
    assertThat(event.fate()).isCompletedWithValue(UpstreamAnswer.Fate.DROPPED);
    assertThat(retry.fate()).isCompletedWithValue(UpstreamAnswer.Fate.DROPPED);
  }

  @Test
  void forgettingANamespaceDropsItsAnswer() {
    UpstreamAnswer a = answer(FOUND, UpstreamAnswer.Origin.CHANGE_EVENT);
    answers.offer("sites-a", a);

    answers.forget("sites-a");

    assertThat(a.fate()).isCompletedWithValue(UpstreamAnswer.Fate.DROPPED);
    assertThat(answers.waitingCount()).isZero();
  }

  @Test
  void aFeederBlockedOnBackPressureIsReleasedByATake() throws Exception {
    UpstreamAnswer a = answer(FOUND, UpstreamAnswer.Origin.SWEEP);
    UpstreamAnswer b = answer(FOUND, UpstreamAnswer.Origin.SWEEP);
    answers.offer("sites-a", a);
    answers.offer("sites-b", b);

    CompletableFuture<Boolean> released = CompletableFuture.supplyAsync(() -> {
      try {
        return answers.awaitWaitingAtMost(1, Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(released).isNotDone();
    answers.taken("sites-a", a);

    assertThat(released.get(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void backPressureGivesUpAtItsDeadline() throws Exception {
    answers.offer("sites-a", answer(FOUND, UpstreamAnswer.Origin.SWEEP));

    assertThat(answers.awaitWaitingAtMost(0, Duration.ofMillis(50))).isFalse();
  }

  @Test
  void anAnswerNeverPrintsItsData() {
    UpstreamAnswer a = answer(new Upstream.Found(SecretData.fromStrings(Map.of("TOKEN", SyncFixtures.CANARY)), "v1"),
        UpstreamAnswer.Origin.SWEEP);

    for (String leak : SyncFixtures.leakForms(SyncFixtures.CANARY)) {
      assertThat(a.toString()).doesNotContain(leak);
    }
  }
}
