package sites.deco.buildsecrets.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sites.deco.buildsecrets.testbed.FaultProxy;
import sites.deco.buildsecrets.testbed.FaultProxy.Mode;
import sites.deco.buildsecrets.testbed.ReliabilityRecord;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * Secrets Manager failing, on the real test bed: the built jar runs as a process whose only route
 * to moto is a {@link FaultProxy}. With every request failing one way, four namespaces are driven
 * through the cases that matter: one left alone (only the sweep looks at it), one whose upstream
 * value changes, one whose upstream key is deleted, and one force-synced with nothing changed.
 * While the faults last no managed Secret may be written or deleted, each read namespace gets a
 * Warning naming the failure, and the metrics show the errors and the growing backoff. Once the
 * proxy heals, everything must be current within one resync period. A partial fault (every second
 * request) must be absorbed by retries, each Secret going straight to its new state.
 */
class FaultInjectionE2EIT {
  private static final Duration RESYNC = Duration.ofSeconds(10);
  /** The operator's default. */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  /** For hangs only, so each read is cut sooner and the test stays short. */
  private static final Duration SHORT_CALL_TIMEOUT = Duration.ofSeconds(3);
  /** One resync (+10% jitter), then the deleted key's confirmation delay (2s in e2e) and slack. */
  private static final Duration CONVERGE = RESYNC.plus(RESYNC.dividedBy(10)).plusSeconds(2 + 5);
  private static final Duration WITHIN = Duration.ofSeconds(40);
  /** The operator's first retry is after 2 s (±10%): a recorded delay above 2 × 2 s × 0.9 means it doubled. */
  private static final double DOUBLED_BACKOFF_SECONDS = 3.6;
  private static final String CANARY = "CANARY-" + UUID.randomUUID();
  private static final String AREA = "Secrets Manager faults";
  private static final String M = "deco_operator_buildsecrets_";

  /**
   * One way of failing.
   *
   * @param named how the Warning names the failure: its message starts with "upstream read failed, " and this
   * @param outcome the {@code source_requests_total} outcome label it is counted under
   * @param callTimeout {@code --aws-call-timeout}. Not shorter for throttling: at 3 s the adaptive
   *     retry mode's client-side rate limiting, once throttled, held calls past the timeout for
   *     longer than a resync after Secrets Manager had recovered.
   */
  record Case(Mode mode, String trial, String named, String outcome, Duration callTimeout) {
    @Override
    public String toString() {
      return trial;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case(Mode.HTTP_500, "HTTP 500 on every request", "service unavailable: InternalServiceError (HTTP 500)",
            "unavailable", CALL_TIMEOUT),
        // Then "ThrottlingException (HTTP 400)", possibly "..., retries cut short by the call timeout",
        // or "held back by client-side rate limiting": the adaptive retry mode may wait past the timeout.
        new Case(Mode.THROTTLING, "ThrottlingException (HTTP 400) on every request", "throttled: ", "throttled",
            CALL_TIMEOUT),
        new Case(Mode.ACCESS_DENIED, "AccessDeniedException (HTTP 400) on every request",
            "access denied: AccessDeniedException (HTTP 400)", "access_denied", CALL_TIMEOUT),
        new Case(Mode.HANG, "every request hangs past the call timeout",
            "timed out: no answer within the call timeout", "timeout", SHORT_CALL_TIMEOUT),
        new Case(Mode.DROP, "connection closed without a response on every request",
            "unreachable: no HTTP response (SocketException)", "unreachable", CALL_TIMEOUT));
  }

  static String value(String label) {
    return label + "-" + CANARY;
  }

  /** Different keys in each version, so a mix of the two would show. */
  static Map<String, String> v1(String site) {
    return Map.of("TOKEN", value(site + "-1"), "SHARED", "one", "ONLY_IN_V1", "x");
  }

  static Map<String, String> v2(String site) {
    return Map.of("TOKEN", value(site + "-2"), "SHARED", "two", "ONLY_IN_V2", "y");
  }

  static String json(Map<String, String> data) {
    StringBuilder out = new StringBuilder("{");
    data.forEach((k, v) -> out.append(out.length() > 1 ? "," : "").append('"').append(k).append("\":\"").append(v)
        .append('"'));
    return out.append('}').toString();
  }

  /** A write the API server saw on one of this test's Secrets. */
  record Seen(Watcher.Action action, String namespace, Map<String, String> data) {}

  /**
   * Four synced namespaces behind one proxy and one operator: one left alone (only the sweep looks
   * at it), one whose upstream value changes, one whose upstream key is deleted, and one
   * force-synced with nothing changed. Every write to their Secrets is recorded from the moment
   * all four are synced.
   */
  static final class Fleet implements AutoCloseable {
    final Sites sites;
    final String untouched = Sites.fresh("alone");
    final String changed = Sites.fresh("changed");
    final String deleted = Sites.fresh("deleted");
    final String forced = Sites.fresh("forced");
    final List<String> all = List.of(untouched, changed, deleted, forced);
    final Map<String, Secret> before = new HashMap<>();
    final List<Seen> writes = new CopyOnWriteArrayList<>();
    final FaultProxy proxy;
    final OperatorProcess operator;
    private final Watch watch;

    Fleet(String scope, Duration callTimeout) {
      TestBed bed = TestBed.get();
      sites = new Sites(bed, Sites.isolated(scope));
      for (String site : all) {
        sites.putUpstream(site, json(v1(site)));
        sites.createNamespace(site, "enabled");
      }
      proxy = new FaultProxy(bed.motoUrl());
      operator = OperatorProcess.start(bed, scope, Map.of("AWS_ENDPOINT_URL_SECRETS_MANAGER", proxy.url()),
          "--namespace-prefix=" + sites.naming.namespacePrefix(), "--key-template=" + sites.naming.keyTemplate(),
          "--build-secrets-resync-period=" + RESYNC.toSeconds() + "s",
          "--aws-call-timeout=" + callTimeout.toSeconds() + "s",
          "--log-level=debug", "--log-format=json");
      try {
        operator.awaitReady();
        await().atMost(WITHIN).untilAsserted(() -> {
          for (String site : all) {
            assertThat(Sites.decoded(sites.secret(site))).as(site).isEqualTo(v1(site));
          }
        });
        all.forEach(site -> before.put(site, sites.secret(site)));
        watch = watchWrites(bed, sites, writes);
      } catch (RuntimeException | AssertionError e) {
        operator.close();
        proxy.close();
        throw e;
      }
    }

    /** Upstream changes one value and deletes one key; three namespaces are force-synced. */
    void changeUpstream() {
      sites.putUpstream(changed, json(v2(changed)));
      sites.deleteUpstream(deleted, false);
      List.of(changed, deleted, forced).forEach(sites::forceSync);
    }

    /** What upstream holds now, in every namespace. */
    void assertCurrent() {
      assertThat(Sites.decoded(sites.secret(untouched))).isEqualTo(v1(untouched));
      assertThat(Sites.decoded(sites.secret(changed))).isEqualTo(v2(changed));
      assertThat(sites.secret(deleted)).isNull();
      assertThat(Sites.decoded(sites.secret(forced))).isEqualTo(v1(forced));
    }

    /** Exactly one write each where upstream changed, straight to the new state; none elsewhere. */
    void assertOnlyTheNeededWrites() {
      assertThat(writes).containsExactlyInAnyOrder(
          new Seen(Watcher.Action.MODIFIED, sites.ns(changed), v2(changed)),
          new Seen(Watcher.Action.DELETED, sites.ns(deleted), v1(deleted)));
      for (String site : List.of(untouched, forced)) {
        assertThat(sites.secret(site).getMetadata().getResourceVersion()).as(site)
            .isEqualTo(before.get(site).getMetadata().getResourceVersion());
      }
      // Every Secret was read at start-up and one key of four is missing: nothing to pause.
      assertThat(sites.events(deleted, "DeletionPaused")).isEmpty();
    }

    /** Neither a value nor a raw provider message reaches the output or /metrics; a clean exit. */
    void assertNoLeaksAndStop() {
      assertThat(operator.output()).doesNotContain(CANARY).doesNotContain(FaultProxy.RAW_MESSAGE_MARKER);
      assertThat(operator.metrics()).doesNotContain(CANARY).doesNotContain(FaultProxy.RAW_MESSAGE_MARKER);
      assertThat(operator.stop()).as("exit code after SIGTERM").isEqualTo(0);
    }

    @Override
    public void close() {
      watch.close();
      operator.close();
      proxy.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void secretsAreKeptWhileFailingAndCurrentOneResyncAfterHealing(Case c) {
    try (Fleet f = new Fleet("fault-" + c.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'), c.callTimeout())) {
      f.proxy.inject(c.mode(), FaultProxy.Fraction.everyNth(1));
      f.changeUpstream();

      List<String> read = List.of(f.changed, f.deleted, f.forced);
      await().atMost(WITHIN).untilAsserted(() -> {
        for (String site : read) {
          assertThat(f.sites.events(site, "SourceError")).as(site).isNotEmpty()
              .allSatisfy(e -> assertThat(e.getType()).isEqualTo("Warning"));
        }
        String metrics = f.operator.metrics();
        assertThat(sample(metrics, M + "syncs_total{result=\"source_error\"}")).isGreaterThanOrEqualTo(3);
        assertThat(sample(metrics,
            M + "source_requests_total{operation=\"GetSecretValue\",outcome=\"" + c.outcome() + "\"}")).isPositive();
        // a sweep failed too: its listing is the resync of the namespace left alone
        assertThat(sample(metrics,
            M + "source_requests_total{operation=\"ListSecrets\",outcome=\"" + c.outcome() + "\"}")).isPositive();
        assertThat(sample(metrics, M + "namespaces_backing_off")).isGreaterThanOrEqualTo(3);
        assertThat(sample(metrics, M + "source_retry_delay_seconds_max")).isGreaterThanOrEqualTo(DOUBLED_BACKOFF_SECONDS);
      });
      assertThat(f.proxy.injected(c.mode())).isPositive();
      for (String site : read) {
        for (Event e : f.sites.events(site, "SourceError")) {
          assertThat(e.getMessage()).as(site)
              .startsWith("upstream read failed, " + c.named()).endsWith("; the existing Secret is kept")
              .doesNotContain(FaultProxy.RAW_MESSAGE_MARKER).doesNotContain(CANARY);
          assertThat(e.getInvolvedObject().getKind()).isEqualTo("Namespace");
          assertThat(e.getInvolvedObject().getName()).isEqualTo(f.sites.ns(site));
        }
      }
      if (c.mode() == Mode.ACCESS_DENIED) { // a denied listing switches to per-key reads, by design
        assertThat(sample(f.operator.metrics(), M + "change_detection_fallbacks_total{reason=\"list_denied\"}"))
            .isEqualTo(1);
      }
      assertThat(f.writes).as("writes to managed Secrets while every request fails").isEmpty();
      for (String site : f.all) {
        Secret now = f.sites.secret(site);
        assertThat(now).as(site).isNotNull();
        assertThat(now.getMetadata().getResourceVersion()).as(site)
            .isEqualTo(f.before.get(site).getMetadata().getResourceVersion());
        assertThat(now.getData()).as(site).isEqualTo(f.before.get(site).getData());
      }

      f.proxy.heal();
      // After a throttling storm the SDK's adaptive client-side rate limiter (RetryMode.ADAPTIVE_V2)
      // may hold the first call after healing back for a whole call timeout before it recovers.
      Duration converge = c.mode() == Mode.THROTTLING ? CONVERGE.plus(c.callTimeout()) : CONVERGE;
      await().atMost(converge).untilAsserted(() -> {
        f.assertCurrent();
        assertThat(sample(f.operator.metrics(), M + "namespaces_backing_off")).isZero();
      });
      f.assertOnlyTheNeededWrites();
      f.assertNoLeaksAndStop();
    }

    String named = c.named().endsWith(" ") ? c.named() + "..." : c.named();
    ReliabilityRecord.passed(AREA, c.trial(),
        "no Secret written or deleted while failing (a changed value and a deleted key left as they were); "
            + "Warning SourceError names it (\"" + named + "\"); "
            + "source_error syncs and " + c.outcome() + " requests counted, backoff doubled "
            + "(source_retry_delay_seconds_max), namespaces_backing_off up then 0; "
            + (c.mode() == Mode.ACCESS_DENIED ? "denied listing fell back to per-key reads; " : "")
            + "current within one resync after healing, exactly one write per changed key");
  }

  @Test
  void everySecondRequestFailingIsAbsorbedWithoutAPartialWrite() {
    try (Fleet f = new Fleet("fault-half", CALL_TIMEOUT)) {
      f.proxy.inject(Mode.HTTP_500, FaultProxy.Fraction.everyNth(2));
      f.changeUpstream();
      // Reads that get through act at once, while the faults go on; the SDK retries the others.
      await().atMost(WITHIN).untilAsserted(f::assertCurrent);
      assertThat(f.proxy.injected(Mode.HTTP_500)).isPositive();
      f.assertOnlyTheNeededWrites();
      f.assertNoLeaksAndStop();
    }
    ReliabilityRecord.passed(AREA, "HTTP 500 on every 2nd request",
        "absorbed by retries: the changed value and the deleted key applied while the faults go on, "
            + "exactly one complete write each, nothing else written");
  }

  /** Records every change to this test's build-secrets Secrets from now on (a watch from the current list). */
  private static Watch watchWrites(TestBed bed, Sites sites, List<Seen> writes) {
    String rv = bed.admin().secrets().inAnyNamespace()
        .withField("metadata.name", sites.naming.secretName()).list().getMetadata().getResourceVersion();
    return bed.admin().secrets().inAnyNamespace().watch(new ListOptionsBuilder()
        .withResourceVersion(rv)
        .withFieldSelector("metadata.name=" + sites.naming.secretName())
        .build(), new Watcher<>() {
          @Override
          public void eventReceived(Action action, Secret s) {
            if (s.getMetadata().getNamespace().startsWith(sites.naming.namespacePrefix())) {
              writes.add(new Seen(action, s.getMetadata().getNamespace(), Sites.decoded(s)));
            }
          }

          @Override
          public void onClose(WatcherException cause) {
            writes.add(new Seen(Action.ERROR, "watch closed", Map.of()));
          }
        });
  }

  /** One sample of the Prometheus text format; 0 when the series is absent. */
  static double sample(String metrics, String series) {
    return metrics.lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
        .findFirst()
        .orElse(0);
  }
}
