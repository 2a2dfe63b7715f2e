package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.ops.SyncMetrics;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.FleetView;
import sites.deco.buildsecrets.sync.LocalSecret;
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
 * while the listing agrees. If listing or
 * batch reads are denied, the operator falls back to per-key reads, says so once, and carries on.
 */
final class FleetSweep {
  private static final Logger LOG = LoggerFactory.getLogger(FleetSweep.class);

  private final BulkSource source;
  private final Naming naming;
  private final FleetView fleet;
  private final SyncMetrics metrics;
  private final Clock clock;
  private final Supplier<Stream<Namespace>> namespaces;
  private final Function<String, Secret> secretOf;
  private final Consumer<String> trigger;
  private final Runnable fallBackToGet;

  /** Answers read directly by a sweep, waiting for their namespace's reconcile. */
  private final Map<String, Upstream> prefetched = new ConcurrentHashMap<>();
  private final Set<String> deferred = ConcurrentHashMap.newKeySet();
  private volatile boolean initialSweepDone;
  private volatile boolean batchReads = true;
  private ScheduledExecutorService scheduler;
  private ScheduledFuture<?> schedule;

  FleetSweep(BulkSource source, Naming naming, FleetView fleet, SyncMetrics metrics, Clock clock,
      Supplier<Stream<Namespace>> namespaces, Function<String, Secret> secretOf, Consumer<String> trigger,
      Runnable fallBackToGet) {
    this.source = source;
    this.naming = naming;
    this.fleet = fleet;
    this.metrics = metrics;
    this.clock = clock;
    this.namespaces = namespaces;
    this.secretOf = secretOf;
    this.trigger = trigger;
    this.fallBackToGet = fallBackToGet;
  }

  /** Starts sweeping now and then every {@code period}; zero means once only. */
  synchronized void start(Duration period) {
    if (scheduler != null) {
      return;
    }
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
    if (scheduler != null) {
      schedule.cancel(false);
      scheduler.shutdownNow();
      scheduler = null;
    }
  }

  /** The answer the sweep prepared for this namespace, if any; consumed by the call. */
  Optional<Upstream> take(String namespace) {
    return Optional.ofNullable(prefetched.remove(namespace));
  }

  /**
   * Before the first sweep, a reconcile waits for it rather than read alone: a cold start over
   * thousands of namespaces is then a few batch reads, not one read each.
   *
   * @return true when the caller should wait for the sweep
   */
  boolean deferUntilFirstSweep(String namespace) {
    if (initialSweepDone) {
      return false;
    }
    deferred.add(namespace);
    return !initialSweepDone || !deferred.remove(namespace);
  }

  private void sweepSafely() {
    try {
      sweep();
    } catch (RuntimeException e) {
      LOG.error("sweep failed: {}", e.toString());
    } finally {
      if (!initialSweepDone) {
        finishInitialSweep();
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
      } else {
        LOG.warn("listing upstream keys failed ({}); every namespace is read on its own this round", e.getMessage());
        deferred.addAll(optedInNamespaces().keySet());
      }
      return;
    }
    Instant now = clock.instant();
    Map<String, String> candidates = new HashMap<>(); // key -> namespace
    int unchanged = 0;
    Map<String, SiteRef> optedIn = optedInNamespaces();
    deferred.removeAll(optedIn.keySet()); // the sweep answers for all of them
    for (Map.Entry<String, SiteRef> e : optedIn.entrySet()) {
      SiteRef site = e.getValue();
      LocalSecret local = LocalSecret.of(secretOf.apply(site.namespace()), naming);
      String listed = versions.get(site.upstreamKey());
      switch (local) {
        case LocalSecret.Unowned u -> { } // never read: the reconcile reports NotOwned by itself
        case LocalSecret.Managed m when listed != null && listed.equals(m.version()) -> {
          fleet.noteRead(site.namespace(), false, listed, now);
          unchanged++;
        }
        case LocalSecret.Absent a when listed == null && knownMissing(site.namespace()) -> {
          // A direct read already found no key and the listing agrees: nothing to do. (A key just
          // created may be missing from a lagging listing; it is found on a later sweep, or at
          // once with a force-sync.) Sites never read, such as fresh opt-ins, are read below.
        }
        default -> candidates.put(site.upstreamKey(), site.namespace());
      }
    }
    Map<String, Upstream> answers = readCandidates(candidates);
    answers.forEach((key, upstream) -> {
      String ns = candidates.get(key);
      if (ns != null) {
        prefetched.put(ns, upstream);
        trigger.accept(ns);
      }
    });
    LOG.info("sweep: {} keys listed, {} unchanged, {} read in batches, took {} ms", versions.size(), unchanged,
        answers.size(), (System.nanoTime() - started) / 1_000_000);
  }

  private Map<String, Upstream> readCandidates(Map<String, String> candidates) {
    if (candidates.isEmpty()) {
      return Map.of();
    }
    if (batchReads) {
      try {
        return source.readAll(candidates.keySet());
      } catch (SourceException e) {
        if (e.kind() == SourceException.Kind.ACCESS_DENIED) {
          batchReads = false;
          LOG.warn("batch reads are denied ({}): changed keys are read one by one from now on", e.getMessage());
          metrics.changeDetectionFallback("batch_denied");
        } else {
          LOG.warn("batch read failed ({}): the changed namespaces read on their own", e.getMessage());
        }
      }
    }
    candidates.values().forEach(trigger); // each reconcile then reads its own key directly
    return Map.of();
  }

  private void finishInitialSweep() {
    initialSweepDone = true;
    // Namespaces that waited but were not in the sweep (opted in meanwhile, or listing failed).
    for (String ns : Set.copyOf(deferred)) {
      if (deferred.remove(ns) && !prefetched.containsKey(ns)) {
        trigger.accept(ns);
      }
    }
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
