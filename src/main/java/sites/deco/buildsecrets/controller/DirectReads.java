package sites.deco.buildsecrets.controller;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

/**
 * The reconcilers' direct reads (force-syncs, fresh opt-ins, rechecks), coalesced: reads asked for
 * within a few milliseconds of each other go out together as one batch read of at most
 * {@link Source#batchSize()} keys. The first reader of a batch waits while readers keep
 * joining (each within the window of the last) or an earlier read is still in flight, up to
 * {@link #MAX_WAIT}, unless the batch fills first; then it sends the batch and the others wait for
 * its answer. So a burst of force-syncs gathers into full batches by itself, while a lone read
 * goes out as a single read after the window. A batch read is as fresh as a single one: BatchGetSecretValue reads each value directly,
 * as GetSecretValue does, and it is sent after every reader in it asked.
 *
 * <p>Whatever a batch cannot answer (the whole request failed, or a key came back without an
 * answer) each reader reads again alone, so nothing is worse than without coalescing. A batch
 * refused as access denied (an IAM policy without BatchGetSecretValue) turns batching off for a
 * while.
 */
final class DirectReads {
  private static final Logger LOG = LoggerFactory.getLogger(DirectReads.class);
  /**
   * A batch goes out once no reader has joined it for this long: short beside one read's round
   * trip, long enough for the next of a burst of annotations to arrive.
   */
  static final Duration WINDOW = Duration.ofMillis(4);
  /** The longest a first reader waits (readers still arriving, or an earlier read in flight). */
  static final Duration MAX_WAIT = Duration.ofMillis(80);
  /** How long batching stays off after a batch read was denied. */
  static final Duration DENIED_PAUSE = Duration.ofMinutes(5);

  private final Source source;
  /** False when the source reads one key per request: nothing to coalesce. */
  private final boolean batching;
  private final long windowNanos;
  private final long maxWaitNanos;
  private final Clock clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition closed = lock.newCondition();
  /** The batch still taking readers; null when none is. Guarded by lock. */
  private Batch open;
  /** Reads (batches or single) sent and not answered yet. Guarded by lock. */
  private int sending;
  private volatile Instant batchingOffUntil = Instant.MIN;

  /** One batch: the answer of each key, completed with null when the reader must read alone. */
  private static final class Batch {
    final Map<String, CompletableFuture<Upstream>> answers = new LinkedHashMap<>();
    long lastArrival;
  }

  DirectReads(Source source, Duration window, Clock clock) {
    this(source, window, MAX_WAIT, clock);
  }

  DirectReads(Source source, Duration window, Duration maxWait, Clock clock) {
    this.source = source;
    this.batching = source.batchSize() > 1;
    this.windowNanos = window.toNanos();
    this.maxWaitNanos = Math.max(windowNanos, maxWait.toNanos());
    this.clock = clock;
  }

  /**
   * Reads one key directly, together with the reads asked for at about the same time.
   *
   * @throws SourceException when the backend could not answer for this key
   */
  Upstream read(String key) throws SourceException {
    if (!batching || windowNanos <= 0 || clock.instant().isBefore(batchingOffUntil)) {
      return source.read(key);
    }
    Batch batch;
    boolean first;
    CompletableFuture<Upstream> answer;
    lock.lock();
    try {
      first = open == null;
      if (first) {
        open = new Batch();
      }
      batch = open;
      answer = batch.answers.computeIfAbsent(key, k -> new CompletableFuture<>());
      batch.lastArrival = System.nanoTime();
      if (batch.answers.size() >= source.batchSize()) {
        open = null; // full: goes out now
        closed.signalAll();
      }
      if (first) {
        awaitWindow(batch);
        sending++;
      }
    } finally {
      lock.unlock();
    }
    if (first) {
      try {
        send(batch);
      } finally {
        lock.lock();
        try {
          sending--;
          closed.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }
    Upstream coalesced;
    try {
      coalesced = answer.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof SourceException failed) {
        throw failed; // a lone read's own failure, as without coalescing
      }
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
    return coalesced != null ? coalesced : source.read(key);
  }

  /**
   * The first reader: waits until the batch is full, or readers have stopped arriving for the
   * window and no earlier read is in flight, but at most {@link #MAX_WAIT}; then closes it. Holds
   * the lock.
   */
  private void awaitWindow(Batch batch) {
    long start = System.nanoTime();
    try {
      while (open == batch) {
        long now = System.nanoTime();
        long total = start + maxWaitNanos - now;
        long quiet = batch.lastArrival + windowNanos - now;
        if (total <= 0 || (quiet <= 0 && sending == 0)) {
          break;
        }
        closed.awaitNanos(sending > 0 ? total : Math.min(quiet, total));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // send what there is now
    }
    if (open == batch) {
      open = null;
    }
  }

  /** How many readers the batch still taking readers has; 0 when none is open. */
  int gathering() {
    lock.lock();
    try {
      return open == null ? 0 : open.answers.size();
    } finally {
      lock.unlock();
    }
  }

  /** Sends a closed batch and completes every reader's answer; null tells a reader to read alone. */
  private void send(Batch batch) {
    List<String> keys = new ArrayList<>(batch.answers.keySet());
    if (keys.size() == 1) {
      CompletableFuture<Upstream> only = batch.answers.get(keys.get(0));
      try {
        only.complete(source.read(keys.get(0)));
      } catch (SourceException | RuntimeException e) {
        only.completeExceptionally(e);
      }
      return;
    }
    Map<String, Upstream> answers = Map.of();
    try {
      answers = source.readAll(keys);
      LOG.debug("coalesced {} direct reads into one batch read", keys.size());
    } catch (SourceException e) {
      if (e.kind() == SourceException.Kind.ACCESS_DENIED) {
        batchingOffUntil = clock.instant().plus(DENIED_PAUSE);
        LOG.warn("batch read denied ({}): direct reads go one by one for the next {} min", e.detail(),
            DENIED_PAUSE.toMinutes());
      } else {
        LOG.debug("coalesced batch read failed ({}); each key is read alone", e.kind());
      }
    } catch (RuntimeException e) {
      LOG.debug("coalesced batch read failed ({}); each key is read alone", e.getClass().getSimpleName());
    }
    for (Map.Entry<String, CompletableFuture<Upstream>> e : batch.answers.entrySet()) {
      e.getValue().complete(answers.get(e.getKey()));
    }
  }
}
