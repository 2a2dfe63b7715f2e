package sites.deco.buildsecrets.controller;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.source.ChangeFeed;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.telemetry.ChangeEventMetrics;

/**
 * Turns upstream change events into targeted reads. Only the leader runs it, beside the
 * sweep, which stays the safety net. One thread long-polls the queue (20 s waits, 10 messages);
 * when messages come it keeps receiving without waiting until the queue is drained or a round is
 * full, so a burst is coalesced: each key is read once per round, 20 keys per batch read, every
 * read through the token bucket.
 *
 * <p>An event is a hint, never the truth: {@link ChangeEventHandler} turns a round of messages
 * into reads and answers for the ordinary rule table and deletion guard, so a storm of
 * DeleteSecret events cannot pass the budget, and duplicates, reordering and stale events are
 * harmless. This class deletes what it says is done. A queue that is missing, denied or
 * unreachable never stops the operator: it is logged once per outage, counted, and polled again
 * with backoff. Messages arrive parsed (see {@link ChangeFeed.Message}): a round holds key names,
 * never bodies.
 *
 * <p>A round that ends by any Throwable (a bug, a StackOverflowError) does not end the consumer:
 * it is logged by class, counted, and the consumer starts again after a backoff (1 s doubling, at
 * most 30 s), the sweep covering meanwhile; after {@value #FAILURES_BEFORE_UNREADY} in a row,
 * {@code /readyz} says so until a round completes. An OutOfMemoryError never gets here: the JVM
 * exits on it ({@code -XX:+ExitOnOutOfMemoryError}), as nothing after one can be trusted.
 */
final class ChangeEventConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeEventConsumer.class);
  /** Messages gathered into one round of reads: 200 distinct keys are 10 batch reads. */
  static final int MAX_ROUND = 200;
  /** SQS's largest receive, and its longest long-poll wait. */
  static final int MAX_MESSAGES = 10;
  static final int LONG_POLL_SECONDS = 20;
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  /** Rounds ended by a Throwable in a row before /readyz reports it; fewer are transient. */
  static final int FAILURES_BEFORE_UNREADY = 3;
  /**
   * How long stop() waits for the thread. A long poll in flight is not interruptible and holds no
   * work: it is left to end on its own (or when the queue client is closed), and what it brings back
   * is not handled, so those messages come back after their visibility timeout.
   */
  private static final Duration STOP_WAIT = Duration.ofSeconds(2);

  private final ChangeFeed feed;
  private final ChangeEventHandler handler;
  private final ChangeEventMetrics metrics;
  private final CompletableFuture<Void> cachesSynced;
  private final int waitSeconds;

  private Thread thread;
  /** False once stopped; true before start, so a round can be driven directly (tests). */
  private volatile boolean running = true;
  /** Failed queue calls in a row; the first of an outage is logged at WARN, the recovery at INFO. */
  private int failures;
  /** Rounds ended by a Throwable in a row, and the last one's class; for /readyz. */
  private volatile int roundsFailed;
  private volatile String lastRoundFailure;

  ChangeEventConsumer(ChangeFeed feed, ChangeEventHandler handler, ChangeEventMetrics metrics,
      CompletableFuture<Void> cachesSynced, int waitSeconds) {
    this.feed = feed;
    this.handler = handler;
    this.metrics = metrics;
    this.cachesSynced = cachesSynced;
    this.waitSeconds = waitSeconds;
  }

  synchronized void start() {
    if (thread != null) {
      return;
    }
    running = true;
    thread = new Thread(this::run, "change-events");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Stops consuming without waiting for a long poll in flight: a round in progress ends at its next
   * step, and its messages not yet deleted are redelivered.
   */
  void stop() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
      thread = null;
    }
    if (t == null) {
      return;
    }
    t.interrupt();
    try {
      t.join(STOP_WAIT.toMillis());
      if (t.isAlive()) {
        LOG.debug("a change-event long poll is still in flight; its messages are redelivered");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    try {
      cachesSynced.get(); // classifying an event needs the namespace and Secret caches
    } catch (InterruptedException e) {
      return;
    } catch (ExecutionException e) {
      return; // the operator failed to start
    }
    LOG.info("consuming change events from the queue");
    while (running && !Thread.currentThread().isInterrupted()) {
      try {
        round();
        roundsFailed = 0;
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) { // an Error too: the consumer must never end while the operator runs
        if (!running) {
          return; // the queue client was closed under a long poll at shutdown
        }
        if (!sleep(roundFailed(t))) {
          return;
        }
      }
    }
  }

  /** Reports a round ended by {@code t} (its class only: a message may quote content); returns the backoff. */
  private Duration roundFailed(Throwable t) {
    int n = ++roundsFailed;
    lastRoundFailure = t.getClass().getSimpleName();
    metrics.consumerFailed();
    Duration backoff = backoff(n);
    LOG.error("change-event round failed ({}), {} in a row: consuming again in {}; the sweep covers meanwhile",
        lastRoundFailure, n, GoDuration.format(backoff));
    return backoff;
  }

  /** Why change events are not consumed, for /readyz; null when they are (or are only waiting for the queue). */
  String problem() {
    int n = roundsFailed;
    return n >= FAILURES_BEFORE_UNREADY
        ? "the change-event consumer failed " + n + " times in a row (" + lastRoundFailure + "); restarting with "
            + "backoff, the sweep covers meanwhile"
        : null;
  }

  /** One long poll, the messages that follow it, their reads, hand-offs and deletions. */
  void round() throws InterruptedException {
    List<ChangeFeed.Message> received = new ArrayList<>();
    if (!receive(received, waitSeconds)) {
      return;
    }
    int last = received.size();
    while (last > 0 && received.size() < MAX_ROUND && running) {
      // A full receive means more are likely waiting: wait up to 1 s, which returns at once when
      // they are there (a short poll samples only some SQS servers and may come back empty).
      // Anything less, and the queue is probably drained: one short poll confirms it, so a single
      // event is not held up.
      int before = received.size();
      if (!receive(received, last == MAX_MESSAGES ? 1 : 0)) {
        break;
      }
      last = received.size() - before;
    }
    if (!received.isEmpty() && running) {
      handle(received);
    }
  }

  /** @return false when the queue call failed (already reported and backed off) */
  private boolean receive(List<ChangeFeed.Message> into, int waitSeconds) throws InterruptedException {
    try {
      into.addAll(feed.receive(MAX_MESSAGES, waitSeconds));
      queueWorks();
      return true;
    } catch (SourceException e) {
      queueFailed("receiving", e);
      return false;
    }
  }

  /** Handles one round of messages and deletes those that are done. */
  void handle(List<ChangeFeed.Message> messages) throws InterruptedException {
    List<ChangeFeed.Message> done = handler.handle(messages, () -> !running);
    if (!done.isEmpty()) {
      try {
        feed.delete(done);
      } catch (SourceException e) {
        queueFailed("deleting handled messages", e); // redelivered and handled again: harmless
      }
    }
  }

  private void queueWorks() {
    if (failures > 0) {
      LOG.info("the change-event queue answers again after {} failed calls", failures);
      failures = 0;
    }
  }

  /** Reports a failed queue call once per outage, counts it, and waits: 1 s doubling, at most 30 s. */
  private void queueFailed(String what, SourceException e) throws InterruptedException {
    if (!running) {
      throw new InterruptedException("stopping");
    }
    failures++;
    metrics.queueError(e.kind().name().toLowerCase(java.util.Locale.ROOT));
    Duration backoff = backoff(failures);
    if (failures == 1) {
      LOG.warn("{} change events failed ({}): upstream changes wait for the next sweep; retrying with backoff "
          + "up to {}", what, e.getMessage(), GoDuration.format(MAX_BACKOFF));
    } else {
      LOG.debug("{} change events failed again ({}); next try in {}", what, e.getMessage(), GoDuration.format(backoff));
    }
    if (!sleep(backoff)) {
      throw new InterruptedException("stopping");
    }
  }

  /** 1 s for the first failure in a row, doubling, at most 30 s. */
  private static Duration backoff(int failuresInARow) {
    Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(failuresInARow - 1, 10));
    return backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
  }

  private boolean sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
      return running;
    } catch (InterruptedException e) {
      return false;
    }
  }
}
