package sites.deco.buildsecrets.ops;

import io.javaoperatorsdk.operator.RuntimeInfo;
import java.util.function.Supplier;

/** Probes read from JOSDK's runtime info. A standby replica (not leader) is still ready. */
final class Health {
  private Health() {}

  /** Live unless an informer has died: then a restart is the cure. */
  static OpsServer.Check liveness(RuntimeInfo runtime) {
    // JOSDK answers per controller, with an empty map for a controller whose informers are fine.
    var unhealthy = runtime.unhealthyInformerWrappingEventSourceHealthIndicator().values().stream()
        .flatMap(byName -> byName.keySet().stream())
        .sorted()
        .toList();
    return unhealthy.isEmpty()
        ? new OpsServer.Check(true, "ok")
        : new OpsServer.Check(false, "unhealthy informers: " + unhealthy);
  }

  /**
   * Ready once started with every informer synced and healthy, and change detection working: a
   * listing failing again and again shows here, not only in the log.
   *
   * @param sweepProblem why change detection is unhealthy, or null
   */
  static OpsServer.Check readiness(RuntimeInfo runtime, Supplier<String> sweepProblem) {
    if (!runtime.isStarted()) {
      return new OpsServer.Check(false, "starting: informers not yet synced");
    }
    if (!runtime.allEventSourcesAreHealthy()) {
      return new OpsServer.Check(false, "unhealthy event sources: " + runtime.unhealthyEventSources().values().stream()
          .flatMap(byName -> byName.keySet().stream()).sorted().toList());
    }
    String problem = sweepProblem.get();
    return problem == null ? new OpsServer.Check(true, "ok") : new OpsServer.Check(false, "change detection: " + problem);
  }
}
