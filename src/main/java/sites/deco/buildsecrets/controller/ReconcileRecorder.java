package sites.deco.buildsecrets.controller;

import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.Plan;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SiteState;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.telemetry.SyncMetrics;

/**
 * Records what a reconcile concluded, everywhere it shows: the site store, an Event when the
 * outcome or its message changed, one log line, the metrics. Messages carry key names at most.
 */
final class ReconcileRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcileRecorder.class);
  /** A write failing this many times in a row is worth a Warning; fewer are transient. */
  static final int WRITE_FAILURES_BEFORE_WARNING = 3;

  private final SiteStore store;
  private final NamespaceEvents events;
  private final SyncMetrics metrics;
  private final FleetChores chores;

  ReconcileRecorder(SiteStore store, NamespaceEvents events, SyncMetrics metrics, FleetChores chores) {
    this.store = store;
    this.events = events;
    this.metrics = metrics;
    this.chores = chores;
  }

  /**
   * @param plan the plan as admitted and applied
   * @param recheck the key is read again after a timer, whatever the fingerprint says
   * @param next when the site reads again; null when only an event can change the answer
   */
  void finished(SiteRef site, Plan plan, SiteState.Result result, boolean recheck, Duration next, Instant now,
      long startNanos) {
    Outcome outcome = result.outcome();
    String ns = site.namespace();
    if (plan instanceof Plan.Update) {
      store.noteKeyRemoval(ns, false, now); // applied: no longer a candidate
    }
    if (outcome == Outcome.OPTED_OUT || (outcome == Outcome.DELETED && !site.optedIn())) {
      store.forget(ns);
      if (outcome == Outcome.DELETED && !site.terminating()) {
        events.record(ns, outcome, result.message()); // the opt-out's deletion: news, unlike the quiet "off"
      }
    } else {
      if (recheck) {
        store.invalidate(ns);
      }
      if (store.record(ns, result, now)) {
        events.record(ns, outcome, result.message());
      }
    }
    log(site, outcome, result.message());
    metrics.sync(outcome.metricLabel());
    if (outcome == Outcome.SOURCE_ERROR && next != null) {
      metrics.retryScheduled(next);
    }
    metrics.reconciled(Duration.ofNanos(System.nanoTime() - startNanos));
    if (outcome == Outcome.DELETION_PAUSED) {
      chores.pauseNoted();
    }
  }

  /** A write the API server refused or never answered; a Warning once it has failed a few times in a row. */
  void writeFailed(SiteRef site, String message, int failures, Instant now, long startNanos) {
    store.record(site.namespace(), new SiteState.Result(Outcome.WRITE_ERROR, message, failures, null, null, null), now);
    if (failures == WRITE_FAILURES_BEFORE_WARNING) {
      events.record(site.namespace(), Outcome.WRITE_ERROR, message);
    }
    LOG.warn("namespace {}: {}: {}", site.namespace(), Outcome.WRITE_ERROR.metricLabel(), message);
    metrics.sync(Outcome.WRITE_ERROR.metricLabel());
    metrics.reconciled(Duration.ofNanos(System.nanoTime() - startNanos));
  }

  /** Writes the Events still queued; called once event processing has stopped. */
  void flush() {
    events.close();
  }

  private static void log(SiteRef site, Outcome outcome, String message) {
    switch (outcome) {
      case SOURCE_ERROR, INVALID_PAYLOAD, NOT_OWNED, UNRECOGNISED_OPT_IN ->
          LOG.warn("namespace {}: {}: {}", site.namespace(), outcome.metricLabel(), message);
      // One summary line per sweep says it for the fleet: thousands of lines would bury it.
      case DELETION_PAUSED -> LOG.debug("namespace {}: {}: {}", site.namespace(), outcome.metricLabel(), message);
      case UNCHANGED, OPTED_OUT -> LOG.debug("namespace {}: {}", site.namespace(), message);
      default -> LOG.info("namespace {}: {}", site.namespace(), message);
    }
  }
}
