package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.kube.ConfigMapDeletionLedger;
import sites.deco.buildsecrets.sync.DeletionGuard;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.sync.LeanSecret;
import sites.deco.buildsecrets.sync.ReadSchedule;
import sites.deco.buildsecrets.kube.SecretWriter;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.retry.GenericRetry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.source.ChangeFeed;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.telemetry.ChangeEventMetrics;
import sites.deco.buildsecrets.sync.DeletionCause;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.sync.Outcome;

/** The one place where every JOSDK setting is chosen. */
public final class OperatorWiring {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorWiring.class);
  /** How long in-flight reconciles may run on shutdown. */
  public static final Duration TERMINATION_TIMEOUT = Duration.ofSeconds(20);
  /** Informers list in pages: the first list of 10,000 namespaces is not one huge response in memory. */
  static final long INFORMER_LIST_PAGE = 500;

  private OperatorWiring() {}

  /**
   * The operator and its controller. Change detection starts with event processing: at once
   * without leader election, else when this replica becomes leader.
   */
  public record Wired(Operator operator, BuildSecretsReconciler reconciler, boolean leaderElection,
      CompletableFuture<Void> cachesSynced) {
    public void start() {
      if (!leaderElection) {
        reconciler.parts().detection().start(); // the first listing overlaps the informers' start-up
      }
      operator.start();
      cachesSynced.complete(null);
    }

    /** Stops change detection (and waits for it), then event processing, then writes the Events still queued. */
    public void stop() {
      reconciler.parts().detection().stop();
      operator.stop();
      reconciler.parts().recorder().flush();
    }

    /** Why change detection is unhealthy, for /readyz; null when it is fine. */
    public String changeDetectionProblem() {
      return reconciler.parts().answers().problem();
    }
  }

  /**
   * Builds the operator with the build-secrets controller registered.
   *
   * @param lease null exactly when leader election is off
   */
  public static Wired build(
      OperatorConfig config,
      KubernetesClient client,
      Source source,
      SiteStore store,
      SyncMetrics metrics,
      String identity,
      LeaderLease lease) {
    return build(config, client, source, store, metrics, identity, lease, null, null, Clock.systemUTC());
  }

  /**
   * As above, with upstream change events consumed by the leader beside the sweep.
   *
   * @param changeFeed null for none
   * @param changeEventMetrics its meters; null exactly when {@code changeFeed} is
   * @param clock what the operator's decisions read the time from (tests simulate hours with it)
   */
  public static Wired build(
      OperatorConfig config,
      KubernetesClient client,
      Source source,
      SiteStore store,
      SyncMetrics metrics,
      String identity,
      LeaderLease lease,
      ChangeFeed changeFeed,
      ChangeEventMetrics changeEventMetrics,
      Clock clock) {
    MeterRegistry registry = metrics.registry();
    CompletableFuture<Void> cachesSynced = new CompletableFuture<>();
    BuildSecretsReconciler reconciler = new BuildSecretsReconciler(config.naming(), store,
        new ReadSchedule(config.resyncPeriod(), config.retryCap()), clock,
        context -> assemble(context, config, source, store, metrics, clock, identity, changeFeed, changeEventMetrics,
            cachesSynced));
    if (lease != null) {
      lease.whileLeading(() -> {
        metrics.leading(true);
        reconciler.parts().detection().start();
      }, () -> {
        metrics.leading(false);
        reconciler.parts().detection().stop();
      });
    } else {
      metrics.leading(true); // the only replica: it runs the controller from start-up
    }
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withExecutorService(new ReconcileExecutor(config.reconcileThreads()))
                  // Per-resource meters would be unbounded per tenant.
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry))
                  .withStopOnInformerErrorDuringStartup(true)
                  .withCacheSyncTimeout(Duration.ofMinutes(2))
                  .withReconciliationTerminationTimeout(TERMINATION_TIMEOUT)
                  .withCloseClientOnStop(false);
              if (config.leaderElection() != null) {
                o.withLeaderElectionConfiguration(
                    LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(config.leaderElection().leaseName())
                        .withLeaseNamespace(config.leaderElection().leaseNamespace())
                        .withIdentity(identity)
                        .withExitOnStopLeading(false)
                        .withLeaderCallbacks(lease.callbacks())
                        .build());
              }
            });
    NamespaceEventFilter filter = new NamespaceEventFilter(config.naming());
    operator.register(
        reconciler,
        o -> o.withOnAddFilter(filter.onAdd())
            .withOnUpdateFilter(filter.onUpdate())
            .withItemStore(LeanItemStore.forNamespaces(config.naming()))
            .withInformerListLimit(INFORMER_LIST_PAGE)
            .withRateLimiter(NoRateLimit.INSTANCE)
            // Only unexpected failures (API server errors) reach JOSDK's retry; upstream errors
            // are handled in the reconciler with their own backoff.
            .withRetry(new GenericRetry()
                .setInitialInterval(Duration.ofSeconds(2))
                .setIntervalMultiplier(2)
                .setMaxInterval(config.retryCap().toMillis())
                .withoutMaxAttempts()));
    if (config.resyncEnabled()) {
      String period = GoDuration.format(config.resyncPeriod());
      if (config.changeDetection() == OperatorConfig.ChangeDetection.LIST) {
        LOG.info("resync every {}: one listing of upstream versions, then batch reads of the changed keys only "
            + "(each namespace reads its own key, ±10% jitter, only while listing is denied)", period);
      } else {
        LOG.info("resync every {} (±10% jitter): each opted-in namespace reads its own key", period);
      }
    } else {
      LOG.warn("resync is disabled (period 0): namespaces are read only on events and force-syncs");
    }
    metrics.gauge("managed_secrets", "Namespaces whose build-secrets Secret the operator manages and has synced",
        () -> store.countByOutcome().entrySet().stream()
            .filter(e -> e.getKey().synced())
            .mapToLong(java.util.Map.Entry::getValue).sum());
    metrics.gauge("namespaces_backing_off",
        "Namespaces whose last upstream read failed; each is re-read after its backoff (source_retry_delay)",
        () -> store.countByOutcome().getOrDefault(Outcome.SOURCE_ERROR, 0L));
    for (DeletionCause cause : DeletionCause.values()) {
      if (cause.budgeted()) {
        metrics.gauge("deletions_paused", "Managed Secrets kept because the deletion guard paused their deletion, "
            + "by cause", java.util.Map.of("cause", cause.label()),
            () -> store.pausedByCause().getOrDefault(cause, 0L));
      }
    }
    for (String result : java.util.Arrays.stream(Outcome.values()).map(Outcome::metricLabel).distinct().toList()) {
      metrics.gauge("namespaces_by_result", "Opted-in site namespaces by the result of their latest reconcile",
          java.util.Map.of("result", result),
          () -> store.countByOutcome().entrySet().stream()
              .filter(e -> e.getKey().metricLabel().equals(result))
              .mapToLong(java.util.Map.Entry::getValue).sum());
    }
    return new Wired(operator, reconciler, config.leaderElection() != null, cachesSynced);
  }


  /**
   * The controller's parts, built once JOSDK hands over the client and the Namespace cache: the
   * event sources (managed Secrets, upstream answers), the leader's feeders, the actors and the
   * recorder.
   */
  private static BuildSecretsReconciler.Parts assemble(EventSourceContext<Namespace> context, OperatorConfig config,
      Source source, SiteStore store, SyncMetrics metrics, Clock clock, String identity, ChangeFeed changeFeed,
      ChangeEventMetrics changeEventMetrics, CompletableFuture<Void> cachesSynced) {
    Naming naming = config.naming();
    KubernetesClient client = context.getClient();
    InformerEventSource<Secret, Namespace> secrets =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Secret.class, Namespace.class)
                .withName("build-secrets-secrets")
                .withFieldSelector(new FieldSelector(new FieldSelector.Field("metadata.name", naming.secretName())))
                .withSecondaryToPrimaryMapper(s -> Set.of(new ResourceID(s.getMetadata().getNamespace())))
                // Both directions are a name: without this mapper JOSDK keeps an index from every
                // Namespace to its Secrets (a map entry and a set per site, ~0.3 KB each).
                .withPrimaryToSecondaryMapper((Namespace ns) ->
                    Set.of(FleetCaches.secretIdIn(ns.getMetadata().getName(), naming)))
                .withItemStore(LeanItemStore.forSecrets())
                .withInformerListLimit(INFORMER_LIST_PAGE)
                .build(),
            context);
    FleetCaches fleet = new FleetCaches(context.getPrimaryCache(), secrets, naming);
    UpstreamAnswers answers = new UpstreamAnswers();
    DeletionGuard guard = new DeletionGuard(store, deletionLedger(config, client), fleet::census,
        config.deletionBudget(), config.deletionConfirmation(), clock);
    FleetChores chores = new FleetChores(guard, store, answers, config.retryCap(), clock);
    Function<FleetSweep.ModeSwitch, FleetSweep> sweep = null;
    if (config.changeDetection() == OperatorConfig.ChangeDetection.LIST && source instanceof BulkSource bulk) {
      sweep = modeSwitch -> new FleetSweep(bulk, naming, store, metrics, clock, fleet::namespaces, fleet::secret,
          answers, modeSwitch, () -> {
            guard.upkeep();
            return guard.pauseSummary();
          }, FleetSweep.chunkSize(config.reconcileThreads(), bulk.batchSize()), cachesSynced);
    }
    ChangeEventConsumer changeEvents = changeFeed == null ? null
        : new ChangeEventConsumer(changeFeed, new ChangeEventHandler(source, naming, store, changeEventMetrics, clock,
            fleet::namespace, fleet::secret, answers), changeEventMetrics, cachesSynced,
            ChangeEventConsumer.LONG_POLL_SECONDS);
    ChangeDetection detection = new ChangeDetection(source, naming, store, answers, fleet::namespaces,
        new DirectReads(source, DirectReads.WINDOW, clock), chores, sweep, changeEvents, config.resyncPeriod());
    SecretWriter writer = new SecretWriter(client, naming, new SecretWriter.WriteListener() {
      // Our own writes go into JOSDK's cache, so the next reconcile sees them before the watch
      // does; without their values, as the informer keeps them.
      @Override
      public void created(Secret written) {
        secrets.handleRecentResourceCreate(ResourceID.fromResource(written), LeanSecret.of(written));
      }

      @Override
      public void updated(Secret written, Secret previous) {
        secrets.handleRecentResourceUpdate(ResourceID.fromResource(written), LeanSecret.of(written), previous);
      }
    });
    NamespaceEvents events = new NamespaceEvents(client, identity, metrics::eventDropped);
    return new BuildSecretsReconciler.Parts(List.of(secrets, answers), answers, detection, writer,
        new DeletionAdmission(guard, store, source, naming, config.deletionConfirmation(), clock),
        new ReconcileRecorder(store, events, metrics, chores));
  }

  private static DeletionLedger deletionLedger(OperatorConfig config, KubernetesClient client) {
    OperatorConfig.DeletionLedgerLocation at = config.deletionLedger();
    return at == null ? DeletionLedger.inMemory() : new ConfigMapDeletionLedger(client, at.namespace(), at.name());
  }
}
