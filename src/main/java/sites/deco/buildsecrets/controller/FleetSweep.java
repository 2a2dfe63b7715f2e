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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.SiteRef;

/**
 * Change detection for the whole fleet in {@code list} mode. Once per resync period (and once at
 * start-up) it lists every key's current version in pages of 100, compares it with the version
 * annotation of each managed Secret, reads only new or changed keys, 20 per request, and offers
 * each answer to {@link UpstreamAnswers}, which triggers that namespace's reconcile. An unchanged key costs no read and no write.
 *
 * <p>A listing may lag by minutes, so it never confirms anything on its own: every answer the rule
 * table sees was read directly. A managed Secret whose key is absent from the listing, and a site
 * never read before, are read; only a site already found missing by a direct read is skipped
 * while the listing agrees. If listing or batch reads are denied, the operator falls back to
 * per-key reads, says so once, carries on, and tries listing again once per period, so a fixed IAM
 * policy is picked up without a restart; a listing that fails otherwise is tried again within
 * seconds, and the Secrets are kept as they are meanwhile. Only one listing is ever running or
 * scheduled.
 *
 * <p>A managed Secret whose version matches the listing and whose data still matches its digest
 * annotation is settled by the listing alone: its reconcile makes no read. A warm restart of an
 * in-sync fleet therefore costs the listing pages only, and a Secret edited while no operator was
 * watching is read and repaired.
 *
 * <p>Reads and offers go in chunks of a few batches: the next chunk is read once no more than one
 * chunk of answers waits to be taken. The controller's work queue therefore never holds more than
 * about two chunks of sweep work (one being worked, one ready, so the threads never wait for a
 * read), and a fresh opt-in or a force-sync waits behind those, not behind the whole fleet.
 */
final class FleetSweep {
  private static final Logger LOG = LoggerFactory.getLogger(FleetSweep.class);
  /** Longest wait for a chunk's reconciles to start, so a lost trigger never stalls a sweep. */
  private static final Duration HAND_OFF_WAIT = Duration.ofSeconds(10);
  private static final Duration LISTING_RETRY = Duration.ofSeconds(2);
  /** Listings failed in a row before /readyz reports it; fewer are transient. */
  static final int FAILURES_BEFORE_UNREADY = 3;
  private static final Duration STOP_WAIT = Duration.ofSeconds(5);

  /** What the controller does when listing is denied, and when it works again. */
  record ModeSwitch(Runnable toPerKeyReads, Runnable toListing) {}

  private final BulkSource source;
  private final Naming naming;
  private final SiteStore store;
  private final SyncMetrics metrics;
  private final Clock clock;
  private final Supplier<Stream<Namespace>> namespaces;
  private final Function<String, Secret> secretOf;
  /** Where answers go, and reconciles are triggered. */
  private final UpstreamAnswers answers;
  private final ModeSwitch modeSwitch;
  /** After each sweep: the deletion guard's upkeep; returns its summary of paused deletions, or null. */
  private final Supplier<String> guardUpkeep;
  private final int chunkSize;
  private final CompletableFuture<Void> cachesSynced;

  /** Reconciles that came before the first listing and wait for it. */
  private final Set<String> deferred = ConcurrentHashMap.newKeySet();
  /** Namespaces the first sweep will answer, whose chunk is not read yet. */
  private final Set<String> firstSweepPending = ConcurrentHashMap.newKeySet();
  private volatile boolean listedOnce;
  /** Listing was denied: per-key reads until a listing works again. */
  private volatile boolean perKeyReads;
  private ScheduledExecutorService scheduler;
  /** The one scheduled sweep; each run schedules the next, so failures never add a second chain. */
  private ScheduledFuture<?> next;
  private Duration period = Duration.ZERO;
  /** Set by stop(): an interrupted listing is then no failure to report. */
  private volatile boolean stopping;
  /** Listings failed in a row, and the last failure's kind. */
  private volatile int listingFailures;
  private volatile String lastListingError;

  FleetSweep(BulkSource source, Naming naming, SiteStore store, SyncMetrics metrics, Clock clock,
      Supplier<Stream<Namespace>> namespaces, Function<String, Secret> secretOf, UpstreamAnswers answers,
      ModeSwitch modeSwitch, Supplier<String> guardUpkeep, int chunkSize, CompletableFuture<Void> cachesSynced) {
    this.source = source;
    this.naming = naming;
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.namespaces = namespaces;
    this.secretOf = secretOf;
    this.answers = answers;
    this.modeSwitch = modeSwitch;
    this.guardUpkeep = guardUpkeep;
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

  /** Starts sweeping now and then every {@code period}; zero means once only (plus retries of a failed listing). */
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
    scheduleNext(Duration.ZERO);
  }

  /** Stops sweeping and waits for a running sweep to end, so it never outlives the source or the client. */
  void stop() {
    ScheduledExecutorService s;
    synchronized (this) {
      stopping = true;
      s = scheduler;
      scheduler = null;
      if (s == null) {
        return;
      }
      next.cancel(false);
      s.shutdownNow();
    }
    try {
      if (!s.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("the sweep did not stop within {}", GoDuration.format(STOP_WAIT));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private synchronized void scheduleNext(Duration delay) {
    if (scheduler != null && !stopping) {
      next = scheduler.schedule(this::run, delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Why change detection is unhealthy, for /readyz; null when it is fine. */
  String problem() {
    int failures = listingFailures;
    return failures >= FAILURES_BEFORE_UNREADY
        ? "listing upstream keys failed " + failures + " times in a row (" + lastListingError + "); Secrets are kept"
        : null;
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
    if (firstSweepPending.contains(namespace) || answers.isWaitingFor(namespace)) {
      return true;
    }
    if (listedOnce) {
      return false;
    }
    deferred.add(namespace);
    return !listedOnce || firstSweepPending.contains(namespace) || !deferred.remove(namespace);
  }

  private void run() {
    Duration after = period;
    try {
      after = sweep();
    } catch (RuntimeException e) {
      LOG.error("sweep failed: {}", e.toString());
    } finally {
      firstSweepPending.clear();
      if (!listedOnce) {
        releaseDeferred();
      }
      if (after != null && !after.isZero()) {
        scheduleNext(after);
      }
    }
  }

  /** One sweep; returns when the next should run. */
  Duration sweep() {
    long started = System.nanoTime();
    Map<String, String> versions;
    try {
      versions = source.currentVersions(naming.upstreamKeyPrefix());
    } catch (SourceException e) {
      return listingFailed(e);
    }
    listingFailures = 0;
    if (perKeyReads) {
      perKeyReads = false;
      LOG.info("listing upstream keys works again: back to one listing per resync");
      modeSwitch.toListing().run();
    }
    // The first listing may run while the informers fill (it starts with the operator); the
    // comparison needs their caches.
    try {
      cachesSynced.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      return null; // the operator failed to start
    }
    answers.dropWaiting(UpstreamAnswer.Origin.SWEEP); // untaken since the last sweep: their reconciles are gone
    Instant now = clock.instant();
    Instant due = now.plus(period.isZero() ? Duration.ofDays(365) : period);
    Map<String, String> candidates = new LinkedHashMap<>(); // key -> namespace
    Map<String, String> syncTokens = new HashMap<>();
    int unchanged = 0;
    List<Namespace> optedIn = optedInNamespaces();
    for (Namespace namespace : optedIn) {
      SiteRef site = SiteRef.from(namespace, naming).orElseThrow();
      deferred.remove(site.namespace()); // the sweep answers for it
      Secret secret = secretOf.apply(site.namespace());
      LocalSecret local = LocalSecret.of(secret, naming);
      String listed = versions.get(site.upstreamKey());
      String fingerprint = BuildSecretsReconciler.fingerprintOf(site, secret, namespace);
      switch (local) {
        case LocalSecret.Unowned u -> { } // never read: the reconcile reports NotOwned by itself
        // Settled by the listing: same version, data as written, and nothing else pending (a site
        // whose last outcome was an error or a paused deletion is read: its reconcile clears it;
        // so is one whose inputs changed since its last reconcile, such as a force-sync it has not
        // answered yet: the listing may predate that request, and noting it unchanged here would
        // let its reconcile skip the read it asked for).
        case LocalSecret.Managed m when listed != null && listed.equals(m.version()) && m.digestCurrent()
            && settled(site.namespace(), fingerprint) -> {
          store.noteUnchanged(site.namespace(), listed, fingerprint, due, now);
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
            // reconciles must already see that. Deleting still needs direct reads.
            store.noteRead(site.namespace(), new Upstream.Missing(Upstream.MissingReason.NOT_FOUND), now);
          }
          candidates.put(site.upstreamKey(), site.namespace());
          syncTokens.put(site.namespace(), site.syncToken());
        }
      }
    }
    if (!listedOnce) {
      firstSweepPending.addAll(candidates.values());
      listedOnce = true;
      releaseDeferred();
    }
    boolean batchReads = true; // tried again every sweep, so a fixed IAM policy is picked up
    int read = 0;
    List<Map.Entry<String, String>> todo = List.copyOf(candidates.entrySet());
    for (int from = 0; from < todo.size(); from += chunkSize) {
      if (!awaitHandOff()) {
        return null; // stopping
      }
      List<Map.Entry<String, String>> chunk = todo.subList(from, Math.min(todo.size(), from + chunkSize));
      Map<String, Upstream> chunkAnswers = Map.of();
      if (batchReads) {
        try {
          chunkAnswers = source.readAll(chunk.stream().map(Map.Entry::getKey).toList());
        } catch (SourceException e) {
          if (stopping) {
            return null; // the read was interrupted by the stop, not a failure to report
          }
          batchReads = batchReadFailed(e);
        }
      }
      read += chunkAnswers.size();
      for (Map.Entry<String, String> e : chunk) {
        // What the direct read said, noted before this chunk's reconciles run (the guard counts it).
        Upstream answer = chunkAnswers.get(e.getKey());
        if (answer != null) {
          store.noteRead(e.getValue(), answer, now);
        }
      }
      for (Map.Entry<String, String> e : chunk) {
        String ns = e.getValue();
        Upstream answer = chunkAnswers.get(e.getKey());
        firstSweepPending.remove(ns);
        if (answer != null) {
          answers.offer(ns, new UpstreamAnswer(answer, syncTokens.get(ns), UpstreamAnswer.Origin.SWEEP));
        } else {
          answers.trigger(ns); // without an answer, the reconcile reads its own key directly
        }
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    metrics.swept(took, versions.size(), unchanged, read);
    LOG.info("sweep: {} keys listed, {} unchanged, {} read in batches, took {} ms", versions.size(), unchanged,
        read, took.toMillis());
    String paused = guardUpkeep.get();
    if (paused != null) {
      LOG.error(paused);
    }
    return period;
  }

  /** Reports a failed listing and returns when to list again. */
  private Duration listingFailed(SourceException e) {
    if (stopping) {
      return null;
    }
    lastListingError = e.kind().label();
    if (e.kind() == SourceException.Kind.ACCESS_DENIED) {
      // Denied on purpose by the IAM policy: per-key reads, and one listing a period to notice a fix.
      listingFailures = 0; // a working mode, not a failure: /readyz must not stay red for failures before it
      if (!perKeyReads) {
        perKeyReads = true;
        LOG.warn("listing upstream keys is denied ({}): falling back to one read per namespace; listing is "
            + "tried again every {}", e.getMessage(), GoDuration.format(retryPeriod()));
        metrics.changeDetectionFallback("list_denied");
        releaseDeferred();
        modeSwitch.toPerKeyReads().run();
      }
      return retryPeriod();
    }
    Duration retry = listingRetry(++listingFailures);
    LOG.warn("listing upstream keys failed ({}): Secrets are kept as they are; listing again in {}",
        e.getMessage(), GoDuration.format(retry));
    if (!listedOnce) {
      // At start-up nothing is known yet: each namespace reads on its own and reports its error.
      optedInNamespaces().forEach(n -> deferred.add(n.getMetadata().getName()));
    }
    return retry;
  }

  /** @return whether later chunks of this sweep should still try batch reads */
  private boolean batchReadFailed(SourceException e) {
    if (e.kind() == SourceException.Kind.ACCESS_DENIED) {
      LOG.warn("batch reads are denied ({}): changed keys are read one by one until the next sweep",
          e.getMessage());
      metrics.changeDetectionFallback("batch_denied");
      return false;
    }
    LOG.warn("batch read failed ({}): the changed namespaces read on their own", e.getMessage());
    return true;
  }

  private Duration retryPeriod() {
    return period.isZero() ? Duration.ofMinutes(15) : period;
  }

  /** 2 s, doubling, never later than the next periodic sweep. */
  private Duration listingRetry(int failures) {
    Duration backoff = LISTING_RETRY.multipliedBy(1L << Math.min(failures - 1, 16));
    return period.isZero() || backoff.compareTo(period) < 0 ? backoff : period;
  }

  /**
   * Waits until at most one chunk of handed-off answers is still untaken.
   *
   * @return false when interrupted (the sweep is being stopped)
   */
  private boolean awaitHandOff() {
    try {
      if (!answers.awaitWaitingAtMost(chunkSize, HAND_OFF_WAIT)) {
        LOG.debug("{} answers still untaken after {}; handing off the next chunk anyway", answers.waitingCount(),
            HAND_OFF_WAIT);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Namespaces that waited for the first listing but are not in it (opted in meanwhile, or it failed). */
  private void releaseDeferred() {
    listedOnce = true;
    for (String ns : Set.copyOf(deferred)) {
      if (deferred.remove(ns)) {
        answers.trigger(ns);
      }
    }
  }

  /**
   * Never reconciled since start-up (a warm restart), or last found in sync with the inputs it has
   * now ({@code fingerprint}; when none was recorded there is nothing to compare, and the listing decides).
   */
  private boolean settled(String namespace, String fingerprint) {
    return store.get(namespace)
        .map(s -> s.outcome().synced() && (s.fingerprint() == null || s.fingerprint().equals(fingerprint)))
        .orElse(true);
  }

  private boolean knownMissing(String namespace) {
    return store.get(namespace).map(s -> s.upstreamMissing()).orElse(false);
  }

  private List<Namespace> optedInNamespaces() {
    return namespaces.get()
        .filter(n -> SiteRef.from(n, naming).map(SiteRef::optedIn).orElse(false))
        .toList();
  }
}
