package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.CANARY;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.NAMING;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.sync.DataDigest;
import sites.deco.buildsecrets.sync.SiteRef;

/** What sync prints: key names, versions, reasons; never a value. */
class PlanDescriptionTest {

  private static PlanDescription describe(SiteRef site, Secret secret, Source source) {
    Inspection in = Inspection.of(site, secret, NAMING, source);
    PlanDescription d = PlanDescription.of(in.plan(), in.upstream());
    String all = d.text() + PlanDescription.current(in.local()) + PlanDescription.upstream(in.upstream());
    assertThat(all).doesNotContain(CliFixtures.leakForms());
    return d;
  }

  /** A managed Secret as the operator writes it: with a digest of its data, so nobody edited it since. */
  static Secret ownedAsWritten(Map<String, String> plain, String version) {
    Secret s = CliFixtures.owned(plain, version);
    return new SecretBuilder(s).editMetadata()
        .addToAnnotations(Naming.DIGEST_ANNOTATION, DataDigest.of(SecretData.fromBase64(s.getData())))
        .endMetadata().build();
  }

  private static PlanDescription describe(Secret secret, Source source) {
    return describe(CliFixtures.site("enabled"), secret, source);
  }

  @Test
  void createNamesTheKeys() {
    PlanDescription d = describe(null, CliFixtures.answering("{\"B\":\"" + CANARY + "\",\"A\":\"x\"}", "v1"));
    assertThat(d.text()).isEqualTo("create with keys [A, B] (upstream version v1)");
    assertThat(d.writes()).isTrue();
    assertThat(d.exitCode()).isZero();
  }

  @Test
  void updateNamesAddedAndChangedKeys() {
    PlanDescription d = describe(CliFixtures.owned(Map.of("KEEP", "1", "CHG", "old"), "v1"),
        CliFixtures.answering("{\"KEEP\":\"1\",\"CHG\":\"" + CANARY + "\",\"NEW\":\"" + CANARY + "\"}", "v2"));
    assertThat(d.text()).isEqualTo("update: added [NEW], removed [], changed [CHG] (version v1 -> v2)");
    assertThat(d.writes()).isTrue();
    assertThat(d.exitCode()).isZero();
  }

  @Test
  void anUpdateThatRemovesKeysIsLeftToTheOperatorsBudget() {
    PlanDescription d = describe(CliFixtures.owned(Map.of("KEEP", "1", "GONE", "2", "CHG", "old"), "v1"),
        CliFixtures.answering("{\"KEEP\":\"1\",\"CHG\":\"" + CANARY + "\",\"NEW\":\"" + CANARY + "\"}", "v2"));
    assertThat(d.text()).startsWith("update: added [NEW], removed [GONE], changed [CHG] (version v1 -> v2): it removes keys")
        .contains("fleet-wide deletion budget").contains("the command line does not").doesNotContain(CANARY);
    assertThat(d.writes()).isFalse();
    assertThat(d.exitCode()).isEqualTo(1);
  }

  @Test
  void inSyncIsNothingToDo() {
    PlanDescription d = describe(ownedAsWritten(Map.of("A", CANARY), "v1"),
        CliFixtures.answering("{\"A\":\"" + CANARY + "\"}", "v1"));
    assertThat(d.text()).isEqualTo("nothing to do (in sync, version v1)");
    assertThat(d.writes()).isFalse();
    assertThat(d.exitCode()).isZero();
  }

  @Test
  void sameDataAndVersionWithoutADigestIsRepairedByAnUpdate() {
    // No digest annotation (or one that no longer matches): edited by hand or written by an older
    // operator; the data cannot be trusted without writing it again.
    PlanDescription d = describe(CliFixtures.owned(Map.of("A", CANARY), "v1"),
        CliFixtures.answering("{\"A\":\"" + CANARY + "\"}", "v1"));
    assertThat(d.text()).isEqualTo("update: added [], removed [], changed [] (version v1 -> v1)");
    assertThat(d.writes()).isTrue();
    assertThat(d.exitCode()).isZero();
  }

  @Test
  void anOptedOutManagedSecretIsLeftToTheOperatorsBudget() {
    PlanDescription d = describe(CliFixtures.site(null), ownedAsWritten(Map.of("A", CANARY), "v1"),
        CliFixtures.missing());
    assertThat(d.text()).startsWith("delete (opt-out: namespace opted out): ")
        .contains("deletion budget").contains("approve-deletions").endsWith("the command line does not");
    assertThat(d.writes()).isFalse();
    assertThat(d.exitCode()).isEqualTo(1);
  }

  @Test
  void anUnrecognisedOptInValueShowsTheValueAndIsNotDeletedFromTheCommandLine() {
    PlanDescription d = describe(CliFixtures.site("true"), ownedAsWritten(Map.of("A", CANARY), "v1"),
        CliFixtures.missing());
    assertThat(d.text()).startsWith("delete (opt-out: namespace opted out: annotation value \"true\" does not opt in");
    assertThat(d.writes()).isFalse();
    assertThat(d.exitCode()).isEqualTo(1);
  }

  @Test
  void aTerminatingNamespaceDeletesItsSecretWithoutTheBudget() {
    SiteRef terminating = new SiteRef("sites-acme", "acme", "sites/acme/build", "enabled", true, null);
    PlanDescription d = describe(terminating, ownedAsWritten(Map.of("A", CANARY), "v1"), CliFixtures.missing());
    assertThat(d.text()).isEqualTo("delete (namespace is being deleted)");
    assertThat(d.writes()).isTrue();
    assertThat(d.exitCode()).isZero();
  }

  @Test
  void aMissingKeyNeverDeletesFromTheCommandLine() {
    PlanDescription d = describe(ownedAsWritten(Map.of("A", CANARY), "v1"), CliFixtures.missing());
    assertThat(d.writes()).isFalse();
    assertThat(d.exitCode()).isEqualTo(1);
    assertThat(d.text()).startsWith("delete (upstream missing: upstream key not found): ")
        .contains("deletion budget").endsWith("the command line does not");
    PlanDescription none = describe(null, CliFixtures.missing());
    assertThat(none.writes()).isFalse();
    assertThat(none.exitCode()).isZero();
    assertThat(none.text()).startsWith("nothing to do (upstream key not found");
  }

  @Test
  void refusalsInvalidPayloadsAndErrorsExitOne() {
    PlanDescription notOwned = describe(CliFixtures.handMade(Map.of("A", CANARY)),
        CliFixtures.answering("{\"A\":\"" + CANARY + "\"}", "v1"));
    assertThat(notOwned.text()).startsWith("refused: not owned");
    assertThat(notOwned.exitCode()).isEqualTo(1);

    PlanDescription invalid = describe(null, CliFixtures.answering("{\"GOOD\":\"" + CANARY + "\",\"BAD\":42}", "v1"));
    assertThat(invalid.text()).isEqualTo("invalid payload: key \"BAD\": value must be a JSON string (got number); nothing is written");
    assertThat(invalid.exitCode()).isEqualTo(1);

    PlanDescription error = describe(CliFixtures.owned(Map.of("A", CANARY), "v1"),
        CliFixtures.failing(SourceException.Kind.ACCESS_DENIED));
    assertThat(error.text()).startsWith("upstream error: access denied");
    assertThat(error.exitCode()).isEqualTo(1);
    assertThat(error.writes()).isFalse();
  }
}
