package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.client.KubernetesClient;
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
  public record Wired(Operator operator, BuildSecretsReconciler reconciler, boolean leaderElection) {
    public void start() {
      if (!leaderElection) {
        reconciler.startSweeping(); // the first listing overlaps the informers' start-up
      }
      operator.start();
      reconciler.cachesSynced();
    }

    /** Stops the sweep (and waits for it), then event processing, then writes the Events still queued. */
    public void stop() {
      reconciler.stopSweeping();
      operator.stop();
      reconciler.flushEvents();
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
    BuildSecretsReconciler reconciler = new BuildSecretsReconciler(config, source, store, metrics, clock,
        identity, changeFeed, changeEventMetrics);
    if (lease != null) {
      lease.whileLeading(() -> {
        metrics.leading(true);
        reconciler.startSweeping();
      }, () -> {
        metrics.leading(false);
        reconciler.stopSweeping();
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
    NamespaceEventFilter filter = reconciler.namespaceFilter();
    operator.register(
        reconciler,
        o -> o.withOnAddFilter(filter.onAdd())
            .withOnUpdateFilter(filter.onUpdate())
            .withItemStore(LeanItemStore.forNamespaces())
            .withInformerListLimit(INFORMER_LIST_PAGE)
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
            .filter(e -> e.getKey().state().equals("synced"))
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
    return new Wired(operator, reconciler, config.leaderElection() != null);
  }

}
