package sites.deco.buildsecrets.controller;

import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.sync.DeletionGuard;
import sites.deco.buildsecrets.sync.SiteStore;

/**
 * Fleet work that belongs to no one site, on its own schedule while this replica leads: the
 * deletion guard's upkeep, re-examining paused deletions once the guard could let one pass, and
 * the one-line summary of paused deletions. (The list-mode sweep also runs the upkeep and says the
 * summary after each sweep.)
 */
final class FleetChores {
  private static final Logger LOG = LoggerFactory.getLogger(FleetChores.class);
  /** How often paused deletions are looked at; the guard's count walks the fleet, so not more. */
  static final Duration RELEASE_CHECK = Duration.ofSeconds(1);
  static final Duration UPKEEP = Duration.ofSeconds(30);
  /** A burst of pauses is summarised once, this long after its first. */
  static final Duration PAUSE_SUMMARY_DELAY = Duration.ofSeconds(5);

  private final DeletionGuard guard;
  private final SiteStore store;
  private final UpstreamAnswers answers;
  private final OncePer pauseSummaryEvery;
  private final Clock clock;
  private final AtomicBoolean pauseSummaryPending = new AtomicBoolean();
  private ScheduledExecutorService scheduler;

  /** @param pauseSummaryEvery the summary is said at most this often */
  FleetChores(DeletionGuard guard, SiteStore store, UpstreamAnswers answers, Duration pauseSummaryEvery, Clock clock) {
    this.guard = guard;
    this.store = store;
    this.answers = answers;
    this.pauseSummaryEvery = new OncePer(pauseSummaryEvery);
    this.clock = clock;
  }

  synchronized void start() {
    if (scheduler != null) {
      return;
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fleet-chores");
      t.setDaemon(true);
      return t;
    });
    scheduler.scheduleWithFixedDelay(quietly(this::releasePausedDeletions), RELEASE_CHECK.toMillis(),
        RELEASE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(quietly(guard::upkeep), UPKEEP.toMillis(), UPKEEP.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  synchronized void stop() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      scheduler = null;
    }
  }

  /**
   * A deletion was paused: the fleet's pause is said once, a few seconds later (so a burst of them
   * is one line), at most once per {@code pauseSummaryEvery}.
   */
  void pauseNoted() {
    if (pauseSummaryPending.compareAndSet(false, true)) {
      CompletableFuture.delayedExecutor(PAUSE_SUMMARY_DELAY.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        pauseSummaryPending.set(false);
        String summary = guard.pauseSummary();
        if (summary != null && pauseSummaryEvery.tryAcquire(clock.instant())) {
          LOG.error(summary);
        }
      });
    }
  }

  /** Paused deletions are re-examined, each with a fresh direct read, when the guard says one could now pass. */
  void releasePausedDeletions() {
    Set<String> paused = store.pausedDeletions();
    if (paused.isEmpty() || !guard.wouldAllowAny()) {
      return;
    }
    LOG.info("deletion guard: re-checking {} paused namespaces", paused.size());
    for (String ns : paused) {
      store.invalidate(ns);
      answers.trigger(ns);
    }
  }

  /** A chore that fails is logged and tried again on its next turn: a scheduled task that throws never runs again. */
  private static Runnable quietly(Runnable chore) {
    return () -> {
      try {
        chore.run();
      } catch (RuntimeException e) {
        LOG.warn("fleet chore failed ({}); trying again on its next turn", e.getClass().getSimpleName());
      }
    };
  }
}
