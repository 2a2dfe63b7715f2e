package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.ops.SyncMetrics;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.FleetView;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.SiteRef;

/**
 * Change detection for the whole fleet in {@code list} mode. Once per resync period (and once at
 * start-up) it lists every key's current version in pages of 100, compares it with the version
 * annotation of each managed Secret, reads only new or changed keys, 20 per request, and hands
 * each answer to that namespace's reconcile. An unchanged key costs no read and no write.
 *
 * <p>A listing may lag by minutes, so it never confirms anything on its own: every answer the rule
 * table sees was read directly. A managed Secret whose key is absent from the listing, and a site
 * never read before, are read; only a site already found missing by a direct read is skipped
 * while the listing agrees. If listing or batch reads are denied, the operator falls back to
 * per-key reads, says so once, and carries on; a listing that fails otherwise is tried again
 * within seconds, and the Secrets are kept as they are meanwhile.
 *
 * <p>Reads and hand-offs go in chunks of a few batches: the next chunk is read once the reconciles
 * of the one before last have started. The controller's work queue therefore never holds more than
 * about two chunks of sweep work (one being worked, one ready, so the threads never wait for a
 * read), and a fresh opt-in or a force-sync waits behind those, not behind the whole fleet.
 */
final class FleetSweep {
  private static final Logger LOG = LoggerFactory.getLogger(FleetSweep.class);
  /** Longest wait for a chunk's reconciles to start, so a lost trigger never stalls a sweep. */
  private static final Duration HAND_OFF_WAIT = Duration.ofSeconds(10);
  private static final Duration LISTING_RETRY = Duration.ofSeconds(2);

  /** An answer read by the sweep, with the force-sync token the namespace had when it was listed. */
  private record Prefetched(Upstream upstream, String syncToken) {}

  private final BulkSource source;
  private final Naming naming;
  private final FleetView fleet;
  private final SyncMetrics metrics;
  private final Clock clock;
  private final Supplier<Stream<Namespace>> namespaces;
  private final Function<String, Secret> secretOf;
  private final Consumer<String> trigger;
  private final Runnable fallBackToGet;
  private final int chunkSize;
  private final CompletableFuture<Void> cachesSynced;

  /** Answers read directly by a sweep, waiting for their namespace's reconcile. */
  private final Map<String, Prefetched> prefetched = new ConcurrentHashMap<>();
  /** The sweep thread while it waits for answers to be taken; unparked by the reconciles. */
  private volatile Thread waitingForHandOff;
  /** Reconciles that came before the first listing and wait for it. */
  private final Set<String> deferred = ConcurrentHashMap.newKeySet();
  /** Namespaces the first sweep will answer, whose chunk is not read yet. */
  private final Set<String> firstSweepPending = ConcurrentHashMap.newKeySet();
  private volatile boolean listedOnce;
  private volatile boolean batchReads = true;
  private ScheduledExecutorService scheduler;
  private ScheduledFuture<?> schedule;
  private Duration period = Duration.ZERO;
  /** Set by stop(): an interrupted listing is then no failure to report. */
  private volatile boolean stopping;
  /** Listings failed in a row; the sweep thread's own. */
  private int listingFailures;

  FleetSweep(BulkSource source, Naming naming, FleetView fleet, SyncMetrics metrics, Clock clock,
      Supplier<Stream<Namespace>> namespaces, Function<String, Secret> secretOf, Consumer<String> trigger,
      Runnable fallBackToGet, int chunkSize, CompletableFuture<Void> cachesSynced) {
    this.source = source;
    this.naming = naming;
    this.fleet = fleet;
    this.metrics = metrics;
    this.clock = clock;
    this.namespaces = namespaces;
    this.secretOf = secretOf;
    this.trigger = trigger;
    this.fallBackToGet = fallBackToGet;
    this.chunkSize = chunkSize;
    this.cachesSynced = cachesSynced;
  }

  /**
   * Sweep work handed to the controller at a time: twice the reconcile threads, so they never
   * idle between chunks, rounded up to whole batches, so chunking costs no extra request.
   */
  static int chunkSize(int reconcileThreads, int batchSize) {
    int wanted = Math.max(1, 2 * reconcileThreads);
    return (wanted + batchSize - 1) / batchSize * batchSize;
  }

  /** Starts sweeping now and then every {@code period}; zero means once only. */
  synchronized void start(Duration period) {
    if (scheduler != null) {
      return;
    }
    this.period = period;
    stopping = false;
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fleet-sweep");
      t.setDaemon(true);
      return t;
    });
    schedule = period.isZero()
        ? scheduler.schedule(this::sweepSafely, 0, TimeUnit.MILLISECONDS)
        : scheduler.scheduleWithFixedDelay(this::sweepSafely, 0, period.toMillis(), TimeUnit.MILLISECONDS);
  }

  synchronized void stop() {
    stopping = true;
    if (scheduler != null) {
      schedule.cancel(false);
      scheduler.shutdownNow();
      scheduler = null;
    }
  }

  /**
   * The answer the sweep read for this site, consumed by the call whether it is used or not. A
   * force-sync since the listing makes it stale: then the caller reads directly.
   */
  Optional<Upstream> take(SiteRef site) {
    Prefetched answer = prefetched.remove(site.namespace());
    if (answer == null) {
      return Optional.empty();
    }
    // No lock on this path: sixteen reconcile threads taking answers would contend for it.
    Thread waiting = waitingForHandOff;
    if (waiting != null && prefetched.size() <= chunkSize) {
      LockSupport.unpark(waiting);
    }
    return Objects.equals(answer.syncToken(), site.syncToken()) ? Optional.of(answer.upstream()) : Optional.empty();
  }

  /**
   * Until the first sweep has answered a namespace, its reconcile waits for it rather than read
   * alone: a cold start over thousands of namespaces is then a few batch reads, not one read each.
   * A namespace the first listing did not include (a fresh opt-in) waits for that listing only.
   * Whenever an answer is waiting for the namespace, its reconcile leaves it to the triggered one.
   *
   * @return true when the caller should wait for the sweep
   */
  boolean deferToSweep(String namespace) {
    // An answer handed off after this reconcile looked for one: the triggered reconcile takes it.
    if (firstSweepPending.contains(namespace) || prefetched.containsKey(namespace)) {
      return true;
    }
    if (listedOnce) {
      return false;
    }
    deferred.add(namespace);
    return !listedOnce || firstSweepPending.contains(namespace) || !deferred.remove(namespace);
  }

  private void sweepSafely() {
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.error("sweep failed: {}", e.toString());
    } finally {
      firstSweepPending.clear();
      if (!listedOnce) {
        releaseDeferred();
      }
    }
  }

  void sweep() {
    long started = System.nanoTime();
    Map<String, String> versions;
    try {
      versions = source.currentVersions(naming.upstreamKeyPrefix());
    } catch (SourceException e) {
      if (e.kind() == SourceException.Kind.ACCESS_DENIED) {
        LOG.warn("listing upstream keys is denied ({}): falling back to one read per namespace", e.getMessage());
        metrics.changeDetectionFallback("list_denied");
        stop();
        fallBackToGet.run();
      } else if (!stopping) {
        Duration retry = listingRetry(++listingFailures);
        LOG.warn("listing upstream keys failed ({}): Secrets are kept as they are; listing again in {}",
            e.getMessage(), GoDuration.format(retry));
        if (!listedOnce) {
          // At start-up nothing is known yet: each namespace reads on its own and reports its error.
          deferred.addAll(optedInNamespaces().keySet());
        }
        retryIn(retry);
      }
      return;
    }
    listingFailures = 0;
    // The first listing may run while the informers fill (it starts with the operator); the
    // comparison needs their caches.
    try {
      cachesSynced.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (ExecutionException e) {
      return; // the operator failed to start
    }
    prefetched.clear(); // anything left from the last sweep lost its reconcile (namespace gone)
    Instant now = clock.instant();
    Map<String, String> candidates = new LinkedHashMap<>(); // key -> namespace
    int unchanged = 0;
    Map<String, SiteRef> optedIn = optedInNamespaces();
    deferred.removeAll(optedIn.keySet()); // the sweep answers for all of them
    for (Map.Entry<String, SiteRef> e : optedIn.entrySet()) {
      SiteRef site = e.getValue();
      LocalSecret local = LocalSecret.of(secretOf.apply(site.namespace()), naming);
      String listed = versions.get(site.upstreamKey());
      switch (local) {
        case LocalSecret.Unowned u -> { } // never read: the reconcile reports NotOwned by itself
        // A paused deletion is re-read even when listed unchanged: its reconcile lifts the pause.
        case LocalSecret.Managed m when listed != null && listed.equals(m.version()) && !paused(site.namespace()) -> {
          fleet.noteRead(site.namespace(), false, listed, now);
          unchanged++;
        }
        case LocalSecret.Absent a when listed == null && knownMissing(site.namespace()) -> {
          // A direct read already found no key and the listing agrees: nothing to do. (A key just
          // created may be missing from a lagging listing; it is found on a later sweep, or at
          // once with a force-sync.) Sites never read, such as fresh opt-ins, are read below.
        }
        default -> {
          if (local instanceof LocalSecret.Managed && listed == null) {
            // Counted as missing by the deletion guard at once, before any chunk is read: a wrong
            // region or account empties the listing for the whole fleet, and the first chunk's
            // reconciles must already see that. Deleting still needs this sweep's direct read.
            fleet.noteRead(site.namespace(), true, null, now);
          }
          candidates.put(site.upstreamKey(), site.namespace());
        }
      }
    }
    if (!listedOnce) {
      firstSweepPending.addAll(candidates.values());
      listedOnce = true;
      releaseDeferred();
    }
    int read = 0;
    List<Map.Entry<String, String>> todo = List.copyOf(candidates.entrySet());
    for (int from = 0; from < todo.size(); from += chunkSize) {
      if (!awaitHandOff()) {
        return; // stopping
      }
      List<Map.Entry<String, String>> chunk = todo.subList(from, Math.min(todo.size(), from + chunkSize));
      Map<String, Upstream> answers = readCandidates(chunk.stream().map(Map.Entry::getKey).toList());
      read += answers.size();
      for (Map.Entry<String, String> e : chunk) {
        // What the direct read said, noted before this chunk's reconciles run (the guard counts it).
        Upstream answer = answers.get(e.getKey());
        if (answer != null && !(answer instanceof Upstream.Unreachable)) {
          fleet.noteRead(e.getValue(), answer instanceof Upstream.Missing,
              answer instanceof Upstream.Found f ? f.version() : null, now);
        }
      }
      for (Map.Entry<String, String> e : chunk) {
        String ns = e.getValue();
        Upstream answer = answers.get(e.getKey());
        if (answer != null) {
          prefetched.put(ns, new Prefetched(answer, optedIn.get(ns).syncToken()));
        }
        firstSweepPending.remove(ns);
        trigger.accept(ns); // without an answer, the reconcile reads its own key directly
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    metrics.swept(took, versions.size(), unchanged, read);
    LOG.info("sweep: {} keys listed, {} unchanged, {} read in batches, took {} ms", versions.size(), unchanged,
        read, took.toMillis());
  }

  /** 2 s, doubling, never later than the next periodic sweep. */
  private Duration listingRetry(int failures) {
    Duration backoff = LISTING_RETRY.multipliedBy(1L << Math.min(failures - 1, 16));
    return period.isZero() || backoff.compareTo(period) < 0 ? backoff : period;
  }

  private synchronized void retryIn(Duration delay) {
    if (scheduler != null) {
      scheduler.schedule(this::sweepSafely, delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Reads a chunk in batches; empty when batch reads failed or are denied. */
  private Map<String, Upstream> readCandidates(List<String> keys) {
    if (!batchReads) {
      return Map.of();
    }
    try {
      return source.readAll(keys);
    } catch (SourceException e) {
      if (e.kind() == SourceException.Kind.ACCESS_DENIED) {
        batchReads = false;
        LOG.warn("batch reads are denied ({}): changed keys are read one by one from now on", e.getMessage());
        metrics.changeDetectionFallback("batch_denied");
      } else {
        LOG.warn("batch read failed ({}): the changed namespaces read on their own", e.getMessage());
      }
      return Map.of();
    }
  }

  /**
   * Waits until at most one chunk of handed-off answers is still untaken.
   *
   * @return false when interrupted (the sweep is being stopped)
   */
  private boolean awaitHandOff() {
    long deadline = System.nanoTime() + HAND_OFF_WAIT.toNanos();
    waitingForHandOff = Thread.currentThread();
    try {
      while (prefetched.size() > chunkSize) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.debug("{} answers still untaken after {}; handing off the next chunk anyway", prefetched.size(),
              HAND_OFF_WAIT);
          return true;
        }
        LockSupport.parkNanos(this, left);
        if (Thread.interrupted()) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    } finally {
      waitingForHandOff = null;
    }
  }

  /** Namespaces that waited for the first listing but are not in it (opted in meanwhile, or it failed). */
  private void releaseDeferred() {
    listedOnce = true;
    for (String ns : Set.copyOf(deferred)) {
      if (deferred.remove(ns)) {
        trigger.accept(ns);
      }
    }
  }

  private boolean paused(String namespace) {
    return fleet.get(namespace).map(s -> s.outcome() == Outcome.DELETION_PAUSED).orElse(false);
  }

  private boolean knownMissing(String namespace) {
    return fleet.get(namespace).map(FleetView.SiteStatus::upstreamMissing).orElse(false);
  }

  private Map<String, SiteRef> optedInNamespaces() {
    Map<String, SiteRef> out = new HashMap<>();
    namespaces.get()
        .map(n -> SiteRef.from(n, naming))
        .flatMap(Optional::stream)
        .filter(SiteRef::optedIn)
        .forEach(site -> out.put(site.namespace(), site));
    return out;
  }
}
