package sites.deco.buildsecrets.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static sites.deco.buildsecrets.sync.SyncFixtures.CANARY;
import static sites.deco.buildsecrets.sync.SyncFixtures.managed;
import static sites.deco.buildsecrets.sync.SyncFixtures.managedEditedSince;
import static sites.deco.buildsecrets.sync.SyncFixtures.managedWithoutDigest;
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
import sites.deco.buildsecrets.source.KeyName;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

/** The rule table as a pure function: every row, and nothing but the plan (no guard, no I/O). */
class SyncRulesTest {
  private static final Map<String, String> UPSTREAM_DATA =
      Map.of("API_TOKEN", CANARY, "NPM_TOKEN", "npm-" + CANARY);
  private static final SecretData UPSTREAM_SECRET_DATA = SecretData.fromStrings(UPSTREAM_DATA);
  private static final Upstream.Found FOUND_V2 = new Upstream.Found(UPSTREAM_SECRET_DATA, "v2");
  private static final Upstream.Missing NOT_FOUND = new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
  private static final Upstream.Unreachable UNREACHABLE =
      new Upstream.Unreachable(SourceException.Kind.ACCESS_DENIED, "AccessDeniedException");
  private static final Upstream.Invalid INVALID =
      new Upstream.Invalid(PayloadRule.INVALID_KEY, KeyName.of("bad key!", 1), null);

  private static LocalSecret.Managed inSync() {
    return managed(UPSTREAM_DATA, "v2");
  }

  private static LocalSecret.Managed outdated() {
    return managed(Map.of("API_TOKEN", "old-" + CANARY, "NPM_TOKEN", "npm-" + CANARY), "v1");
  }

  // ---------------------------------------------------------------- the whole table

  /**
   * One row of the rule table.
   *
   * @param cause the deletion cause when the plan is a delete, else null
   */
  record Row(SiteRef site, LocalSecret local, Upstream upstream, Outcome outcome, Class<? extends Plan> planType,
      DeletionCause cause) {}

  private static Arguments row(String name, SiteRef site, LocalSecret local, Upstream upstream, Outcome outcome,
      Class<? extends Plan> planType) {
    return row(name, site, local, upstream, outcome, planType, null);
  }

  private static Arguments row(String name, SiteRef site, LocalSecret local, Upstream upstream, Outcome outcome,
      Class<? extends Plan> planType, DeletionCause cause) {
    return Arguments.of(Named.of(name, new Row(site, local, upstream, outcome, planType, cause)));
  }

  static Stream<Arguments> table() {
    LocalSecret absent = LocalSecret.ABSENT;
    return Stream.of(
        row("off, absent -> keep opted out", optedOut(), absent, null, Outcome.OPTED_OUT, Plan.Keep.class),
        row("off (value \"true\"), absent -> keep, unrecognised opt-in", site("true"), absent, null,
            Outcome.UNRECOGNISED_OPT_IN, Plan.Keep.class),
        row("off, managed -> delete, opt-out (budgeted)", optedOut(), outdated(), null,
            Outcome.DELETED, Plan.Delete.class, DeletionCause.OPTED_OUT),
        row("off (value \"true\"), managed -> delete, opt-out (budgeted)", site("true"), outdated(), null,
            Outcome.DELETED, Plan.Delete.class, DeletionCause.OPTED_OUT),
        row("off (terminating), managed -> delete, namespace deleted (unbudgeted)", terminatingSite("enabled"),
            outdated(), null, Outcome.DELETED, Plan.Delete.class, DeletionCause.NAMESPACE_DELETED),
        row("off, unowned -> keep, leave alone", optedOut(), unowned(), null, Outcome.OPTED_OUT, Plan.Keep.class),
        row("on, unowned -> keep, not owned", optedIn(), unowned(), null, Outcome.NOT_OWNED, Plan.Keep.class),
        row("on, unreachable, absent -> keep, source error", optedIn(), absent, UNREACHABLE,
            Outcome.SOURCE_ERROR, Plan.Keep.class),
        row("on, unreachable, managed -> keep, source error", optedIn(), outdated(), UNREACHABLE,
            Outcome.SOURCE_ERROR, Plan.Keep.class),
        row("on, invalid, absent -> keep, invalid payload", optedIn(), absent, INVALID,
            Outcome.INVALID_PAYLOAD, Plan.Keep.class),
        row("on, invalid, managed -> keep, invalid payload", optedIn(), outdated(), INVALID,
            Outcome.INVALID_PAYLOAD, Plan.Keep.class),
        row("on, missing, absent -> keep, upstream missing", optedIn(), absent, NOT_FOUND,
            Outcome.UPSTREAM_MISSING, Plan.Keep.class),
        row("on, missing, managed -> delete, upstream missing (budgeted)", optedIn(), outdated(), NOT_FOUND,
            Outcome.DELETED, Plan.Delete.class, DeletionCause.UPSTREAM_MISSING),
        row("on, found, absent -> create", optedIn(), absent, FOUND_V2, Outcome.CREATED, Plan.Create.class),
        row("on, found, managed and different -> update", optedIn(), outdated(), FOUND_V2,
            Outcome.UPDATED, Plan.Update.class),
        row("on, found, managed, equal but no digest -> update", optedIn(), managedWithoutDigest(UPSTREAM_DATA, "v2"),
            FOUND_V2, Outcome.UPDATED, Plan.Update.class),
        row("on, found, managed and equal incl. digest -> keep unchanged", optedIn(), inSync(), FOUND_V2,
            Outcome.UNCHANGED, Plan.Keep.class));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void everyRowOfTheTableDecidesItsPlan(Row row) {
    Plan plan = SyncRules.decide(row.site(), row.local(), row.upstream());

    assertThat(plan).isInstanceOf(row.planType());
    assertThat(plan.outcome()).isEqualTo(row.outcome());
    assertThat(plan.message()).isNotBlank();
    if (plan instanceof Plan.Delete d) {
      assertThat(d.cause()).isEqualTo(row.cause());
      assertThat(d.current()).isSameAs(row.local());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void theTableIsPure(Row row) {
    Plan first = SyncRules.decide(row.site(), row.local(), row.upstream());
    Plan second = SyncRules.decide(row.site(), row.local(), row.upstream());

    assertThat(second).isEqualTo(first);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void aReadIsNeededExactlyWhenTheRowHasAnUpstreamAnswer(Row row) {
    assertThat(SyncRules.needsUpstream(row.site(), row.local())).isEqualTo(row.upstream() != null);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void noPlanMessageOrToStringContainsASecretValue(Row row) {
    Plan plan = SyncRules.decide(row.site(), row.local(), row.upstream());

    List<String> forbidden = new ArrayList<>();
    for (String value : List.of(CANARY, "npm-" + CANARY, "old-" + CANARY)) {
      forbidden.addAll(List.of(SyncFixtures.leakForms(value)));
    }
    for (String leak : forbidden) {
      assertThat(plan.message()).doesNotContain(leak);
      assertThat(plan.toString()).doesNotContain(leak);
    }
  }

  // ---------------------------------------------------------------- deletion causes

  @Nested
  class DeletionCauses {

    @Test
    void onlyANamespaceBeingDeletedEscapesTheBudget() {
      assertThat(DeletionCause.NAMESPACE_DELETED.budgeted()).isFalse();
      assertThat(DeletionCause.OPTED_OUT.budgeted()).isTrue();
      assertThat(DeletionCause.UPSTREAM_MISSING.budgeted()).isTrue();
      assertThat(DeletionCause.KEYS_REMOVED.budgeted()).isTrue();
    }

    @Test
    void anUpdateThatDropsAKeyRemovesKeysOneThatAddsOrChangesDoesNot() {
      Upstream.Found emptied = new Upstream.Found(SecretData.fromStrings(Map.of()), "v3");
      Upstream.Found grown = new Upstream.Found(SecretData.fromStrings(Map.of("A", "1", "B", "2")), "v3");
      Upstream.Found changed = new Upstream.Found(SecretData.fromStrings(Map.of("A", "other")), "v3");
      LocalSecret.Managed current = managed(Map.of("A", "1"), "v2");

      assertThat(((Plan.Update) SyncRules.decide(optedIn(), current, emptied)).removesKeys()).isTrue();
      assertThat(((Plan.Update) SyncRules.decide(optedIn(), current, grown)).removesKeys()).isFalse();
      assertThat(((Plan.Update) SyncRules.decide(optedIn(), current, changed)).removesKeys()).isFalse();
    }

    @Test
    void optOutIsABudgetedDeletion() {
      LocalSecret.Managed current = outdated();

      Plan.Delete plan = (Plan.Delete) SyncRules.decide(optedOut(), current, null);

      assertThat(plan.cause()).isEqualTo(DeletionCause.OPTED_OUT);
      assertThat(plan.current()).isSameAs(current);
      assertThat(plan.why()).isEqualTo("namespace opted out");
      assertThat(plan.message()).isEqualTo("deleted: namespace opted out");
    }

    @ParameterizedTest(name = "value \"{0}\"")
    @ValueSource(strings = {"true", "Enabled", " enabled ", "enabled\n"})
    void unrecognisedValueIsAnOptOutThatNamesTheValue(String value) {
      Plan.Delete plan = (Plan.Delete) SyncRules.decide(site(value), inSync(), null);

      assertThat(plan.cause()).isEqualTo(DeletionCause.OPTED_OUT);
      assertThat(plan.why())
          .startsWith("namespace opted out: ")
          .contains(sites.deco.buildsecrets.source.Printable.quote(value))
          .contains("exactly \"enabled\"");
    }

    @ParameterizedTest(name = "value {0}")
    @ValueSource(strings = {"enabled", "true", ""})
    void terminatingNamespaceIsNamespaceDeletedWhateverItsAnnotation(String value) {
      LocalSecret.Managed current = inSync();

      Plan.Delete plan = (Plan.Delete) SyncRules.decide(terminatingSite(value), current, null);

      assertThat(plan.cause()).isEqualTo(DeletionCause.NAMESPACE_DELETED);
      assertThat(plan.current()).isSameAs(current);
      assertThat(plan.message()).isEqualTo("deleted: namespace is being deleted");
    }

    @Test
    void terminatingNamespaceWithoutAnnotationIsNamespaceDeleted() {
      Plan.Delete plan = (Plan.Delete) SyncRules.decide(terminatingSite(null), inSync(), null);

      assertThat(plan.cause()).isEqualTo(DeletionCause.NAMESPACE_DELETED);
    }

    @ParameterizedTest
    @EnumSource(Upstream.MissingReason.class)
    void missingKeyIsAnUpstreamMissingDeletionNamingTheReason(Upstream.MissingReason reason) {
      LocalSecret.Managed current = outdated();

      Plan.Delete plan = (Plan.Delete) SyncRules.decide(optedIn(), current, new Upstream.Missing(reason));

      assertThat(plan.cause()).isEqualTo(DeletionCause.UPSTREAM_MISSING);
      assertThat(plan.current()).isSameAs(current);
      assertThat(plan.why()).isEqualTo("upstream key " + reason.description());
    }

    @Test
    void causeLabelsAreBoundedLowerCaseNames() {
      assertThat(DeletionCause.OPTED_OUT.label()).isEqualTo("opted_out");
      assertThat(DeletionCause.UPSTREAM_MISSING.label()).isEqualTo("upstream_missing");
      assertThat(DeletionCause.NAMESPACE_DELETED.label()).isEqualTo("namespace_deleted");
    }
  }

  // ---------------------------------------------------------------- opted out

  @Nested
  class OptedOut {

    @Test
    void absentSecretIsKeptAsOptedOutWithoutAnEvent() {
      Plan plan = SyncRules.decide(optedOut(), LocalSecret.ABSENT, null);

      assertThat(plan).isEqualTo(new Plan.Keep(Outcome.OPTED_OUT, plan.message()));
      assertThat(plan.outcome().eventType()).isNull();
    }

    @Test
    void unownedSecretIsLeftAloneWithoutAWrite() {
      Plan plan = SyncRules.decide(optedOut(), unowned(), null);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.OPTED_OUT);
    }

    @Test
    void terminatingNamespaceWithoutSecretIsOptedOutNotAWarning() {
      Plan plan = SyncRules.decide(terminatingSite(Naming.OPT_IN_VALUE), LocalSecret.ABSENT, null);

      assertThat(plan.outcome()).isEqualTo(Outcome.OPTED_OUT);
    }

    @Test
    void terminatingNamespaceWithUnrecognisedValueIsNotWarnedAbout() {
      Plan plan = SyncRules.decide(terminatingSite("true"), LocalSecret.ABSENT, null);

      assertThat(plan.outcome()).isEqualTo(Outcome.OPTED_OUT);
    }

    @ParameterizedTest(name = "value \"{0}\"")
    @ValueSource(strings = {"true", "Enabled", " enabled "})
    void unrecognisedOptInValueWithoutSecretIsAWarning(String value) {
      Plan plan = SyncRules.decide(site(value), LocalSecret.ABSENT, null);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.UNRECOGNISED_OPT_IN);
      assertThat(plan.outcome().eventType()).isEqualTo(Outcome.EventType.WARNING);
      assertThat(plan.message()).contains("\"" + value + "\"").contains("exactly \"enabled\"");
    }

    @ParameterizedTest(name = "value \"{0}\"")
    @ValueSource(strings = {"true", "Enabled", " enabled "})
    void unrecognisedOptInValueWithUnownedSecretWarnsWithoutAWrite(String value) {
      Plan plan = SyncRules.decide(site(value), unowned(), null);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.UNRECOGNISED_OPT_IN);
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
    void optedInWithAbsentOrManagedSecretNeedsARead() {
      assertThat(SyncRules.needsUpstream(optedIn(), LocalSecret.ABSENT)).isTrue();
      assertThat(SyncRules.needsUpstream(optedIn(), inSync())).isTrue();
    }
  }

  // ---------------------------------------------------------------- opted in

  @Nested
  class OptedIn {

    @Test
    void unownedSecretIsANotOwnedWarning() {
      Plan plan = SyncRules.decide(optedIn(), unowned(), null);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.NOT_OWNED);
      assertThat(plan.outcome().eventType()).isEqualTo(Outcome.EventType.WARNING);
    }

    @Test
    void unownedSecretIsNotOwnedEvenIfUpstreamWereMissing() {
      Plan plan = SyncRules.decide(optedIn(), unowned(), NOT_FOUND);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.NOT_OWNED);
    }

    @Test
    void unreachableUpstreamKeepsTheManagedSecret() {
      Plan plan = SyncRules.decide(optedIn(), outdated(), UNREACHABLE);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.SOURCE_ERROR);
      assertThat(plan.message()).contains("access denied").contains("existing Secret is kept");
    }

    @Test
    void unreachableUpstreamWritesNothingWhenNoSecretExists() {
      Plan plan = SyncRules.decide(optedIn(), LocalSecret.ABSENT, UNREACHABLE);

      assertThat(plan.outcome()).isEqualTo(Outcome.SOURCE_ERROR);
      assertThat(plan.message()).contains("no Secret is written");
    }

    @Test
    void rejectedCredentialsKeepTheManagedSecret() {
      Plan plan = SyncRules.decide(optedIn(), inSync(),
          new Upstream.Unreachable(SourceException.Kind.CREDENTIALS, "ExpiredTokenException"));

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.SOURCE_ERROR);
      assertThat(plan.message()).contains("credentials rejected");
    }

    @Test
    void invalidPayloadIsKeptAndNamesTheOffendingKey() {
      Plan plan = SyncRules.decide(optedIn(), outdated(), INVALID);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.INVALID_PAYLOAD);
      assertThat(plan.message()).contains("key #1 (8 characters, sha256 ").doesNotContain("bad key!")
          .contains(PayloadRule.INVALID_KEY.description());
    }

    @ParameterizedTest
    @EnumSource(Upstream.MissingReason.class)
    void missingUpstreamWithoutSecretCreatesNothing(Upstream.MissingReason reason) {
      Plan plan = SyncRules.decide(optedIn(), LocalSecret.ABSENT, new Upstream.Missing(reason));

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.UPSTREAM_MISSING);
      assertThat(plan.message()).contains(reason.description());
    }

    @Test
    void foundUpstreamWithoutSecretCreatesItWithDataAndVersion() {
      Plan plan = SyncRules.decide(optedIn(), LocalSecret.ABSENT, FOUND_V2);

      assertThat(plan).isEqualTo(new Plan.Create(UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("v2").contains("API_TOKEN").contains("NPM_TOKEN");
    }

    @Test
    void identicalDataVersionAndDigestIsUnchanged() {
      LocalSecret.Managed current = inSync();
      assertThat(current.digestCurrent()).isTrue();

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2);

      assertThat(plan).isInstanceOf(Plan.Keep.class);
      assertThat(plan.outcome()).isEqualTo(Outcome.UNCHANGED);
      assertThat(plan.outcome().eventType()).isNull();
      assertThat(plan.message()).contains("v2");
    }

    @Test
    void missingDigestAnnotationUpdatesEvenWhenDataAndVersionMatch() {
      LocalSecret.Managed current = managedWithoutDigest(UPSTREAM_DATA, "v2");
      assertThat(current.digestCurrent()).isFalse();

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("no key changed");
    }

    @Test
    void aDigestOfOtherDataUpdatesEvenWhenDataAndVersionMatch() {
      // Edited by hand and edited back, or a digest copied from another Secret: it no longer vouches for the data.
      LocalSecret.Managed current = managedEditedSince(Map.of("API_TOKEN", "other"), UPSTREAM_DATA, "v2");
      assertThat(current.digestCurrent()).isFalse();

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
    }

    @Test
    void aValueEditedByHandIsRepairedByAnUpdate() {
      LocalSecret.Managed current =
          managedEditedSince(UPSTREAM_DATA, Map.of("API_TOKEN", "hand-" + CANARY, "NPM_TOKEN", "npm-" + CANARY), "v2");

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("changed [API_TOKEN]").doesNotContain("hand-" + CANARY);
    }

    @Test
    void changedValueUpdatesTheSecret() {
      LocalSecret.Managed current = managed(Map.of("API_TOKEN", "old-" + CANARY, "NPM_TOKEN", "npm-" + CANARY), "v2");

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("changed [API_TOKEN]");
    }

    @Test
    void keyAddedByHandIsRemovedByAnUpdate() {
      Map<String, String> withExtra = new java.util.HashMap<>(UPSTREAM_DATA);
      withExtra.put("HAND_ADDED", "manual-" + CANARY);
      LocalSecret.Managed current = managed(withExtra, "v2");

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("removed [HAND_ADDED]").doesNotContain("manual-" + CANARY);
    }

    @Test
    void missingVersionAnnotationUpdatesTheSecret() {
      LocalSecret.Managed current = managed(UPSTREAM_DATA, null);
      assertThat(current.version()).isNull();

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
    }

    @Test
    void staleVersionWithSameDataUpdatesTheSecret() {
      LocalSecret.Managed current = managed(UPSTREAM_DATA, "v1");

      Plan plan = SyncRules.decide(optedIn(), current, FOUND_V2);

      assertThat(plan).isEqualTo(new Plan.Update(current, UPSTREAM_SECRET_DATA, "v2"));
      assertThat(plan.message()).contains("v2").contains("no key changed");
    }

    @Test
    void nullUpstreamForAnOptedInAbsentSecretIsRejected() {
      assertThatThrownBy(() -> SyncRules.decide(optedIn(), LocalSecret.ABSENT, null))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullUpstreamForAnOptedInManagedSecretIsRejected() {
      assertThatThrownBy(() -> SyncRules.decide(optedIn(), inSync(), null))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
