package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.FleetDeletionGuard;
import sites.deco.buildsecrets.sync.FleetView;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.Plan;
import sites.deco.buildsecrets.sync.SecretWriter;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SyncRules;

/**
 * Reconciles one site Namespace: reads its upstream key when the rule table needs it, decides, and
 * applies at most one write. The primary is the Namespace itself; the {@code build-secrets} Secrets
 * are a secondary source watched through a {@code metadata.name} field selector, so no other
 * Secret is ever cached. No finalizer is put on Namespaces.
 */
// triggerReconcilerOnAllEvents: without a finalizer JOSDK would skip a Namespace marked for
// deletion, and a Terminating namespace must still lose its managed Secret.
@ControllerConfiguration(
    name = BuildSecretsReconciler.NAME,
    generationAwareEventProcessing = false,
    triggerReconcilerOnAllEvents = true)
public final class BuildSecretsReconciler implements Reconciler<Namespace> {
  public static final String NAME = "build-secrets";
  private static final Logger LOG = LoggerFactory.getLogger(BuildSecretsReconciler.class);
  private static final int MAX_CONFLICT_ROUNDS = 3;
  private static final Duration FIRST_RETRY = Duration.ofSeconds(2);

  private final OperatorConfig config;
  private final Naming naming;
  private final Source source;
  private final FleetView fleet;
  private final SyncMetrics metrics;
  private final Clock clock;
  private final String instance;

  // Built in prepareEventSources, once the client and caches exist.
  private InformerEventSource<Secret, Namespace> secrets;
  private SimpleInboundEventSource<Namespace> fleetTriggers;
  private IndexerResourceCache<Namespace> namespaces;
  private SecretWriter writer;
  private NamespaceEvents events;
  private FleetDeletionGuard guard;
  /** Null in get mode, or after falling back to it. */
  private volatile FleetSweep sweep;
  /** Completed once the operator has started, i.e. its informers' caches are synced. */
  private final CompletableFuture<Void> cachesSynced = new CompletableFuture<>();

  public BuildSecretsReconciler(
      OperatorConfig config, Source source, FleetView fleet, SyncMetrics metrics, Clock clock, String instance) {
    this.config = config;
    this.naming = config.naming();
    this.source = source;
    this.fleet = fleet;
    this.metrics = metrics;
    this.clock = clock;
    this.instance = instance;
  }

  /** The Namespace filter, applied by {@link OperatorWiring} at registration. */
  NamespaceEventFilter namespaceFilter() {
    return new NamespaceEventFilter(naming);
  }

  @Override
  public List<EventSource<?, Namespace>> prepareEventSources(EventSourceContext<Namespace> context) {
    secrets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, Namespace.class)
                .withName("build-secrets-secrets")
                .withFieldSelector(new FieldSelector(new FieldSelector.Field("metadata.name", naming.secretName())))
                .withSecondaryToPrimaryMapper(s -> Set.of(new ResourceID(s.getMetadata().getNamespace())))
                .withItemStore(new LeanItemStore<>())
                .withInformerListLimit(OperatorWiring.INFORMER_LIST_PAGE)
                .build(),
            context);
    fleetTriggers = new SimpleInboundEventSource<>("build-secrets-fleet");
    namespaces = context.getPrimaryCache();
    writer = new SecretWriter(context.getClient(), naming, new CacheFiller());
    events = new NamespaceEvents(context.getClient(), instance, metrics::eventDropped);
    guard = new FleetDeletionGuard(fleet, this::optedInNamespacesWithManagedSecret, config.deletionBudget(),
        config.retryCap(), clock);
    if (config.changeDetection() == OperatorConfig.ChangeDetection.LIST && source instanceof BulkSource bulk) {
      sweep = new FleetSweep(bulk, naming, fleet, metrics, clock, namespaces::list,
          ns -> secrets.get(new ResourceID(naming.secretName(), ns)).orElse(null),
          ns -> fleetTriggers.propagateEvent(new ResourceID(ns)),
          this::fallBackToGet, FleetSweep.chunkSize(config.reconcileThreads(), bulk.batchSize()), cachesSynced);
    }
    return List.of(secrets, fleetTriggers);
  }

  /** The operator has started: its caches are synced and a sweep may compare with them. */
  public void cachesSynced() {
    cachesSynced.complete(null);
  }

  /**
   * Starts change detection; called once this replica processes events (leader, or no election).
   * The first listing of upstream keys may start before {@link #cachesSynced()}.
   */
  public void startSweeping() {
    FleetSweep s = sweep;
    if (s != null) {
      s.start(config.resyncPeriod());
    }
  }

  public void stopSweeping() {
    FleetSweep s = sweep;
    if (s != null) {
      s.stop();
    }
  }

  /** Writes the Events still queued; called once event processing has stopped. */
  public void flushEvents() {
    if (events != null) {
      events.close();
    }
  }

  /** Listing was denied: every opted-in namespace now reads its own key on its own timer. */
  private void fallBackToGet() {
    sweep = null;
    namespaces.list()
        .map(n -> SiteRef.from(n, naming))
        .flatMap(Optional::stream)
        .filter(SiteRef::optedIn)
        .forEach(site -> {
          fleet.invalidate(site.namespace());
          fleetTriggers.propagateEvent(new ResourceID(site.namespace()));
        });
  }

  @Override
  public UpdateControl<Namespace> reconcile(Namespace namespace, Context<Namespace> context) {
    Optional<SiteRef> maybeSite = SiteRef.from(namespace, naming);
    if (maybeSite.isEmpty()) {
      return UpdateControl.noUpdate();
    }
    if (context.isPrimaryResourceDeleted()) {
      fleet.forget(namespace.getMetadata().getName()); // gone with everything in it
      return UpdateControl.noUpdate();
    }
    long start = System.nanoTime();
    SiteRef site = maybeSite.get();
    Secret secret = context.getSecondaryResource(Secret.class).orElse(null);
    LocalSecret local = LocalSecret.of(secret, naming);
    Instant now = clock.instant();

    Upstream upstream = null;
    FleetSweep s = sweep;
    // Taken even when not needed, so the sweep sees this namespace's reconcile has started.
    Optional<Upstream> prefetched = s == null ? Optional.empty() : s.take(site);
    if (SyncRules.needsUpstream(site, local)) {
      if (prefetched.isPresent()) {
        upstream = prefetched.get(); // read directly by the sweep, in a batch
      } else {
        Optional<Duration> wait = fleet.waitIfUnchanged(site.namespace(), fingerprint(site, secret), now);
        if (wait.isPresent()) {
          return s == null ? UpdateControl.<Namespace>noUpdate().rescheduleAfter(wait.get()) : UpdateControl.noUpdate();
        }
        if (s != null && s.deferToSweep(site.namespace())) {
          return UpdateControl.noUpdate();
        }
        upstream = read(site);
      }
      // The sweep's batch answers count too: otherwise Secrets created at a cold start counted as
      // never read, and the deletion guard paused every deletion until the next sweep.
      fleet.noteRead(site.namespace(), missingOrUnknown(upstream), versionOf(upstream), now);
    }

    Plan plan = SyncRules.decide(site, local, upstream, guard);
    Secret after = secret;
    for (int round = 1; ; round++) {
      try {
        after = writer.apply(site, plan, secret);
        break;
      } catch (SecretWriter.Conflict conflict) {
        if (round == MAX_CONFLICT_ROUNDS) {
          // Someone keeps changing the Secret under us: try again shortly, quietly.
          LOG.debug("namespace {}: {} after {} rounds; retrying", site.namespace(), conflict.getMessage(), round);
          fleet.invalidate(site.namespace());
          return UpdateControl.<Namespace>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
        }
        // Re-read the Secret from the API server (not the cache) and decide again with the same
        // upstream answer: no second upstream read.
        secret = context.getClient().secrets().inNamespace(site.namespace()).withName(naming.secretName()).get();
        local = LocalSecret.of(secret, naming);
        if (upstream == null && SyncRules.needsUpstream(site, local)) {
          fleet.invalidate(site.namespace()); // the new state needs a read: start over
          return UpdateControl.<Namespace>noUpdate().rescheduleAfter(Duration.ofMillis(100));
        }
        plan = SyncRules.decide(site, local, upstream, guard);
      }
    }
    return finish(site, upstream, plan, after, now, start);
  }

  private Upstream read(SiteRef site) {
    try {
      return source.read(site.upstreamKey());
    } catch (SourceException e) {
      return new Upstream.Unreachable(e.kind(), e.detail());
    }
  }

  /** True for missing, false for found or invalid, null (keep the last answer) when unreachable. */
  private static Boolean missingOrUnknown(Upstream upstream) {
    return upstream instanceof Upstream.Unreachable ? null : upstream instanceof Upstream.Missing;
  }

  private static String versionOf(Upstream upstream) {
    return upstream instanceof Upstream.Found f ? f.version() : null;
  }

  private UpdateControl<Namespace> finish(
      SiteRef site, Upstream upstream, Plan plan, Secret after, Instant now, long startNanos) {
    Outcome outcome = plan.outcome();
    FleetView.SiteStatus previous = fleet.get(site.namespace()).orElse(null);
    int failures = outcome == Outcome.SOURCE_ERROR ? (previous == null ? 0 : previous.failures()) + 1 : 0;
    Duration next = nextRead(site, outcome, failures);

    if (outcome == Outcome.OPTED_OUT || (outcome == Outcome.DELETED && !site.optedIn())) {
      fleet.forget(site.namespace());
    } else {
      boolean changed = fleet.record(site.namespace(), new FleetView.SiteStatus(
          outcome,
          plan.message(),
          previous != null && previous.outcome() == outcome ? previous.since() : now,
          previous == null ? null : previous.upstreamVersion(),
          previous != null && previous.upstreamMissing(),
          previous != null && previous.readSinceStart(),
          failures,
          fingerprint(site, after),
          next == null ? null : now.plus(next)));
      if (changed) {
        events.record(site.namespace(), outcome, plan.message());
      }
    }
    log(site, outcome, plan.message());
    metrics.sync(outcome);
    if (outcome == Outcome.SOURCE_ERROR && next != null) {
      metrics.retryScheduled(next);
    }
    metrics.reconciled(Duration.ofNanos(System.nanoTime() - startNanos));
    releasePausedDeletions();
    // In list mode the sweep is the resync; only error backoff needs a per-namespace timer.
    boolean timer = next != null && (sweep == null || outcome == Outcome.SOURCE_ERROR);
    return timer ? UpdateControl.<Namespace>noUpdate().rescheduleAfter(next) : UpdateControl.noUpdate();
  }

  /** When to read again: backoff after errors, the jittered resync otherwise, never for opt-outs. */
  private Duration nextRead(SiteRef site, Outcome outcome, int failures) {
    if (!site.optedIn() || outcome == Outcome.NOT_OWNED) {
      return null; // only an event can change these
    }
    if (outcome == Outcome.SOURCE_ERROR) {
      long factor = 1L << Math.min(failures - 1, 20);
      Duration backoff = FIRST_RETRY.multipliedBy(factor);
      return jitter(backoff.compareTo(config.retryCap()) > 0 ? config.retryCap() : backoff);
    }
    return config.resyncEnabled() ? jitter(config.resyncPeriod()) : null;
  }

  /** ±10%, so a restart does not bring the whole fleet due at the same instant. */
  private static Duration jitter(Duration d) {
    double factor = 0.9 + 0.2 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (d.toMillis() * factor)));
  }

  /**
   * Paused upstream-missing deletions are re-examined when the fleet view says they may proceed,
   * with a fresh, direct read of each key.
   */
  private void releasePausedDeletions() {
    Set<String> paused = fleet.pausedDeletions();
    if (paused.isEmpty() || !guard.wouldAllow()) {
      return;
    }
    LOG.info("deletion guard released: re-checking {} paused namespaces", paused.size());
    for (String ns : paused) {
      fleet.invalidate(ns);
      fleetTriggers.propagateEvent(new ResourceID(ns));
    }
  }

  private Collection<String> optedInNamespacesWithManagedSecret() {
    return secrets.list()
        .filter(s -> naming.isOwned(s.getMetadata().getLabels()))
        .map(s -> s.getMetadata().getNamespace())
        .filter(ns -> namespaces.get(new ResourceID(ns)).flatMap(n -> SiteRef.from(n, naming))
            .map(SiteRef::optedIn).orElse(false))
        .toList();
  }

  /** Everything a reconcile's answer depends on, besides upstream and time. */
  private static String fingerprint(SiteRef site, Secret secret) {
    String secretPart = secret == null ? "-" : secret.getMetadata().getUid() + "@" + secret.getMetadata().getResourceVersion();
    return site.optInValue() + "|" + site.terminating() + "|" + site.syncToken() + "|" + secretPart;
  }

  private void log(SiteRef site, Outcome outcome, String message) {
    switch (outcome) {
      case SOURCE_ERROR, INVALID_PAYLOAD, NOT_OWNED, UNRECOGNISED_OPT_IN ->
          LOG.warn("namespace {}: {}: {}", site.namespace(), outcome.metricLabel(), message);
      case DELETION_PAUSED -> LOG.error("namespace {}: {}: {}", site.namespace(), outcome.metricLabel(), message);
      case UNCHANGED, OPTED_OUT -> LOG.debug("namespace {}: {}", site.namespace(), message);
      default -> LOG.info("namespace {}: {}", site.namespace(), message);
    }
  }

  /** Puts our own writes into JOSDK's cache so the next reconcile sees them before the watch does. */
  private final class CacheFiller implements SecretWriter.WriteListener {
    @Override
    public void created(Secret written) {
      secrets.handleRecentResourceCreate(ResourceID.fromResource(written), written);
    }

    @Override
    public void updated(Secret written, Secret previous) {
      secrets.handleRecentResourceUpdate(ResourceID.fromResource(written), written, previous);
    }
  }
}
