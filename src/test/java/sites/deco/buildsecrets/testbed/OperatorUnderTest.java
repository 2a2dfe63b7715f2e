package sites.deco.buildsecrets.testbed;

import java.time.Clock;
import java.time.Duration;
import java.util.function.UnaryOperator;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.config.OperatorConfig;
import sites.deco.buildsecrets.controller.OperatorWiring;
import sites.deco.buildsecrets.telemetry.SyncMetrics;
import sites.deco.buildsecrets.source.aws.AwsSecretsManagerSource;
import sites.deco.buildsecrets.sync.SiteStore;

/** The operator, in-process, against the test bed's API server and moto, with a counting source. */
public final class OperatorUnderTest implements AutoCloseable {
  public final CountingSource source;
  public final SiteStore store = new SiteStore();
  public final SyncMetrics metrics = SyncMetrics.noop();
  private final OperatorWiring.Wired operator;

  /** Short, so the tests of lone removals stay quick; the production default is 60s. */
  public static final Duration CONFIRMATION = Duration.ofSeconds(2);

  public static OperatorConfig defaults(Naming naming) {
    return new OperatorConfig(
        naming,
        OperatorConfig.Backend.AWS,
        Duration.ofMinutes(15),
        new OperatorConfig.DeletionBudget(10, 5),
        CONFIRMATION,
        Duration.ofSeconds(5),
        200,
        OperatorConfig.ChangeDetection.LIST,
        4,
        "0",
        "0",
        null,
        null,
        null); // the guard's memory in the process only, unless a test asks for a ledger
  }

  public static OperatorUnderTest start(TestBed bed, Naming naming) {
    return start(bed, naming, UnaryOperator.identity());
  }

  public static OperatorUnderTest start(TestBed bed, Naming naming, UnaryOperator<OperatorConfig> tweak) {
    return start(bed, naming, tweak, source -> {});
  }

  /** Starts with a configuration tweak and a source prepared before the operator starts. */
  public static OperatorUnderTest start(TestBed bed, Naming naming, UnaryOperator<OperatorConfig> tweak,
      java.util.function.Consumer<CountingSource> prepare) {
    return new OperatorUnderTest(bed, bed.admin(), tweak.apply(defaults(naming)), prepare, Clock.systemUTC());
  }

  /** Starts with a configuration tweak, its decisions reading the time from {@code clock}. */
  public static OperatorUnderTest start(TestBed bed, Naming naming, UnaryOperator<OperatorConfig> tweak, Clock clock) {
    return new OperatorUnderTest(bed, bed.admin(), tweak.apply(defaults(naming)), source -> {}, clock);
  }

  /**
   * Starts acting as {@code client}'s identity (e.g. a minted ServiceAccount cert), with a deletion
   * budget large enough for a test plan's several deletions: the plan is about who may write.
   */
  public static OperatorUnderTest startAs(TestBed bed, io.fabric8.kubernetes.client.KubernetesClient client, Naming naming) {
    return startAs(bed, client, naming, UnaryOperator.identity());
  }

  /** The same, with a configuration tweak applied last (e.g. a small budget, a ledger). */
  public static OperatorUnderTest startAs(TestBed bed, io.fabric8.kubernetes.client.KubernetesClient client, Naming naming,
      UnaryOperator<OperatorConfig> tweak) {
    OperatorConfig config = defaults(naming).withDeletionBudget(new OperatorConfig.DeletionBudget(10, 50));
    return new OperatorUnderTest(bed, client, tweak.apply(config), source -> {}, Clock.systemUTC());
  }

  private OperatorUnderTest(TestBed bed, io.fabric8.kubernetes.client.KubernetesClient client, OperatorConfig config,
      java.util.function.Consumer<CountingSource> prepare, Clock clock) {
    source = new CountingSource(new AwsSecretsManagerSource(bed.secretsManager()));
    prepare.accept(source);
    operator = OperatorWiring.build(config, client, source, store, metrics, "test-operator", null, null, null, clock);
    operator.start();
  }

  @Override
  public void close() {
    operator.stop();
  }
}
