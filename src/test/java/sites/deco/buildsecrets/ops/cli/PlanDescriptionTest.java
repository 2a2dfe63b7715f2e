package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.CANARY;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.NAMING;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
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
  void updateNamesAddedRemovedAndChangedKeys() {
    PlanDescription d = describe(CliFixtures.owned(Map.of("KEEP", "1", "GONE", "2", "CHG", "old"), "v1"),
        CliFixtures.answering("{\"KEEP\":\"1\",\"CHG\":\"" + CANARY + "\",\"NEW\":\"" + CANARY + "\"}", "v2"));
    assertThat(d.text()).isEqualTo("update: added [NEW], removed [GONE], changed [CHG] (version v1 -> v2)");
    assertThat(d.writes()).isTrue();
  }

  @Test
  void inSyncIsNothingToDo() {
    PlanDescription d = describe(CliFixtures.owned(Map.of("A", CANARY), "v1"),
        CliFixtures.answering("{\"A\":\"" + CANARY + "\"}", "v1"));
    assertThat(d.text()).isEqualTo("nothing to do (in sync, version v1)");
    assertThat(d.writes()).isFalse();
    assertThat(d.exitCode()).isZero();
  }

  @Test
  void anOptedOutManagedSecretIsDeleted() {
    PlanDescription d = describe(CliFixtures.site(null), CliFixtures.owned(Map.of("A", CANARY), "v1"),
        CliFixtures.missing());
    assertThat(d.text()).isEqualTo("delete (opted out)");
    assertThat(d.writes()).isTrue();
  }

  @Test
  void aMissingKeyNeverDeletesFromTheCommandLine() {
    PlanDescription d = describe(CliFixtures.owned(Map.of("A", CANARY), "v1"), CliFixtures.missing());
    assertThat(d.writes()).isFalse();
    assertThat(d.exitCode()).isEqualTo(1);
    assertThat(d.text()).startsWith("refused: upstream key not found").contains("never deletes");
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
