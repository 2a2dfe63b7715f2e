package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static sites.deco.buildsecrets.sync.SyncFixtures.CANARY;
import static sites.deco.buildsecrets.sync.SyncFixtures.NEVER_CONSULTED;
import static sites.deco.buildsecrets.sync.SyncFixtures.managed;
import static sites.deco.buildsecrets.sync.SyncFixtures.optedIn;
import static sites.deco.buildsecrets.sync.SyncFixtures.optedOut;
import static sites.deco.buildsecrets.sync.SyncFixtures.site;
import static sites.deco.buildsecrets.sync.SyncFixtures.terminatingSite;
import static sites.deco.buildsecrets.sync.SyncFixtures.unowned;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.SyncFixtures.CountingGuard;

class SyncRulesTest {
  private static final Map<String, String> UPSTREAM_DATA =
      Map.of("API_TOKEN", CANARY, "NPM_TOKEN", "npm-" + CANARY);
  private static final SecretData UPSTREAM_SECRET_DATA = SecretData.fromStrings(UPSTREAM_DATA);
  private static final Upstream.Found FOUND_V2 = new Upstream.Found(UPSTREAM_SECRET_DATA, "v2");
  private static final Upstream.Missing NOT_FOUND = new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
  private static final Upstream.Unreachable UNREACHABLE =
      new Upstream.Unreachable(SourceException.Kind.ACCESS_DENIED, "AccessDeniedException");
  private static final Upstream.Invalid INVALID =
      new Upstream.Invalid(PayloadRule.INVALID_KEY, "bad key!", null);

  private static LocalSecret.Managed inSync() {
    return managed(UPSTREAM_DATA, "v2");
  }

  private static LocalSecret.Managed outdated() {
    return managed(Map.of("API_TOKEN", "old-" + CANARY, "NPM_TOKEN", "npm-" + CANARY), "v1");
  }

  // ---------------------------------------------------------------- the whole table

  /** One row of the rule table, with the guard it may (or must not) consult. */
  record Row(SiteRef site, LocalSecret local, Upstream upstream, DeletionGuard guard, Outcome outcome,
      Class<? extends Plan> planType) {}

  private static Arguments row(String name, SiteRef site, LocalSecret local, Upstream upstream, DeletionGuard guard,
      Outcome outcome, Class<? extends Plan> planType) {
    return Arguments.of(Named.of(name, new Row(site, local, upstream, guard, outcome, planType)));
  }

  static Stream<Arguments> table() {
    LocalSecret absent = LocalSecret.ABSENT;
    return Stream.of(
        row("off, absent -> keep opted out", optedOut(), absent, null, NEVER_CONSULTED,
            Outcome.OPTED_OUT, Plan.Keep.class),
        row("off (value \"true\"), absent -> keep, unrecognised opt-in", site("true"), absent, null,
            NEVER_CONSULTED, Outcome.UNRECOGNISED_OPT_IN, Plan.Keep.class),
        row("off, managed -> delete", optedOut(), outdated(), null, NEVER_CONSULTED,
            Outcome.DELETED, Plan.Delete.class),
        row("off (terminating), managed -> delete", terminatingSite("enabled"), outdated(), null, NEVER_CONSULTED,
            Outcome.DELETED, Plan.Delete.class),
        row("off, unowned -> keep, leave alone", optedOut(), unowned(), null, NEVER_CONSULTED,
            Outcome.OPTED_OUT, Plan.Keep.class),
        row("on, unowned -> keep, not owned", optedIn(), unowned(), null, NEVER_CONSULTED,
            Outcome.NOT_OWNED, Plan.Keep.class),
        row("on, unreachable, absent -> keep, source error", optedIn(), absent, UNREACHABLE, NEVER_CONSULTED,
            Outcome.SOURCE_ERROR, Plan.Keep.class),
        row("on, unreachable, managed -> keep, source error", optedIn(), outdated(), UNREACHABLE, NEVER_CONSULTED,
            Outcome.SOURCE_ERROR, Plan.Keep.class),
        row("on, invalid, absent -> keep, invalid payload", optedIn(), absent, INVALID, NEVER_CONSULTED,
            Outcome.INVALID_PAYLOAD, Plan.Keep.class),
        row("on, invalid, managed -> keep, invalid payload", optedIn(), outdated(), INVALID, NEVER_CONSULTED,
            Outcome.INVALID_PAYLOAD, Plan.Keep.class),
        row("on, missing, absent -> keep, upstream missing", optedIn(), absent, NOT_FOUND, NEVER_CONSULTED,
            Outcome.UPSTREAM_MISSING, Plan.Keep.class),
        row("on, missing, managed, guard allows -> delete", optedIn(), outdated(), NOT_FOUND,
            CountingGuard.allowing(), Outcome.DELETED, Plan.Delete.class),
        row("on, missing, managed, guard pauses -> keep, deletion paused", optedIn(), outdated(), NOT_FOUND,
            CountingGuard.pausing("over budget"), Outcome.DELETION_PAUSED, Plan.Keep.class),
        row("on, found, absent -> create", optedIn(), absent, FOUND_V2, NEVER_CONSULTED,
            Outcome.CREATED, Plan.Create.class),
        row("on, found, managed and different -> update", optedIn(), outdated(), FOUND_V2, NEVER_CONSULTED,
            Outcome.UPDATED, Plan.Update.class),
        row("on, found, managed and equal -> keep unchanged", optedIn(), inSync(), FOUND_V2, NEVER_CONSULTED,
            Outcome.UNCHANGED, Plan.Keep.class));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void everyRowOfTheTableDecidesItsPlan(Row row) {
    Plan plan = SyncRules.decide(row.site(), row.local(), row.upstream(), row.guard());

    assertThat(plan).isInstanceOf(row.planType());
    assertThat(plan.outcome()).isEqualTo(row.outcome());
    assertThat(plan.message()).isNotBlank();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void noPlanMessageOrToStringContainsASecretValue(Row row) {
    Plan plan = SyncRules.decide(row.site(), row.local(), row.upstream(), row.guard());

    List<String> forbidden = new ArrayList<>();
    for (String value : List.of(CANARY, "npm-" + CANARY, "old-" + CANARY)) {
      forbidden.addAll(List.of(SyncFixtures.leakForms(value)));
    }
    for (String leak : forbidden) {
      assertThat(plan.message()).doesNotContain(leak);
      assertThat(plan.toString()).doesNotContain(leak);
    }
  }

  // ---------------------------------------------------------------- opted out

  @Nested
  class OptedOut {

    @Test
    void absentSecretIsKeptAsOptedOutWithoutAnEvent() {
      Plan plan = SyncRules.decide(optedOut(), LocalSecret.ABSENT, null, NEVER_CONSULTED);

      assertThat(plan).isEqualTo(new Plan.Keep(Outcome.OPTED_OUT, plan.message()));
      assertThat(plan.outcome().eventType()).isNull();
    }

    @Test
    void managedSecretIsDeletedBecauseTheNamespaceOptedOut() {
      LocalSecret.Managed current = outdated();

      Plan plan = SyncRules.decide(optedOut(), current, null, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Delete.class);
      assertThat(((Plan.Delete) plan).current()).isSameAs(current);
      assertThat(plan.message()).contains("opted out");
    }

    @Test
    void unownedSecretIsLeftAloneWithoutAWrite() {
      Plan plan = SyncRules.decide(optedOut(), unowned(), null, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.OPTED_OUT);
    }

    @Test
    void terminatingNamespaceStillAnnotatedEnabledDeletesTheManagedSecret() {
      LocalSecret.Managed current = inSync();

      Plan plan = SyncRules.decide(terminatingSite(Naming.OPT_IN_VALUE), current, null, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Delete.class);
      assertThat(((Plan.Delete) plan).current()).isSameAs(current);
      assertThat(plan.message()).startsWith("deleted").contains("namespace is being deleted");
    }

    @Test
    void terminatingNamespaceWithoutSecretIsOptedOutNotAWarning() {
      Plan plan = SyncRules.decide(terminatingSite(Naming.OPT_IN_VALUE), LocalSecret.ABSENT, null, NEVER_CONSULTED);

      assertThat(plan.outcome()).isEqualTo(Outcome.OPTED_OUT);
    }

    @Test
    void terminatingNamespaceWithUnrecognisedValueIsNotWarnedAbout() {
      Plan plan = SyncRules.decide(terminatingSite("true"), LocalSecret.ABSENT, null, NEVER_CONSULTED);

      assertThat(plan.outcome()).isEqualTo(Outcome.OPTED_OUT);
    }

    @ParameterizedTest(name = "value \"{0}\"")
    @ValueSource(strings = {"true", "Enabled", " enabled "})
    void unrecognisedOptInValueWithoutSecretIsAWarning(String value) {
      Plan plan = SyncRules.decide(site(value), LocalSecret.ABSENT, null, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.UNRECOGNISED_OPT_IN);
      assertThat(plan.outcome().eventType()).isEqualTo(Outcome.EventType.WARNING);
      assertThat(plan.message()).contains("\"" + value + "\"").contains("exactly \"enabled\"");
    }

    @ParameterizedTest(name = "value \"{0}\"")
    @ValueSource(strings = {"true", "Enabled", " enabled "})
    void unrecognisedOptInValueWithUnownedSecretWarnsWithoutAWrite(String value) {
      Plan plan = SyncRules.decide(site(value), unowned(), null, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.UNRECOGNISED_OPT_IN);
    }

    @ParameterizedTest(name = "value \"{0}\"")
    @ValueSource(strings = {"true", "Enabled", " enabled "})
    void unrecognisedOptInValueWithManagedSecretDeletesIt(String value) {
      LocalSecret.Managed current = inSync();

      Plan plan = SyncRules.decide(site(value), current, null, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Delete.class);
      assertThat(((Plan.Delete) plan).current()).isSameAs(current);
    }
  }

  // ---------------------------------------------------------------- needsUpstream

  @Nested
  class NeedsUpstream {

    @Test
    void optedOutNamespaceNeverNeedsARead() {
      assertThat(SyncRules.needsUpstream(optedOut(), LocalSecret.ABSENT)).isFalse();
      assertThat(SyncRules.needsUpstream(optedOut(), inSync())).isFalse();
      assertThat(SyncRules.needsUpstream(optedOut(), unowned())).isFalse();
    }

    @Test
    void unrecognisedOrTerminatingOptInNeedsNoRead() {
      assertThat(SyncRules.needsUpstream(site("true"), inSync())).isFalse();
      assertThat(SyncRules.needsUpstream(terminatingSite(Naming.OPT_IN_VALUE), inSync())).isFalse();
    }

    @Test
    void optedInWithUnownedSecretNeedsNoRead() {
      assertThat(SyncRules.needsUpstream(optedIn(), unowned())).isFalse();
    }

    @Test
    void optedInWithAbsentSecretNeedsARead() {
      assertThat(SyncRules.needsUpstream(optedIn(), LocalSecret.ABSENT)).isTrue();
    }

    @Test
    void optedInWithManagedSecretNeedsARead() {
      assertThat(SyncRules.needsUpstream(optedIn(), inSync())).isTrue();
    }
  }

  // ---------------------------------------------------------------- opted in

  @Nested
  class OptedIn {

    @Test
    void unownedSecretIsNotOwnedWarningAndTheGuardIsNeverConsulted() {
      Plan plan = SyncRules.decide(optedIn(), unowned(), null, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.NOT_OWNED);
      assertThat(plan.outcome().eventType()).isEqualTo(Outcome.EventType.WARNING);
    }

    @Test
    void unownedSecretIsNotOwnedEvenIfUpstreamWereMissing() {
      CountingGuard guard = CountingGuard.allowing();

      Plan plan = SyncRules.decide(optedIn(), unowned(), NOT_FOUND, guard);

      assertThat(plan.outcome()).isEqualTo(Outcome.NOT_OWNED);
      assertThat(guard.calls()).isZero();
    }

    @Test
    void unreachableUpstreamKeepsTheManagedSecret() {
      Plan plan = SyncRules.decide(optedIn(), outdated(), UNREACHABLE, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.SOURCE_ERROR);
      assertThat(plan.message()).contains("access denied").contains("existing Secret is kept");
    }

    @Test
    void unreachableUpstreamWritesNothingWhenNoSecretExists() {
      Plan plan = SyncRules.decide(optedIn(), LocalSecret.ABSENT, UNREACHABLE, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.SOURCE_ERROR);
      assertThat(plan.message()).contains("no Secret is written");
    }

    @Test
    void invalidPayloadIsKeptAndNamesTheOffendingKey() {
      Plan plan = SyncRules.decide(optedIn(), outdated(), INVALID, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.INVALID_PAYLOAD);
      assertThat(plan.message()).contains("\"bad key!\"").contains(PayloadRule.INVALID_KEY.description());
    }

    @Test
    void invalidPayloadWithoutSecretWritesNothing() {
      Plan plan = SyncRules.decide(optedIn(), LocalSecret.ABSENT, INVALID, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.INVALID_PAYLOAD);
    }

    @ParameterizedTest
    @EnumSource(Upstream.MissingReason.class)
    void missingUpstreamWithoutSecretCreatesNothing(Upstream.MissingReason reason) {
      Plan plan = SyncRules.decide(optedIn(), LocalSecret.ABSENT, new Upstream.Missing(reason), NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.UPSTREAM_MISSING);
      assertThat(plan.message()).contains(reason.description());
    }

    @Test
    void missingUpstreamDeletesTheManagedSecretWhenTheGuardAllows() {
      LocalSecret.Managed current = outdated();
      CountingGuard guard = CountingGuard.allowing();

      Plan plan = SyncRules.decide(optedIn(), current, NOT_FOUND, guard);

      assertThat(plan).isInstanceOf(Plan.Delete.class);
      assertThat(((Plan.Delete) plan).current()).isSameAs(current);
      assertThat(plan.message()).contains("not found");
      assertThat(guard.calls()).isEqualTo(1);
    }

    @Test
    void missingUpstreamKeepsTheManagedSecretWhenTheGuardPauses() {
      CountingGuard guard = CountingGuard.pausing("7 of 20 managed Secrets are missing upstream");

      Plan plan = SyncRules.decide(
          optedIn(), outdated(), new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION), guard);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.DELETION_PAUSED);
      assertThat(plan.message())
          .contains("scheduled for deletion")
          .contains("7 of 20 managed Secrets are missing upstream")
          .contains("kept");
      assertThat(guard.calls()).isEqualTo(1);
    }

    @Test
    void foundUpstreamWithoutSecretCreatesItWithDataAndVersion() {
      Plan plan = SyncRules.decide(optedIn(), LocalSecret.ABSENT, FOUND_V2, NEVER_CONSULTED);

      assertThat(plan).isEqualTo(new Plan.Create(UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("v2").contains("API_TOKEN").contains("NPM_TOKEN");
    }

    @Test
    void foundUpstreamEqualToManagedSecretIsUnchanged() {
      Plan plan = SyncRules.decide(optedIn(), inSync(), FOUND_V2, NEVER_CONSULTED);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.UNCHANGED);
      assertThat(plan.outcome().eventType()).isNull();
    }

    @Test
    void changedValueUpdatesTheSecret() {
      LocalSecret.Managed current = managed(Map.of("API_TOKEN", "old-" + CANARY, "NPM_TOKEN", "npm-" + CANARY), "v2");

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2, NEVER_CONSULTED);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("changed [API_TOKEN]");
    }

    @Test
    void keyAddedByHandIsRemovedByAnUpdate() {
      Map<String, String> withExtra = new java.util.HashMap<>(UPSTREAM_DATA);
      withExtra.put("HAND_ADDED", "manual-" + CANARY);
      LocalSecret.Managed current = managed(withExtra, "v2");

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2, NEVER_CONSULTED);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("removed [HAND_ADDED]").doesNotContain("manual-" + CANARY);
    }

    @Test
    void missingVersionAnnotationUpdatesTheSecret() {
      LocalSecret.Managed current = managed(UPSTREAM_DATA, null);
      assertThat(current.version()).isNull();

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2, NEVER_CONSULTED);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
    }

    @Test
    void staleVersionWithSameDataUpdatesTheSecret() {
      LocalSecret.Managed current = managed(UPSTREAM_DATA, "v1");

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2, NEVER_CONSULTED);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("v2").contains("no key changed");
    }

    @Test
    void nullUpstreamForAnOptedInAbsentSecretIsRejected() {
      assertThatThrownBy(() -> SyncRules.decide(optedIn(), LocalSecret.ABSENT, null, NEVER_CONSULTED))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullUpstreamForAnOptedInManagedSecretIsRejected() {
      assertThatThrownBy(() -> SyncRules.decide(optedIn(), inSync(), null, NEVER_CONSULTED))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  // ---------------------------------------------------------------- the guard

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void theGuardIsConsultedOnlyForAMissingUpstreamWithAManagedSecret(Row row) {
    CountingGuard guard = CountingGuard.allowing();

    SyncRules.decide(row.site(), row.local(), row.upstream(), guard);

    boolean missingWithManaged =
        row.site().optedIn() && row.upstream() instanceof Upstream.Missing && row.local() instanceof LocalSecret.Managed;
    assertThat(guard.calls()).isEqualTo(missingWithManaged ? 1 : 0);
  }
}
