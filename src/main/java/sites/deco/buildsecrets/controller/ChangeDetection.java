package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SiteStore;

/**
 * How upstream changes are found, and the leader's feeders of {@link UpstreamAnswers}: in {@code
 * list} mode the sweep is the resync and per-namespace timers only back off and confirm; in {@code
 * get} mode (or while listing is denied) each opted-in namespace reads its own key on its own
 * timer. Change events, when a queue is configured, feed answers beside either. Started when this
 * replica leads, with the fleet chores.
 */
final class ChangeDetection {
  private final Source source;
  private final Naming naming;
  private final SiteStore store;
  private final UpstreamAnswers answers;
  private final Supplier<Stream<Namespace>> namespaces;
  private final DirectReads directReads;
  private final FleetChores chores;
  /** The list-mode sweep, kept while fallen back to per-key reads so it can take over again; null in get mode. */
  private final FleetSweep listSweep;
  /** Null when no queue is configured. */
  private final ChangeEventConsumer changeEvents;
  private final Duration resyncPeriod;
  /** Null in get mode, or while fallen back to it. */
  private volatile FleetSweep sweep;

  /**
   * @param sweep builds the list-mode sweep from the mode switch it calls; null in get mode
   * @param changeEvents null for none
   */
  ChangeDetection(Source source, Naming naming, SiteStore store, UpstreamAnswers answers,
      Supplier<Stream<Namespace>> namespaces, DirectReads directReads, FleetChores chores,
      Function<FleetSweep.ModeSwitch, FleetSweep> sweep, ChangeEventConsumer changeEvents,
      Duration resyncPeriod) {
    this.source = source;
    this.naming = naming;
    this.store = store;
    this.answers = answers;
    this.namespaces = namespaces;
    this.directReads = directReads;
    this.chores = chores;
    this.listSweep = sweep == null ? null : sweep.apply(new FleetSweep.ModeSwitch(this::fallBackToGet, this::backToList));
    this.changeEvents = changeEvents;
    this.resyncPeriod = resyncPeriod;
    this.sweep = listSweep;
    answers.reportHealthFrom(this::problem);
  }

  /**
   * Starts the feeders and the fleet chores; called once this replica processes events (leader,
   * or no election). The first listing may start before the caches are synced.
   */
  void start() {
    if (listSweep != null) {
      listSweep.start(resyncPeriod);
    }
    if (changeEvents != null) {
      changeEvents.start(); // waits for the caches before it classifies anything
    }
    chores.start();
  }

  /**
   * Stops them and waits for the sweep, so nothing uses the source or the client after this; the
   * answers still waiting are dropped (the next term reads afresh).
   */
  void stop() {
    chores.stop();
    if (changeEvents != null) {
      changeEvents.stop();
    }
    if (listSweep != null) {
      listSweep.stop();
    }
    answers.dropAll();
  }

  /** Sweep, then change events: null when fine or not sweeping. */
  String problem() {
    String sweeping = listSweep == null ? null : listSweep.problem();
    return sweeping != null || changeEvents == null ? sweeping : changeEvents.problem();
  }

  /** The sweep is the resync: a namespace needs a timer only to back off or confirm. */
  boolean sweeping() {
    return sweep != null;
  }

  /** Whether the namespace's reconcile should leave the read to the sweep (see {@link FleetSweep#deferToSweep}). */
  boolean deferToSweep(String namespace) {
    FleetSweep s = sweep;
    return s != null && s.deferToSweep(namespace);
  }

  /**
   * A reconcile's own read. In list mode it is coalesced with the ones other reconciles ask for at
   * the same moment (batch reads are part of that mode's IAM policy); in get mode, or fallen back
   * to it, each key is read alone. The reconcile's executor slot goes to the next reconcile meanwhile.
   */
  Upstream read(SiteRef site) {
    String key = site.upstreamKey();
    return ReconcileExecutor.withoutSlot(() -> {
      if (sweep == null) {
        return source.readOrUnreachable(key);
      }
      try {
        return directReads.read(key);
      } catch (SourceException e) {
        return new Upstream.Unreachable(e.kind(), e.detail());
      }
    });
  }

  /** Listing was denied: every opted-in namespace reads its own key on its own timer until listing works again. */
  private void fallBackToGet() {
    sweep = null;
    namespaces.get()
        .map(n -> SiteRef.from(n, naming))
        .flatMap(Optional::stream)
        .filter(SiteRef::optedIn)
        .forEach(site -> {
          store.invalidate(site.namespace());
          answers.trigger(site.namespace());
        });
  }

  /** A listing succeeded again (the IAM policy was fixed): the sweep is the resync once more. */
  private void backToList() {
    sweep = listSweep;
  }
}
