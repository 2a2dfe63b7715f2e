package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.UpstreamWriter;

class EnvHistoryAndRollbackTest {
  private static final String CANARY = CliFixtures.CANARY;
  private static final EnvSite SITE = new EnvSite("acme", "sites-acme", "sites/acme/build", null);

  private static UpstreamWriter.Version version(String id, int second, String json, String... stages) {
    return new UpstreamWriter.Version(id, Instant.ofEpochSecond(second), List.of(stages), PayloadParser.parse(json, id));
  }

  private static final List<UpstreamWriter.Version> NEWEST_FIRST = List.of(
      version("v4", 40, "{\"A\":\"" + CANARY + "\"}"),
      version("v3", 30, "{\"A\":\"1\",\"B\":\"2\",\"C\":\"3\"}", "AWSCURRENT"),
      version("v2", 20, "{\"A\":\"1\",\"B\":2}"),
      version("v1", 10, "{\"A\":\"0\",\"B\":\"" + CANARY + "\"}", "AWSPREVIOUS"));

  @Test
  void historyComparesEachVersionWithTheOneStoredBeforeItByKeyNames() {
    List<Map<String, Object>> rows = EnvHistoryCommand.rows(NEWEST_FIRST);
    assertThat(rows).extracting(r -> r.get("version")).containsExactly("v4", "v3", "v2", "v1");
    assertThat(rows.get(0).get("change")).isEqualTo("removed [B, C], changed [A]");
    assertThat(rows.get(1).get("change")).isEqualTo("keys [A, B, C] (the version before is invalid)");
    assertThat(rows.get(2).get("change")).isEqualTo(
        "refused by the operator: key \"B\": value must be a JSON string (got number)");
    assertThat(rows.get(3).get("change")).isEqualTo("added [A, B]");
    assertThat(rows.get(3).get("added")).isEqualTo(List.of("A", "B"));
    assertThat(rows.toString()).doesNotContain(CANARY);
  }

  private static EnvWrite.Proposal plan(String to) {
    return EnvRollbackCommand.plan(NEWEST_FIRST, to, SITE.key(), new EnvReport("rollback", SITE));
  }

  @Test
  void previousIsTheVersionLabelledAwsPreviousAndTheChangeIsFromTheCurrentOne() {
    EnvWrite.Proposal.Change change = (EnvWrite.Proposal.Change) plan(null);
    assertThat(change.needed()).isTrue();
    assertThat(change.before()).isEqualTo(SecretData.fromStrings(Map.of("A", "1", "B", "2", "C", "3")));
    assertThat(change.after()).isEqualTo(SecretData.fromStrings(Map.of("A", "0", "B", CANARY)));
  }

  @Test
  void aVersionTheOperatorRefusesOrDoesNotHoldIsRefusedAndTheCurrentOneChangesNothing() {
    assertThat(plan("v2")).isInstanceOfSatisfying(EnvWrite.Proposal.Refused.class, r -> assertThat(r.reason())
        .isEqualTo("version v2 is refused by the operator (key \"B\": value must be a JSON string (got number)): it "
            + "cannot become current"));
    assertThat(plan("v9")).isInstanceOfSatisfying(EnvWrite.Proposal.Refused.class, r -> assertThat(r.reason())
        .startsWith("version v9 is not among the versions"));
    assertThat(((EnvWrite.Proposal.Change) plan("v3")).needed()).isFalse();
  }

  @Test
  void withoutAwsPreviousThePreviousIsTheOneStoredBeforeTheCurrent() {
    List<UpstreamWriter.Version> unlabelled = List.of(version("v2", 20, "{\"A\":\"2\"}", "AWSCURRENT"),
        version("v1", 10, "{\"A\":\"1\"}"));
    EnvWrite.Proposal p = EnvRollbackCommand.plan(unlabelled, null, SITE.key(), new EnvReport("rollback", SITE));
    assertThat(((EnvWrite.Proposal.Change) p).after()).isEqualTo(SecretData.fromStrings(Map.of("A", "1")));
    EnvWrite.Proposal none = EnvRollbackCommand.plan(unlabelled.subList(0, 1), null, SITE.key(),
        new EnvReport("rollback", SITE));
    assertThat(none).isInstanceOf(EnvWrite.Proposal.Refused.class);
  }
}
