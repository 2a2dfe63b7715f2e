package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/** Flags, env fallbacks and configuration errors, through the real jar. */
class CommandLineE2EIT {
  static TestBed bed;

  @BeforeAll
  static void start() {
    bed = TestBed.get();
  }

  private static OperatorProcess run(Map<String, String> env, String... flags) {
    return OperatorProcess.start(bed, "cli", env, flags);
  }

  @Test
  void helpDocumentsEveryFlagWithItsEnvVariableAndDefault() {
    OperatorProcess p = run(Map.of(), "--help");
    assertThat(p.awaitExit(Duration.ofSeconds(30))).isZero();
    assertThat(p.output())
        .contains("--build-secrets-backend", "BUILD_SECRETS_BACKEND", "default aws")
        .contains("--build-secrets-resync-period", "BUILD_SECRETS_RESYNC_PERIOD", "default 15m")
        .contains("--deletion-budget-percent", "--deletion-budget-min")
        .contains("--metrics-bind-address", "--health-probe-bind-address", "--leader-elect")
        .contains("--leader-election-id", "LEADER_ELECTION_ID");
    // Help wraps long words at dots; the default lease name must be there once lines are joined.
    assertThat(p.output().replaceAll("\\s*\\n\\s*", "")).contains("default build-secrets.deco.sites");
  }

  @Test
  void anUnknownBackendExitsNonZeroListingTheSupportedValues() {
    OperatorProcess p = run(Map.of("BUILD_SECRETS_BACKEND", "gcp"));
    assertThat(p.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
    assertThat(p.output().strip()).isEqualTo("error: unknown backend 'gcp': supported values are aws, vault, disabled");
  }

  @Test
  void anUnparsableResyncPeriodIsAStartUpErrorInOneLine() {
    OperatorProcess p = run(Map.of(), "--build-secrets-resync-period=15 minutes");
    assertThat(p.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
    assertThat(p.output().strip()).startsWith("error: --build-secrets-resync-period: '15 minutes' is not a duration")
        .doesNotContain("\n");
  }

  @Test
  void aFlagWinsOverItsEnvVariable() {
    // The env says an invalid period; the flag's valid value must win, so the operator starts.
    try (OperatorProcess p = run(Map.of("BUILD_SECRETS_RESYNC_PERIOD", "bogus"),
        "--build-secrets-resync-period=0", "--log-format=console")) {
      p.awaitReady();
      await().atMost(Duration.ofSeconds(20)).until(() -> p.output().contains("resync is disabled"));
    }
  }

  @Test
  void theDisabledBackendRegistersNoControllerAndSyncsNothing() {
    Sites sites = new Sites(bed, Naming.DEFAULTS);
    String site = Sites.fresh("disabled");
    sites.putUpstream(site, "{\"A\":\"1\"}");
    sites.createNamespace(site, "enabled");
    try (OperatorProcess p = run(Map.of("BUILD_SECRETS_BACKEND", "disabled"), "--log-format=console")) {
      p.awaitReady();
      await().atMost(Duration.ofSeconds(10)).until(() -> p.output().contains("controller is not registered"));
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> sites.secret(site) == null);
    }
    sites.annotate(site, "deco.sites/build-secrets-managed", null);
  }
}
