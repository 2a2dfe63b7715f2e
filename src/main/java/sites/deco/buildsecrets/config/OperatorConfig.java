package sites.deco.buildsecrets.config;

import java.time.Duration;

/**
 * Everything the operator is configured with, mapped once from flags and environment at start-up.
 *
 * @param naming names of namespaces, keys, Secret, annotations and labels
 * @param backend where upstream values come from
 * @param resyncPeriod how often each opted-in namespace is re-read; zero disables resync
 * @param deletionBudget how many budgeted removals (deletions for an opt-out or a missing key, keys
 *     removed upstream) the fleet may make within its window
 * @param deletionConfirmation how long an upstream key must stay missing before its Secret is deleted
 * @param awsCallTimeout upper bound for one Secrets Manager call, retries included
 * @param awsRequestsPerSecond token-bucket rate for all Secrets Manager calls
 * @param changeDetection how a resync finds changed keys
 * @param reconcileThreads concurrent reconciles
 * @param metricsBindAddress host:port for /metrics, or "0" to disable
 * @param healthBindAddress host:port for /healthz and /readyz, or "0" to disable
 * @param leaderElection null when leader election is off
 * @param changeEventsQueueUrl the SQS queue of upstream change events; null when off
 * @param deletionLedger where the deletion guard remembers its latch and recent deletions across
 *     restarts; null keeps them in memory only
 */
public record OperatorConfig(
    Naming naming,
    Backend backend,
    Duration resyncPeriod,
    DeletionBudget deletionBudget,
    Duration deletionConfirmation,
    Duration awsCallTimeout,
    double awsRequestsPerSecond,
    ChangeDetection changeDetection,
    int reconcileThreads,
    String metricsBindAddress,
    String healthBindAddress,
    LeaderElection leaderElection,
    String changeEventsQueueUrl,
    DeletionLedgerLocation deletionLedger) {

  /** Upstream backends; adding one is a new {@code Source} file plus a constant here. */
  public enum Backend {
    AWS,
    /** HashiCorp Vault's KV version 2 engine, with Kubernetes auth. */
    VAULT,
    DISABLED;

    public static Backend parse(String text) {
      return parseChoice(values(), text, "backend");
    }

    public String flagValue() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * {@code LIST}: one sweep per resync lists every key's current version and reads only new or
   * changed keys, in batches. {@code GET}: every namespace reads its own key each resync (the Go
   * operator's behaviour; the fallback when listing is denied).
   */
  public enum ChangeDetection {
    LIST,
    GET;

    public static ChangeDetection parse(String text) {
      return parseChoice(values(), text, "change detection");
    }
  }

  /**
   * Budgeted removals (a managed Secret deleted for an opt-out or a missing key, or keys removed
   * from it by an upstream update) may proceed while the candidates plus those sent within the last
   * {@code window} stay within max(minimum, percent% of managed Secrets). The window is a cap, not a
   * rate: it is independent of the resync period and long, so a slow trickle of removals stops at
   * the budget too.
   */
  public record DeletionBudget(int percent, int minimum, Duration window) {
    /** The default window: a day, long enough to span a working day of slow, scripted mistakes. */
    public static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
    /** The shortest window a deployment may configure: below it the budget would be a rate again. */
    public static final Duration MINIMUM_WINDOW = Duration.ofHours(1);

    public DeletionBudget {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException("deletion budget percent must be within 0..100, got " + percent);
      }
      if (minimum < 0) {
        throw new IllegalArgumentException("deletion budget minimum must be >= 0, got " + minimum);
      }
      if (window == null || window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("deletion budget window must be positive, got " + window);
      }
    }

    public DeletionBudget(int percent, int minimum) {
      this(percent, minimum, DEFAULT_WINDOW);
    }

    public int allowedMissing(int managedSecrets) {
      return (int) Math.max(minimum, (long) managedSecrets * percent / 100);
    }
  }

  public record LeaderElection(String leaseName, String leaseNamespace) {}

  /** The ConfigMap that holds the deletion guard's memory. */
  public record DeletionLedgerLocation(String namespace, String name) {}

  public OperatorConfig withResyncPeriod(Duration period) {
    return new OperatorConfig(naming, backend, period, deletionBudget, deletionConfirmation, awsCallTimeout, awsRequestsPerSecond,
        changeDetection, reconcileThreads, metricsBindAddress, healthBindAddress, leaderElection, changeEventsQueueUrl, deletionLedger);
  }

  public OperatorConfig withDeletionBudget(DeletionBudget budget) {
    return new OperatorConfig(naming, backend, resyncPeriod, budget, deletionConfirmation, awsCallTimeout, awsRequestsPerSecond,
        changeDetection, reconcileThreads, metricsBindAddress, healthBindAddress, leaderElection, changeEventsQueueUrl, deletionLedger);
  }

  public OperatorConfig withChangeDetection(ChangeDetection mode) {
    return new OperatorConfig(naming, backend, resyncPeriod, deletionBudget, deletionConfirmation, awsCallTimeout, awsRequestsPerSecond,
        mode, reconcileThreads, metricsBindAddress, healthBindAddress, leaderElection, changeEventsQueueUrl, deletionLedger);
  }

  public OperatorConfig withLeaderElection(LeaderElection election) {
    return new OperatorConfig(naming, backend, resyncPeriod, deletionBudget, deletionConfirmation, awsCallTimeout, awsRequestsPerSecond,
        changeDetection, reconcileThreads, metricsBindAddress, healthBindAddress, election, changeEventsQueueUrl, deletionLedger);
  }

  public OperatorConfig withChangeEventsQueueUrl(String url) {
    return new OperatorConfig(naming, backend, resyncPeriod, deletionBudget, deletionConfirmation, awsCallTimeout, awsRequestsPerSecond,
        changeDetection, reconcileThreads, metricsBindAddress, healthBindAddress, leaderElection, url, deletionLedger);
  }

  public OperatorConfig withDeletionLedger(DeletionLedgerLocation ledger) {
    return new OperatorConfig(naming, backend, resyncPeriod, deletionBudget, deletionConfirmation, awsCallTimeout, awsRequestsPerSecond,
        changeDetection, reconcileThreads, metricsBindAddress, healthBindAddress, leaderElection, changeEventsQueueUrl, ledger);
  }

  /** Case-insensitive choice among an enum's constants; the error lists the supported values. */
  static <E extends Enum<E>> E parseChoice(E[] choices, String text, String what) {
    String wanted = text == null ? "" : text.trim();
    for (E c : choices) {
      if (c.name().equalsIgnoreCase(wanted)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown " + what + " '" + text + "': supported values are "
        + java.util.Arrays.stream(choices).map(c -> c.name().toLowerCase(java.util.Locale.ROOT))
            .collect(java.util.stream.Collectors.joining(", ")));
  }

  public boolean resyncEnabled() {
    return !resyncPeriod.isZero();
  }

  /** The longest wait between retries of a failing upstream read. */
  public Duration retryCap() {
    return resyncEnabled() ? resyncPeriod : Duration.ofMinutes(15);
  }
}
