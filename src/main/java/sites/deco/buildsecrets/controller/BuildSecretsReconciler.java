package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.ChangeFeed;
import sites.deco.buildsecrets.telemetry.ChangeEventMetrics;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.sync.DeletionApproval;
import sites.deco.buildsecrets.sync.DeletionCause;
import sites.deco.buildsecrets.sync.DeletionGuard;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.sync.FleetCensus;
import sites.deco.buildsecrets.sync.LeanSecret;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.Plan;
import sites.deco.buildsecrets.sync.SecretWriter;
import sites.deco.buildsecrets.sync.SiteState;
import sites.deco.buildsecrets.sync.SiteStore;
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
  /** A write failing this many times in a row is worth a Warning; fewer are transient. */
  static final int WRITE_FAILURES_BEFORE_WARNING = 3;
  private static final Duration PAUSE_SUMMARY_DELAY = Duration.ofSeconds(5);

  private final OperatorConfig config;
  private final Naming naming;
  private final Source source;
  private final DirectReads directReads;
  private final SiteStore store;
  private final SyncMetrics metrics;
  private final Clock clock;
  private final String instance;
  private final OncePer releaseCheck = new OncePer(Duration.ofSeconds(1));
  private final OncePer guardUpkeep = new OncePer(Duration.ofSeconds(30));
  private final OncePer pauseSummaryEvery;
  private final AtomicBoolean pauseSummaryPending = new AtomicBoolean();

  // Built in prepareEventSources, once the client and caches exist.
  private InformerEventSource<Secret, Namespace> secrets;
  private SimpleInboundEventSource<Namespace> fleetTriggers;
  private IndexerResourceCache<Namespace> namespaces;
  private SecretWriter writer;
  private NamespaceEvents events;
  private DeletionGuard guard;
  /** Null in get mode, or while fallen back to it. */
  private volatile FleetSweep sweep;
  /** The list-mode sweep, kept while fallen back to per-key reads so it can take over again. */
  private FleetSweep listSweep;
  /** Upstream change events; null when no queue is configured. */
  private final ChangeFeed changeFeed;
  private final ChangeEventMetrics changeEventMetrics;
  private ChangeEventConsumer changeEvents;
  /** Completed once the operator has started, i.e. its informers' caches are synced. */
  private final CompletableFuture<Void> cachesSynced = new CompletableFuture<>();

  public BuildSecretsReconciler(
      OperatorConfig config, Source source, SiteStore store, SyncMetrics metrics, Clock clock, String instance) {
    this(config, source, store, metrics, clock, instance, null, null);
  }

  /**
   * @param changeFeed upstream change events the leader consumes beside the sweep; null for none
   * @param changeEventMetrics its meters; null exactly when {@code changeFeed} is
   */
  public BuildSecretsReconciler(OperatorConfig config, Source source, SiteStore store, SyncMetrics metrics,
      Clock clock, String instance, ChangeFeed changeFeed, ChangeEventMetrics changeEventMetrics) {
    this.changeFeed = changeFeed;
    this.changeEventMetrics = changeEventMetrics;
    this.config = config;
    this.naming = config.naming();
    this.source = source;
    this.directReads = new DirectReads(source, DirectReads.WINDOW, clock);
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.instance = instance;
    this.pauseSummaryEvery = new OncePer(config.retryCap());
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
                // Both directions are a name: without this mapper JOSDK keeps an index from every
                // Namespace to its Secrets (a map entry and a set per site, ~0.3 KB each).
                .withPrimaryToSecondaryMapper((Namespace ns) ->
                    Set.of(secretIdIn(ns.getMetadata().getName())))
                .withItemStore(LeanItemStore.forSecrets())
                .withInformerListLimit(OperatorWiring.INFORMER_LIST_PAGE)
                .build(),
            context);
    fleetTriggers = new SimpleInboundEventSource<>("build-secrets-fleet");
    namespaces = context.getPrimaryCache();
    writer = new SecretWriter(context.getClient(), naming, new CacheFiller());
    events = new NamespaceEvents(context.getClient(), instance, metrics::eventDropped);
    guard = new DeletionGuard(store, deletionLedger(context.getClient()), this::census, config.deletionBudget(),
        config.deletionConfirmation(), clock);
    if (config.changeDetection() == OperatorConfig.ChangeDetection.LIST && source instanceof BulkSource bulk) {
      listSweep = new FleetSweep(bulk, naming, store, metrics, clock, namespaces::list,
          this::cachedSecret,
          ns -> fleetTriggers.propagateEvent(new ResourceID(ns)),
          new FleetSweep.ModeSwitch(this::fallBackToGet, this::backToList), this::upkeepDeletionGuard,
          FleetSweep.chunkSize(config.reconcileThreads(), bulk.batchSize()), cachesSynced);
      sweep = listSweep;
    }
    if (changeFeed != null) {
      changeEvents = new ChangeEventConsumer(changeFeed, source, naming, store, changeEventMetrics, clock,
          ns -> namespaces.get(new ResourceID(ns)),
          this::cachedSecret,
          ns -> fleetTriggers.propagateEvent(new ResourceID(ns)), cachesSynced,
          ChangeEventConsumer.LONG_POLL_SECONDS);
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
    if (listSweep != null) {
      listSweep.start(config.resyncPeriod());
    }
    if (changeEvents != null) {
      changeEvents.start(); // waits for the caches before it classifies anything
    }
  }

  /** Stops the sweep and waits for its thread, so nothing uses the source or the client after this. */
  public void stopSweeping() {
    if (changeEvents != null) {
      changeEvents.stop();
    }
    if (listSweep != null) {
      listSweep.stop();
    }
  }

  /** Change detection's health for /readyz (sweep, then change events): null when fine or not sweeping. */
  public String sweepProblem() {
    String sweeping = listSweep == null ? null : listSweep.problem();
    return sweeping != null || changeEvents == null ? sweeping : changeEvents.problem();
  }

  /** Writes the Events still queued; called once event processing has stopped. */
  public void flushEvents() {
    if (events != null) {
      events.close();
    }
  }

  /** Listing was denied: every opted-in namespace reads its own key on its own timer until listing works again. */
  private void fallBackToGet() {
    sweep = null;
    namespaces.list()
        .map(n -> SiteRef.from(n, naming))
        .flatMap(Optional::stream)
        .filter(SiteRef::optedIn)
        .forEach(site -> {
          store.invalidate(site.namespace());
          fleetTriggers.propagateEvent(new ResourceID(site.namespace()));
        });
  }

  /** A listing succeeded again (the IAM policy was fixed): the sweep is the resync once more. */
  private void backToList() {
    sweep = listSweep;
  }

  @Override
  public UpdateControl<Namespace> reconcile(Namespace namespace, Context<Namespace> context) {
    Optional<SiteRef> maybeSite = SiteRef.from(namespace, naming);
    if (maybeSite.isEmpty()) {
      return UpdateControl.noUpdate();
    }
    if (context.isPrimaryResourceDeleted()) {
      store.forget(namespace.getMetadata().getName()); // gone with everything in it
      return UpdateControl.noUpdate();
    }
    long start = System.nanoTime();
    SiteRef site = maybeSite.get();
    Secret secret = context.getSecondaryResource(Secret.class).orElse(null);
    LocalSecret local = LocalSecret.of(secret, naming);
    Instant now = clock.instant();
    String approval = annotation(namespace, Naming.DELETION_APPROVAL_ANNOTATION);

    Upstream upstream = null;
    FleetSweep s = sweep;
    // Taken even when not needed, so the sweep sees this namespace's reconcile has started.
    Optional<SiteState.Held> held = store.take(site.namespace());
    if (s != null) {
      s.answerTaken();
    }
    if (SyncRules.needsUpstream(site, local)) {
      if (held.isPresent() && Objects.equals(held.get().syncToken(), site.syncToken())) {
        upstream = held.get().upstream(); // read by the sweep in a batch, or kept from a failed write
      } else {
        Optional<Duration> wait = store.waitIfUnchanged(site.namespace(), fingerprint(site, secret, approval), now);
        if (wait.isPresent()) {
          return s == null ? UpdateControl.<Namespace>noUpdate().rescheduleAfter(wait.get()) : UpdateControl.noUpdate();
        }
        if (s != null && s.deferToSweep(site.namespace())) {
          return UpdateControl.noUpdate();
        }
        upstream = read(site);
      }
      store.noteRead(site.namespace(), upstream, now);
    }

    Plan plan = SyncRules.decide(site, local, upstream);
    noteKeyRemoval(site, upstream, plan, now);
    for (int round = 1; ; round++) {
      Admitted admitted = admit(site, plan, upstream, approval);
      try {
        Secret after = writer.apply(site, admitted.plan(), secret);
        return finish(site, upstream, admitted, fingerprint(site, after, approval), now, start);
      } catch (SecretWriter.Conflict conflict) {
        admitted.writeFailed(conflict.httpStatus());
        if (round == MAX_CONFLICT_ROUNDS) {
          // Someone keeps changing the Secret under us: try again shortly, quietly.
          LOG.debug("namespace {}: {} after {} rounds; retrying", site.namespace(), conflict.getMessage(), round);
          holdForRetry(site, upstream, now);
          return UpdateControl.<Namespace>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
        }
        // Re-read the Secret from the API server (not the cache) and decide again with the same
        // upstream answer: no second upstream read. A re-read that fails is a failed write: same
        // retry, Event and metric, never an exception out of the reconcile.
        try {
          secret = context.getClient().secrets().inNamespace(site.namespace()).withName(naming.secretName()).get();
        } catch (KubernetesClientException e) {
          return writeFailed(site, upstream, "re-read after a conflict", e, now, start);
        }
        local = LocalSecret.of(secret, naming);
        if (upstream == null && SyncRules.needsUpstream(site, local)) {
          store.invalidate(site.namespace()); // the new state needs a read: start over
          return UpdateControl.<Namespace>noUpdate().rescheduleAfter(Duration.ofMillis(100));
        }
        plan = SyncRules.decide(site, local, upstream);
        noteKeyRemoval(site, upstream, plan, now);
      } catch (KubernetesClientException e) {
        admitted.writeFailed(e.getCode());
        return writeFailed(site, upstream, verbOf(admitted.plan()), e, now, start);
      }
    }
  }

  /**
   * Tells the store, before the guard is asked, whether the latest upstream answer would remove
   * keys: the guard counts every such site as a candidate, as it counts opt-outs and missing keys.
   * An unreachable upstream changes nothing.
   */
  private void noteKeyRemoval(SiteRef site, Upstream upstream, Plan plan, Instant now) {
    if (upstream != null && !(upstream instanceof Upstream.Unreachable)) {
      store.noteKeyRemoval(site.namespace(), plan instanceof Plan.Update u && u.removesKeys(), now);
    }
  }

  /**
   * A direct read. In list mode it is coalesced with the ones other reconciles ask for at the same
   * moment (batch reads are part of that mode's IAM policy); in get mode, or fallen back to it,
   * each key is read alone, as the Go operator does.
   */
  private Upstream read(SiteRef site) {
    String key = site.upstreamKey();
    return sweep != null ? awaitRead(() -> directReads.read(key)) : readKey(key);
  }

  /**
   * A plan as the deletion guard lets it run: every deletion but a namespace's own is admitted
   * here, the moment before it is sent.
   *
   * @param permit the budget slot a sent deletion holds; null when none was reserved
   * @param recheck read the key again after this long (a missing key being confirmed); else null
   * @param pausedCause the cause of a paused deletion; else null
   */
  private record Admitted(Plan plan, DeletionGuard.Permit permit, Duration recheck, DeletionCause pausedCause) {
    /** @param httpStatus the API server's answer to the failed write; 0 or less when none came */
    void writeFailed(int httpStatus) {
      if (permit != null) {
        permit.deleteFailed(httpStatus);
      }
    }
  }

  private Admitted admit(SiteRef site, Plan plan, Upstream upstream, String approval) {
    LocalSecret.Managed current;
    DeletionCause cause;
    if (plan instanceof Plan.Delete delete) {
      current = delete.current();
      cause = delete.cause();
    } else if (plan instanceof Plan.Update update && update.removesKeys()) {
      current = update.current();
      cause = DeletionCause.KEYS_REMOVED;
    } else {
      return new Admitted(plan, null, null, null);
    }
    boolean approved = DeletionApproval.approves(approval, current, cause);
    boolean scheduled = scheduledForDeletion(upstream);
    DeletionGuard.Admission admission = guard.admit(site, current, cause, approved, scheduled);
    if (admission instanceof DeletionGuard.Corroborate asked) {
      DeletionGuard.Paused inconclusive = corroborate(asked);
      admission = inconclusive != null ? inconclusive : guard.admit(site, current, cause, approved, scheduled);
    }
    String why = plan instanceof Plan.Delete delete ? delete.why() : plan.message();
    return switch (admission) {
      case DeletionGuard.Allowed allowed -> new Admitted(approved ? approvedPlan(plan) : plan, allowed.permit(), null, null);
      case DeletionGuard.Confirming confirming -> new Admitted(
          new Plan.Keep(Outcome.UPSTREAM_MISSING, why + "; the Secret is deleted once the key has stayed "
              + "missing for " + GoDuration.format(config.deletionConfirmation()) + " (in "
              + GoDuration.formatWholeSecondsUp(confirming.remaining()) + ") and other keys are confirmed present"),
          null, confirming.remaining(), null);
      case DeletionGuard.Paused paused -> new Admitted(
          new Plan.Keep(Outcome.DELETION_PAUSED, pausedWhy(plan, why) + " (" + cause.description() + ") paused: "
              + paused.reason() + "; " + kept(cause)), null, null, cause);
      case DeletionGuard.Corroborate again -> new Admitted(
          new Plan.Keep(Outcome.DELETION_PAUSED, pausedWhy(plan, why) + " paused: other keys changed while "
              + "corroborating; " + kept(cause)), null, null, cause);
    };
  }

  private static String pausedWhy(Plan plan, String why) {
    return plan instanceof Plan.Update ? "not " + why + "; the update" : why + "; deletion";
  }

  private static String kept(DeletionCause cause) {
    return cause == DeletionCause.KEYS_REMOVED ? "the Secret keeps its current data" : "the Secret is kept";
  }

  private static Plan approvedPlan(Plan plan) {
    return switch (plan) {
      case Plan.Delete d -> new Plan.Delete(d.current(), d.cause(), d.why() + " (deletion approved)");
      default -> plan;
    };
  }

  /** Reads the sampled keys directly, notes what they hold, and tells the guard; null when clean. */
  private DeletionGuard.Paused corroborate(DeletionGuard.Corroborate asked) {
    Map<String, String> keyToNamespace = new HashMap<>();
    for (String ns : asked.namespaces()) {
      naming.siteOf(ns).ifPresent(site -> keyToNamespace.put(naming.upstreamKey(site), ns));
    }
    Map<String, Upstream> answers = new HashMap<>();
    if (source instanceof BulkSource bulk) {
      try {
        answers.putAll(bulk.readAll(keyToNamespace.keySet()));
      } catch (SourceException e) {
        LOG.debug("corroborating batch read failed ({}); reading one by one", e.getMessage());
      }
    }
    int missing = 0;
    int found = 0;
    Instant now = clock.instant();
    for (Map.Entry<String, String> e : keyToNamespace.entrySet()) {
      Upstream answer = answers.get(e.getKey());
      if (answer == null || answer instanceof Upstream.Unreachable) {
        answer = readKey(e.getKey());
      }
      store.noteRead(e.getValue(), answer, now);
      if (answer instanceof Upstream.Missing && !scheduledForDeletion(answer)) {
        missing++;
      } else if (!(answer instanceof Upstream.Unreachable)) {
        found++; // found, invalid, or scheduled for deletion: the key exists where we look
      }
    }
    return guard.corroborated(asked, missing, found);
  }

  private static boolean scheduledForDeletion(Upstream upstream) {
    return upstream instanceof Upstream.Missing m && m.reason() == Upstream.MissingReason.SCHEDULED_FOR_DELETION;
  }

  private Upstream readKey(String key) {
    return awaitRead(() -> source.read(key));
  }

  /** One upstream read. */
  private interface UpstreamRead {
    Upstream read() throws SourceException;
  }

  /**
   * Waits for an upstream read, its failure as an answer. The reconcile's slot goes to the next
   * reconcile meanwhile: a read holds no API server work.
   */
  private static Upstream awaitRead(UpstreamRead read) {
    return ReconcileExecutor.withoutSlot(() -> {
      try {
        return read.read();
      } catch (SourceException e) {
        return new Upstream.Unreachable(e.kind(), e.detail());
      }
    });
  }

  /** Keeps the upstream answer for the retry, so it applies the same answer without a second read. */
  private void holdForRetry(SiteRef site, Upstream upstream, Instant now) {
    if (upstream != null) {
      store.hold(site.namespace(), new SiteState.Held(upstream, site.syncToken()), now);
    } else {
      store.invalidate(site.namespace());
    }
  }

  /**
   * A write the API server refused or never answered (5xx, timeout, lost connection): retried
   * within seconds with the same upstream answer, counted at once, and a Warning once it persists.
   *
   * @param request what failed: the write, or the re-read after its conflict
   */
  private UpdateControl<Namespace> writeFailed(
      SiteRef site, Upstream upstream, String request, KubernetesClientException e, Instant now, long startNanos) {
    holdForRetry(site, upstream, now);
    int failures = store.get(site.namespace()).map(SiteState::failures).orElse(0) + 1;
    Duration retry = backoff(failures);
    String message = "writing the Secret failed (" + request + ": " + (e.getCode() > 0 ? "HTTP " + e.getCode() : "no answer")
        + "); retrying in " + GoDuration.formatWholeSecondsUp(retry) + " with the same upstream answer";
    store.record(site.namespace(), new SiteState.Result(Outcome.WRITE_ERROR, message, failures, null, null, null), now);
    if (failures == WRITE_FAILURES_BEFORE_WARNING) {
      events.record(site.namespace(), Outcome.WRITE_ERROR, message);
    }
    LOG.warn("namespace {}: {}: {}", site.namespace(), Outcome.WRITE_ERROR.metricLabel(), message);
    metrics.sync(Outcome.WRITE_ERROR.metricLabel());
    metrics.reconciled(Duration.ofNanos(System.nanoTime() - startNanos));
    return UpdateControl.<Namespace>noUpdate().rescheduleAfter(retry);
  }

  private static String verbOf(Plan plan) {
    return plan instanceof Plan.Create ? "create" : plan instanceof Plan.Update ? "update" : "delete";
  }

  private UpdateControl<Namespace> finish(
      SiteRef site, Upstream upstream, Admitted admitted, String fingerprint, Instant now, long startNanos) {
    Plan plan = admitted.plan();
    Outcome outcome = plan.outcome();
    SiteState previous = store.get(site.namespace()).orElse(null);
    int failures = outcome == Outcome.SOURCE_ERROR ? (previous == null ? 0 : previous.failures()) + 1 : 0;
    Duration next = admitted.recheck() != null ? admitted.recheck() : nextRead(site, outcome, failures);

    if (plan instanceof Plan.Update) {
      store.noteKeyRemoval(site.namespace(), false, now); // applied: no longer a candidate
    }
    if (outcome == Outcome.OPTED_OUT || (outcome == Outcome.DELETED && !site.optedIn())) {
      store.forget(site.namespace());
      if (outcome == Outcome.DELETED && !site.terminating()) {
        events.record(site.namespace(), outcome, plan.message()); // the opt-out's deletion: news, unlike the quiet "off"
      }
    } else {
      if (admitted.recheck() != null) {
        store.invalidate(site.namespace()); // the recheck reads the key again
      }
      boolean changed = store.record(site.namespace(), new SiteState.Result(outcome, plan.message(), failures,
          admitted.recheck() != null ? null : fingerprint, next == null ? null : now.plus(next),
          admitted.pausedCause()), now);
      if (changed) {
        events.record(site.namespace(), outcome, plan.message());
      }
    }
    log(site, outcome, plan.message());
    metrics.sync(outcome.metricLabel());
    if (outcome == Outcome.SOURCE_ERROR && next != null) {
      metrics.retryScheduled(next);
    }
    metrics.reconciled(Duration.ofNanos(System.nanoTime() - startNanos));
    if (outcome == Outcome.DELETION_PAUSED) {
      schedulePauseSummary();
    }
    releasePausedDeletions(now);
    if (guardUpkeep.tryAcquire(now)) {
      guard.upkeep(); // besides once per sweep: get mode has none, and a quiet list-mode fleet sweeps rarely
    }
    // In list mode the sweep is the resync; only backoff and confirmation need a per-namespace timer.
    boolean timer = next != null && (sweep == null || outcome == Outcome.SOURCE_ERROR || admitted.recheck() != null);
    return timer ? UpdateControl.<Namespace>noUpdate().rescheduleAfter(next) : UpdateControl.noUpdate();
  }

  /**
   * The fleet's pause, said once: a few seconds after a pause (so a burst of them is one line), at
   * most once per resync period; the list-mode sweep also says it at the end of every sweep.
   */
  private void schedulePauseSummary() {
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

  /** When to read again: backoff after errors, the jittered resync otherwise, never for opt-outs. */
  private Duration nextRead(SiteRef site, Outcome outcome, int failures) {
    if (!site.optedIn() || outcome == Outcome.NOT_OWNED) {
      return null; // only an event can change these
    }
    if (outcome == Outcome.SOURCE_ERROR) {
      return backoff(failures);
    }
    return config.resyncEnabled() ? jitter(config.resyncPeriod()) : null;
  }

  /** 2 s doubling per failure, capped at the resync period, ±10%. */
  private Duration backoff(int failures) {
    Duration backoff = FIRST_RETRY.multipliedBy(1L << Math.min(failures - 1, 20));
    return jitter(backoff.compareTo(config.retryCap()) > 0 ? config.retryCap() : backoff);
  }

  /** ±10%, so a restart does not bring the whole fleet due at the same instant. */
  private static Duration jitter(Duration d) {
    double factor = 0.9 + 0.2 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (d.toMillis() * factor)));
  }

  /**
   * Paused deletions are re-examined, with a fresh direct read of each key, when the guard says
   * one could now pass. Asked at most once a second: the count walks the fleet.
   */
  private void releasePausedDeletions(Instant now) {
    if (store.pausedDeletions().isEmpty() || !releaseCheck.tryAcquire(now)) {
      return;
    }
    Set<String> paused = store.pausedDeletions();
    if (paused.isEmpty() || !guard.wouldAllowAny()) {
      return;
    }
    LOG.info("deletion guard: re-checking {} paused namespaces", paused.size());
    for (String ns : paused) {
      store.invalidate(ns);
      fleetTriggers.propagateEvent(new ResourceID(ns));
    }
  }

  private DeletionLedger deletionLedger(KubernetesClient client) {
    OperatorConfig.DeletionLedgerLocation at = config.deletionLedger();
    return at == null ? DeletionLedger.inMemory() : new ConfigMapDeletionLedger(client, at.namespace(), at.name());
  }

  /** The managed Secrets in site namespaces, from the informer caches: the guard's population. */
  private FleetCensus census() {
    List<FleetCensus.Member> members = new ArrayList<>();
    secrets.list()
        .filter(s -> naming.isOwned(s.getMetadata().getLabels()))
        .forEach(s -> namespaces.get(new ResourceID(s.getMetadata().getNamespace()))
            .ifPresent(n -> SiteRef.from(n, naming).ifPresent(site -> members.add(new FleetCensus.Member(
                site.namespace(), s.getMetadata().getUid(), site.optedIn(), site.terminating(),
                DeletionApproval.approvesDeletion(annotation(n, Naming.DELETION_APPROVAL_ANNOTATION),
                    s.getMetadata().getUid(), s.getMetadata().getResourceVersion()),
                DeletionApproval.approvesKeyRemoval(annotation(n, Naming.DELETION_APPROVAL_ANNOTATION),
                    s.getMetadata().getUid(), s.getMetadata().getResourceVersion()))))));
    return new FleetCensus(members);
  }

  /** The managed Secret's id in a namespace: how the Secret cache is looked up. */
  private ResourceID secretIdIn(String namespace) {
    return new ResourceID(naming.secretName(), namespace);
  }

  /** The managed Secret in a namespace as the cache holds it; null when there is none. */
  private Secret cachedSecret(String namespace) {
    return secrets.get(secretIdIn(namespace)).orElse(null);
  }

  /** Once per sweep: the deletion guard's upkeep, then its summary of paused deletions (null when none is). */
  private String upkeepDeletionGuard() {
    guard.upkeep();
    return guard.pauseSummary();
  }

  private static String annotation(Namespace ns, String key) {
    Map<String, String> a = ns.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }

  /** Everything a reconcile's answer depends on, besides upstream and time. */
  private static String fingerprint(SiteRef site, Secret secret, String approval) {
    String secretPart = secret == null ? "-" : secret.getMetadata().getUid() + "@" + secret.getMetadata().getResourceVersion();
    return site.optInValue() + "|" + site.terminating() + "|" + site.syncToken() + "|" + approval + "|" + secretPart;
  }

  /** The fingerprint the sweep stores for a site it found unchanged, so its reconcile needs no read. */
  static String fingerprintOf(SiteRef site, Secret secret, Namespace namespace) {
    return fingerprint(site, secret, annotation(namespace, Naming.DELETION_APPROVAL_ANNOTATION));
  }

  private void log(SiteRef site, Outcome outcome, String message) {
    switch (outcome) {
      case SOURCE_ERROR, INVALID_PAYLOAD, NOT_OWNED, UNRECOGNISED_OPT_IN ->
          LOG.warn("namespace {}: {}: {}", site.namespace(), outcome.metricLabel(), message);
      // One summary line per sweep says it for the fleet: thousands of lines would bury it.
      case DELETION_PAUSED -> LOG.debug("namespace {}: {}: {}", site.namespace(), outcome.metricLabel(), message);
      case UNCHANGED, OPTED_OUT -> LOG.debug("namespace {}: {}", site.namespace(), message);
      default -> LOG.info("namespace {}: {}", site.namespace(), message);
    }
  }

  /**
   * Puts our own writes into JOSDK's cache so the next reconcile sees them before the watch does,
   * without their values, as the informer keeps them.
   */
  private final class CacheFiller implements SecretWriter.WriteListener {
    @Override
    public void created(Secret written) {
      secrets.handleRecentResourceCreate(ResourceID.fromResource(written), LeanSecret.of(written));
    }

    @Override
    public void updated(Secret written, Secret previous) {
      secrets.handleRecentResourceUpdate(ResourceID.fromResource(written), LeanSecret.of(written), previous);
    }
  }
}
