package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Upstream answers as a JOSDK event source: the latest answer per site namespace is a secondary
 * resource of that Namespace. The sweep's batch reads, the change-event consumer's reads and a
 * failed write's retry {@link #offer} answers here; an offer triggers the namespace's reconcile,
 * which finds the answer in its context ({@code getSecondaryResource(UpstreamAnswer.class)}) and
 * marks it {@link #taken}. A newer answer replaces an older one (settled {@code SUPERSEDED}), so a
 * reconcile always applies the latest read. The source also triggers reconciles that should read
 * for themselves ({@link #trigger}), and reports the health of the leader's feeders.
 *
 * <p>The feeders (listing and the change-event queue) run on the leader only, and are started by
 * the leader callbacks, not by this source's {@code start()}: JOSDK 5.2.3's {@code
 * Controller.start(boolean)} starts every event source on every replica (EventSourceManager.start)
 * and only the EventProcessor waits for leadership ({@code startEventProcessing}), and an event
 * source gets no leadership callback. When the feeders stop (leadership lost, or shutdown) every
 * waiting answer is dropped, so an answer read under one term is never applied in a later one.
 */
final class UpstreamAnswers extends AbstractEventSource<UpstreamAnswer, Namespace> {
  static final String NAME = "upstream-answers";

  private final Map<String, UpstreamAnswer> waiting = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition fewer = lock.newCondition();
  /** Feeders blocked in {@link #awaitWaitingAtMost}; a take signals only when one is. */
  private final AtomicInteger blocked = new AtomicInteger();
  private volatile Supplier<String> feedersProblem = () -> null;

  UpstreamAnswers() {
    super(UpstreamAnswer.class, NAME);
  }

  /** Holds the answer for the namespace's next reconcile, replacing any older one, and triggers it. */
  void offer(String namespace, UpstreamAnswer answer) {
    keep(namespace, answer);
    trigger(namespace);
  }

  /** Holds the answer without triggering: the caller's own reschedule brings the reconcile. */
  void keep(String namespace, UpstreamAnswer answer) {
    UpstreamAnswer replaced = waiting.put(namespace, answer);
    if (replaced != null) {
      replaced.settle(UpstreamAnswer.Fate.SUPERSEDED);
    }
  }

  /** Triggers the namespace's reconcile with no answer: it reads its key itself if it needs to. */
  void trigger(String namespace) {
    getEventHandler().handleEvent(new Event(new ResourceID(namespace)));
  }

  @Override
  public Set<UpstreamAnswer> getSecondaryResources(Namespace primary) {
    UpstreamAnswer answer = waiting.get(primary.getMetadata().getName());
    return answer == null ? Set.of() : Set.of(answer);
  }

  /** An answer waits for the namespace's reconcile. */
  boolean isWaitingFor(String namespace) {
    return waiting.containsKey(namespace);
  }

  /** The namespace's reconcile took the answer it found in its context; a newer one stays waiting. */
  void taken(String namespace, UpstreamAnswer answer) {
    if (waiting.remove(namespace, answer)) {
      answer.settle(UpstreamAnswer.Fate.TAKEN);
      signalIfBlocked();
    }
  }

  /** The namespace is gone: its answer, if any, is never taken. */
  void forget(String namespace) {
    UpstreamAnswer gone = waiting.remove(namespace);
    if (gone != null) {
      gone.settle(UpstreamAnswer.Fate.DROPPED);
      signalIfBlocked();
    }
  }

  /**
   * Drops the answers of one origin still waiting: a sweep's answers untaken by the next sweep lost
   * their reconcile (the namespace was deleted). Answers of other origins are kept: a change
   * event's answer may be newer than the listing the sweep is about to compare.
   */
  void dropWaiting(UpstreamAnswer.Origin origin) {
    waiting.forEach((ns, answer) -> {
      if (answer.origin() == origin && waiting.remove(ns, answer)) {
        answer.settle(UpstreamAnswer.Fate.DROPPED);
      }
    });
    signalIfBlocked();
  }

  /** Drops every waiting answer: the feeders stopped, and an answer must not outlive their term. */
  void dropAll() {
    for (UpstreamAnswer.Origin origin : UpstreamAnswer.Origin.values()) {
      dropWaiting(origin);
    }
  }

  /** Answers offered and not yet taken, fleet-wide: the sweep's back-pressure. */
  int waitingCount() {
    return waiting.size();
  }

  /**
   * Blocks until at most {@code n} answers wait, or {@code max} has passed.
   *
   * @return true when reached, false on timeout
   */
  boolean awaitWaitingAtMost(int n, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    blocked.incrementAndGet(); // before the lock: a take after this signals, one before it shows in the size
    lock.lock();
    try {
      while (waiting.size() > n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        fewer.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
      blocked.decrementAndGet();
    }
  }

  private void signalIfBlocked() {
    if (blocked.get() > 0) {
      lock.lock();
      try {
        fewer.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Where the feeders report their health: why change detection is unhealthy, or null. */
  void reportHealthFrom(Supplier<String> problem) {
    this.feedersProblem = problem;
  }

  /** Why change detection is unhealthy, for /readyz; null when it is fine. */
  String problem() {
    return feedersProblem.get();
  }
}
