package sites.deco.buildsecrets.ops;

import sites.deco.buildsecrets.telemetry.ChangeEventMetrics;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.RuntimeInfo;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.controller.LeaderLease;
import sites.deco.buildsecrets.controller.OperatorWiring;
import sites.deco.buildsecrets.ops.cli.AdoptCommand;
import sites.deco.buildsecrets.ops.cli.ApproveDeletionsCommand;
import sites.deco.buildsecrets.ops.cli.ChangeEventsOptions;
import sites.deco.buildsecrets.ops.cli.DoctorCommand;
import sites.deco.buildsecrets.ops.cli.EnvCommand;
import sites.deco.buildsecrets.ops.cli.DeletionLedgerOptions;
import sites.deco.buildsecrets.ops.cli.LeaseOptions;
import sites.deco.buildsecrets.ops.cli.NamingOptions;
import sites.deco.buildsecrets.ops.cli.ReleaseCommand;
import sites.deco.buildsecrets.ops.cli.SourceOptions;
import sites.deco.buildsecrets.ops.cli.StatusCommand;
import sites.deco.buildsecrets.ops.cli.SyncCommand;
import sites.deco.buildsecrets.source.ChangeFeed;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.SiteStore;

/**
 * The command line. Every flag has an environment fallback: flag, then env, then default, as in
 * the Go operator.
 */
@Command(
    name = "build-secrets-operator",
    mixinStandardHelpOptions = true,
    version = "build-secrets-operator 0.1.0",
    sortOptions = false,
    usageHelpWidth = 120,
    subcommands = {StatusCommand.class, SyncCommand.class, DoctorCommand.class, ApproveDeletionsCommand.class,
        AdoptCommand.class, ReleaseCommand.class, EnvCommand.class},
    description = "Keeps the build-secrets Secret of every opted-in sites-<site> namespace in sync with "
        + "AWS Secrets Manager or HashiCorp Vault's KV version 2 engine (--build-secrets-backend). Runs against the current kubeconfig context, or in-cluster.")
public final class Main implements Callable<Integer> {

  @Option(names = "--build-secrets-resync-period", defaultValue = "${env:BUILD_SECRETS_RESYNC_PERIOD:-15m}",
      description = "How often change detection runs: in list mode one listing finds the changed keys; in get "
          + "mode every opted-in namespace re-reads its key, ±10%% jitter. 0 disables "
          + "(env BUILD_SECRETS_RESYNC_PERIOD, default 15m).")
  String resyncPeriod;

  @Mixin NamingOptions naming;

  @Mixin SourceOptions upstream;

  @Mixin ChangeEventsOptions changeEvents;

  @Option(names = "--deletion-budget-percent", defaultValue = "${env:BUILD_SECRETS_DELETION_BUDGET_PERCENT:-10}",
      description = "Deletions of managed Secrets (opt-out, upstream missing; not a namespace's own deletion) and "
          + "updates that remove keys pause when they would exceed this %% of managed Secrets within the budget window "
          + "(env BUILD_SECRETS_DELETION_BUDGET_PERCENT, default 10).")
  int deletionBudgetPercent;

  @Option(names = "--deletion-budget-min", defaultValue = "${env:BUILD_SECRETS_DELETION_BUDGET_MIN:-5}",
      description = "...but never below this many (env BUILD_SECRETS_DELETION_BUDGET_MIN, default 5).")
  int deletionBudgetMin;

  @Option(names = "--deletion-budget-window", defaultValue = "${env:BUILD_SECRETS_DELETION_BUDGET_WINDOW:-24h}",
      description = "How long a sent deletion or key removal counts against the budget; at least 1h, independent of "
          + "the resync period, so a slow trickle stops at the budget too "
          + "(env BUILD_SECRETS_DELETION_BUDGET_WINDOW, default 24h).")
  String deletionBudgetWindow;

  @Option(names = "--deletion-confirmation-delay",
      defaultValue = "${env:BUILD_SECRETS_DELETION_CONFIRMATION_DELAY:-60s}",
      description = "An upstream key must stay missing this long, and other keys be read present, before its Secret "
          + "is deleted (env BUILD_SECRETS_DELETION_CONFIRMATION_DELAY, default 60s).")
  String deletionConfirmationDelay;

  @Option(names = "--change-detection", defaultValue = "${env:BUILD_SECRETS_CHANGE_DETECTION:-list}",
      description = "list: one sweep per resync lists versions and batch-reads only changed keys; get: every "
          + "namespace reads its key each resync. list falls back to get when listing is denied "
          + "(env BUILD_SECRETS_CHANGE_DETECTION, default list).")
  String changeDetection;

  @Option(names = "--reconcile-threads", defaultValue = "${env:BUILD_SECRETS_RECONCILE_THREADS:-16}",
      description = "Reconciles running at once, each on a virtual thread; one waiting for a Secrets Manager "
          + "read lends its slot (env BUILD_SECRETS_RECONCILE_THREADS, default 16).")
  int reconcileThreads;

  @Option(names = "--metrics-bind-address", defaultValue = "${env:METRICS_BIND_ADDRESS:-:8080}",
      description = "host:port serving /metrics; 0 disables (env METRICS_BIND_ADDRESS, default :8080).")
  String metricsBindAddress;

  @Option(names = "--health-probe-bind-address", defaultValue = "${env:HEALTH_PROBE_BIND_ADDRESS:-:8081}",
      description = "host:port serving /healthz and /readyz; 0 disables (env HEALTH_PROBE_BIND_ADDRESS, default :8081).")
  String healthBindAddress;

  @Option(names = "--leader-elect", defaultValue = "${env:LEADER_ELECT:-false}", arity = "0..1", fallbackValue = "true",
      description = "Elect a leader through a Lease, so only one replica writes (env LEADER_ELECT, default false).")
  boolean leaderElect;

  @Mixin LeaseOptions leaseOptions;

  @Mixin DeletionLedgerOptions deletionLedger;

  @Option(names = "--log-format", defaultValue = "${env:LOG_FORMAT:-json}",
      description = "json (one JSON object per line) or console (env LOG_FORMAT, default json).")
  String logFormat;

  @Option(names = "--log-level", defaultValue = "${env:LOG_LEVEL:-info}",
      description = "error, warn, info, debug or trace (env LOG_LEVEL, default info).")
  String logLevel;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with its one-line error reporting; exit 2 on configuration errors. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setParameterExceptionHandler((ex, args) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println("error: " + ex.getMessage() + " (see --help)");
      err.flush();
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      if (ex instanceof IllegalArgumentException) {
        err.println("error: " + ex.getMessage());
        err.flush();
        return 2;
      }
      throw ex;
    });
    return cl;
  }

  /** Maps flags into the immutable configuration; throws IllegalArgumentException with one clear line. */
  OperatorConfig toConfig() {
    Duration resync = parseDuration("--build-secrets-resync-period", resyncPeriod);
    if (reconcileThreads < 1) {
      throw new IllegalArgumentException("--reconcile-threads must be at least 1");
    }
    OperatorConfig.LeaderElection election = leaderElect
        ? new OperatorConfig.LeaderElection(leaseOptions.name(), leaseOptions.namespace())
        : null;
    return new OperatorConfig(
        naming.naming(), upstream.backend(), resync,
        new OperatorConfig.DeletionBudget(deletionBudgetPercent, deletionBudgetMin, budgetWindow()),
        parseDuration("--deletion-confirmation-delay", deletionConfirmationDelay),
        upstream.callTimeout(), upstream.requestsPerSecond(), changeDetection(upstream.backend()),
        reconcileThreads, metricsBindAddress, healthBindAddress, election, changeEvents.queueUrl(),
        deletionLedger.location());
  }

  /** Vault has no listing of versions worth its cost: each namespace reads its key (get mode). */
  private OperatorConfig.ChangeDetection changeDetection(OperatorConfig.Backend backend) {
    OperatorConfig.ChangeDetection mode = OperatorConfig.ChangeDetection.parse(changeDetection);
    if (backend != OperatorConfig.Backend.VAULT) {
      return mode;
    }
    if (changeEvents.queueUrl() != null) {
      throw new IllegalArgumentException("change events (--change-events-queue-url) work with the aws backend only");
    }
    return OperatorConfig.ChangeDetection.GET;
  }

  private Duration budgetWindow() {
    Duration window = parseDuration("--deletion-budget-window", deletionBudgetWindow);
    if (window.compareTo(OperatorConfig.DeletionBudget.MINIMUM_WINDOW) < 0) {
      throw new IllegalArgumentException("--deletion-budget-window must be at least "
          + GoDuration.format(OperatorConfig.DeletionBudget.MINIMUM_WINDOW) + ", got " + deletionBudgetWindow
          + ": a shorter window makes the budget a rate that a slow trickle of deletions never exceeds");
    }
    return window;
  }

  private static Duration parseDuration(String flag, String value) {
    try {
      return GoDuration.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    LogSetup.Format format = switch (logFormat.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "json" -> LogSetup.Format.JSON;
      case "console" -> LogSetup.Format.CONSOLE;
      default -> throw new IllegalArgumentException("--log-format: '" + logFormat + "' is not json or console");
    };
    LogSetup.apply(format, logLevel);
    OperatorConfig config = toConfig();
    return run(config);
  }

  private int run(OperatorConfig config) throws Exception {
    Logger log = LoggerFactory.getLogger(Main.class);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    SyncMetrics metrics = new SyncMetrics(registry,
        java.util.Arrays.stream(Outcome.values()).map(Outcome::metricLabel).distinct().toList());
    String identity = identity();

    // fabric8 would retry a failing write 10 times with doubling waits (~100 s) inside one reconcile;
    // the reconciler's own retry (2 s doubling, counted, a Warning once it persists) is the visible
    // one. fabric8's own variable KUBERNETES_REQUEST_RETRY_BACKOFFLIMIT still overrides it.
    Config kubeConfig = Config.autoConfigure(null);
    if (System.getenv("KUBERNETES_REQUEST_RETRY_BACKOFFLIMIT") == null) {
      kubeConfig.setRequestRetryBackoffLimit(2);
    }
    KubernetesClient client = KubernetesClients.operatorClient(kubeConfig);
    KubernetesClients.connectEarly(client);
    Source source = switch (config.backend()) {
      case AWS, VAULT -> upstream.open(metrics);
      case DISABLED -> null;
    };
    if (source != null) {
      metrics.gauge("backend", "The upstream backend this operator reads (always 1), by name",
          java.util.Map.of("backend", source.name()), () -> 1);
    }
    // A disabled backend registers no controller (JOSDK refuses to start without one), so the
    // process only serves its probes and metrics: it can run beside the Go operator harmlessly.
    LeaderLease lease = config.leaderElection() == null ? null : new LeaderLease(config.leaderElection(), identity);
    // Change events: opened only with a queue URL and an enabled backend.
    ChangeEventMetrics eventMetrics = source == null || config.changeEventsQueueUrl() == null
        ? null : new ChangeEventMetrics(registry);
    ChangeFeed feed = eventMetrics == null ? null : changeEvents.open(config.awsCallTimeout(), eventMetrics::request);
    OperatorWiring.Wired operator = source == null
        ? null
        : OperatorWiring.build(config, client, source, new SiteStore(), metrics, identity, lease, feed, eventMetrics,
            java.time.Clock.systemUTC());
    if (operator != null && config.deletionLedger() == null) {
      log.warn("deletion ledger: none (--deletion-ledger=none): a restart forgets a tripped deletion guard and the "
          + "deletions it sent, so leftovers of a partly undone mistake may be deleted within a fresh budget");
    } else if (operator != null) {
      log.info("deletion ledger: ConfigMap {}/{} (read before the first budgeted deletion, written before each)",
          config.deletionLedger().namespace(), config.deletionLedger().name());
    }
    if (feed != null) {
      log.info("change events: the leader reads the queue {} (long polling); the sweep stays the safety net",
          config.changeEventsQueueUrl());
    }

    OpsServer metricsServer = OpsServer.start("metrics", config.metricsBindAddress());
    if (metricsServer != null) {
      metricsServer.text("/metrics", "text/plain; version=0.0.4; charset=utf-8", registry::scrape);
    }
    OpsServer healthServer = OpsServer.start("health", config.healthBindAddress());
    if (healthServer != null) {
      RuntimeInfo runtime = operator == null ? null : operator.operator().getRuntimeInfo();
      OpsServer.Check idle = new OpsServer.Check(true, "ok");
      healthServer
          .probe("/healthz", () -> runtime == null ? idle : Health.liveness(runtime))
          .probe("/readyz", () -> runtime == null ? idle : Health.readiness(runtime, operator::changeDetectionProblem));
    }

    CountDownLatch stopped = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable stop = () -> {
      if (!stopping.compareAndSet(false, true)) {
        // The SIGTERM handler and the shutdown hook (or a second SIGTERM) both ask: the first one
        // stops, the others wait for it, so nothing exits half-way through.
        awaitQuietly(stopped);
        return;
      }
      log.info("shutting down: waiting up to {} for in-flight reconciles",
          GoDuration.format(OperatorWiring.TERMINATION_TIMEOUT));
      try {
        if (lease != null) lease.stopping();
        if (operator != null) operator.stop();
        if (lease != null) lease.release(client);
      } catch (RuntimeException e) {
        log.warn("operator stop failed: {}", e.getClass().getSimpleName());
      }
      if (metricsServer != null) metricsServer.close();
      if (healthServer != null) healthServer.close();
      if (source != null) source.close();
      if (feed != null) feed.close();
      client.close();
      log.info("stopped cleanly");
      stopped.countDown();
    };
    // JOSDK 5.2.3's installShutdownHook ignores its timeout and installs nothing with leader
    // election on: stop the operator ourselves, so in-flight reconciles finish and the lease is released.
    // The hook covers every other way out (System.exit on a lost lease, SIGINT, SIGHUP).
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "shutdown"));
    // SIGTERM is how Kubernetes asks a pod to stop: a clean stop exits 0, not 143 (128 + SIGTERM).
    ShutdownSignal.onTerm(() -> {
      stop.run();
      System.exit(0);
    });

    if (operator == null) {
      log.warn("backend is disabled: the build-secrets controller is not registered and nothing is synced");
    } else {
      log.info("starting as {} with backend {} against {}", identity, config.backend().flagValue(), client.getMasterUrl());
      HeapSettle.start();
      operator.start();
      log.info("operator started");
    }
    stopped.await();
    return 0;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String identity() {
    String pod = System.getenv("POD_NAME");
    if (pod != null && !pod.isBlank()) {
      return pod;
    }
    try {
      return InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
    } catch (java.net.UnknownHostException e) {
      return "build-secrets-operator-" + ProcessHandle.current().pid();
    }
  }
}
