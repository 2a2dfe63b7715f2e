package sites.deco.buildsecrets.controller;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * JOSDK's reconcile executor: each reconcile runs on its own virtual thread, at most
 * {@code slots} at a time, in the order they were submitted (as a fixed pool of that size would).
 *
 * <p>Why not a fixed pool: a platform thread per slot costs a stack and a TLAB whether busy or
 * not, and a reconcile that waits for a direct read holds its thread. Here a reconcile hands its
 * slot to the next one while it waits ({@link #withoutSlot}), so a burst of force-syncs reaches
 * {@link DirectReads} together and goes out as full batch reads, while writes to the API server
 * stay at most {@code slots} at a time. Queued reconciles are plain tasks, not parked threads, and
 * at most {@link #LENT_PER_SLOT} times {@code slots} reconciles wait without a slot at once (enough
 * readers for several full batches), so a force-sync of 10,000 namespaces never holds 10,000
 * started reconciles in memory.
 */
final class ReconcileExecutor extends AbstractExecutorService {
  /** The executor whose slot the current thread holds; unset on every other thread. */
  private static final ThreadLocal<ReconcileExecutor> SLOT_HOLDER = new ThreadLocal<>();
  /** Reconciles that may wait without their slot, per slot. */
  static final int LENT_PER_SLOT = 8;

  private final int slots;
  private final int maxLent;
  private final ExecutorService threads;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  /** Guarded by lock. */
  private final ArrayDeque<Runnable> queued = new ArrayDeque<>();
  /** Reconciles started and not finished. Guarded by lock. */
  private int running;
  /** Reconciles waiting without their slot (still counted in running). Guarded by lock. */
  private int lent;
  /** Reconciles waiting to take their slot back; they go before queued ones. Guarded by lock. */
  private int returning;
  private volatile boolean shutdown;

  ReconcileExecutor(int slots) {
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be at least 1");
    }
    this.slots = slots;
    this.maxLent = slots * LENT_PER_SLOT;
    this.threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("reconciler-", 0).factory());
  }

  /**
   * Runs {@code blocking} (a wait that needs no API server write) with the caller's slot given to
   * the next reconcile, and takes a slot back before returning. It keeps its slot while as many
   * reconciles as allowed already wait without theirs. On a thread holding no slot of a
   * {@code ReconcileExecutor} (tests calling {@code reconcile()} directly), it just runs it.
   */
  static <T> T withoutSlot(Supplier<T> blocking) {
    ReconcileExecutor owner = SLOT_HOLDER.get();
    if (owner == null || !owner.lend()) {
      return blocking.get();
    }
    try {
      return blocking.get();
    } finally {
      owner.takeBack();
    }
  }

  @Override
  public void execute(Runnable reconcile) {
    lock.lock();
    try {
      if (shutdown) {
        throw new RejectedExecutionException("the reconcile executor is shut down");
      }
      queued.add(reconcile);
      startQueued();
    } finally {
      lock.unlock();
    }
  }

  /** Slots held: by every running reconcile but those waiting without theirs. Guarded by lock. */
  private int slotsInUse() {
    return running - lent;
  }

  /** Starts queued reconciles while slots are free and no running one waits for its slot back. */
  private void startQueued() {
    while (slotsInUse() < slots && returning == 0 && !queued.isEmpty()) {
      Runnable next = queued.poll();
      running++;
      threads.execute(() -> run(next));
    }
  }

  private void run(Runnable reconcile) {
    SLOT_HOLDER.set(this);
    try {
      reconcile.run();
    } finally {
      SLOT_HOLDER.remove();
      lock.lock();
      try {
        running--;
        startQueued();
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /** @return whether the caller's slot was lent (false: too many wait without one already) */
  private boolean lend() {
    lock.lock();
    try {
      if (lent >= maxLent) {
        return false;
      }
      lent++;
      startQueued();
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void takeBack() {
    lock.lock();
    try {
      returning++;
      while (slotsInUse() >= slots) {
        changed.awaitUninterruptibly();
      }
      returning--;
      lent--;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void shutdown() {
    lock.lock();
    try {
      shutdown = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Drops the queued reconciles and interrupts the running ones. */
  @Override
  public List<Runnable> shutdownNow() {
    List<Runnable> dropped;
    lock.lock();
    try {
      shutdown = true;
      dropped = List.copyOf(queued);
      queued.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    threads.shutdownNow();
    return dropped;
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    lock.lock();
    try {
      return drained();
    } finally {
      lock.unlock();
    }
  }

  /** Shut down with nothing queued or running. Guarded by lock. */
  private boolean drained() {
    return shutdown && running == 0 && queued.isEmpty();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long left = unit.toNanos(timeout);
    lock.lock();
    try {
      while (!drained()) {
        if (left <= 0) {
          return false;
        }
        left = changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
    threads.shutdown();
    return true;
  }
}
