package sites.deco.buildsecrets.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.CANARY;
import static sites.deco.buildsecrets.ops.cli.CliFixtures.NAMING;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.sync.DeletionLedger;

class StatusRenderingTest {

  private static StatusRow row(String ns, StatusState state, String up, String local) {
    return new StatusRow(ns, ns.substring("sites-".length()), state, up, local, "5m", false);
  }

  @Test
  void aTableHasAlignedColumnsDashesForMissingVersionsAndCountsTheOthers() {
    String table = StatusRendering.table(List.of(
        row("sites-acme", StatusState.SYNCED, "v1", "v1"),
        row("sites-b", StatusState.UPSTREAM_MISSING, null, null)), 3);
    List<String> lines = table.lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).startsWith("NAMESPACE    SITE   STATE              UPSTREAM-VERSION   SECRET-VERSION   AGE");
    assertThat(lines.get(1)).isEqualTo("sites-acme   acme   synced             v1                 v1               5m");
    assertThat(lines.get(2)).isEqualTo("sites-b      b      upstream-missing   -                  -                5m");
    assertThat(lines.get(3)).isEqualTo("3 other site namespaces are not opted in (state off).");
  }

  @Test
  void standingApprovalsAreNamedWithTheWayToRemoveThem() throws Exception {
    List<StatusRow> rows = List.of(
        row("sites-acme", StatusState.SYNCED, "v1", "v1"),
        new StatusRow("sites-b", "b", StatusState.SYNCED, "v2", "v2", "5m", true));

    String table = StatusRendering.table(rows, 0);
    JsonNode json = new ObjectMapper().readTree(StatusRendering.json(rows));

    assertThat(table.lines().toList().get(3)).startsWith("Deletion approvals still standing in sites-b:")
        .contains("kubectl annotate ns <namespace> deco.sites/build-secrets-deletion-approved-");
    assertThat(json.get(0).get("standingDeletionApproval").asBoolean()).isFalse();
    assertThat(json.get(1).get("standingDeletionApproval").asBoolean()).isTrue();
    assertThat(StatusRendering.table(List.of(rows.get(0)), 0)).doesNotContain("standing");
  }

  @Test
  void anEmptyFleetSaysSo() {
    assertThat(StatusRendering.table(List.of(), 0)).isEqualTo("No opted-in site namespaces.\n");
    assertThat(StatusRendering.table(List.of(), 1)).contains("1 other site namespace is not opted in");
  }

  @Test
  void jsonIsAnArrayWithTheSameFields() throws Exception {
    JsonNode json = new ObjectMapper().readTree(StatusRendering.json(List.of(
        row("sites-acme", StatusState.OUT_OF_SYNC, "v2", "v1"), row("sites-b", StatusState.NOT_OWNED, null, null))));
    assertThat(json.isArray()).isTrue();
    assertThat(json).hasSize(2);
    JsonNode first = json.get(0);
    assertThat(first.fieldNames()).toIterable()
        .containsExactly("namespace", "site", "state", "upstreamVersion", "secretVersion", "age", "standingDeletionApproval");
    assertThat(first.get("state").asText()).isEqualTo("out-of-sync");
    assertThat(first.get("upstreamVersion").asText()).isEqualTo("v2");
    assertThat(json.get(1).get("secretVersion").isNull()).isTrue();
    assertThat(new ObjectMapper().readTree(StatusRendering.json(List.of())).isArray()).isTrue();
  }

  @Test
  void noRenderingEverShowsAValue() {
    String payload = "{\"TOKEN\":\"" + CANARY + "\"}";
    Inspection synced = Inspection.of(CliFixtures.site("enabled"),
        PlanDescriptionTest.ownedAsWritten(Map.of("TOKEN", CANARY), "v1"),
        NAMING, CliFixtures.answering(payload, "v1"));
    Inspection changed = Inspection.of(CliFixtures.site("enabled"), CliFixtures.owned(Map.of("TOKEN", "old"), "v0"),
        NAMING, CliFixtures.answering(payload, "v1"));
    List<StatusRow> rows = List.of(
        new StatusRow("sites-acme", "acme", StatusState.of(synced.plan(), false), synced.upstreamVersion(),
            synced.secretVersion(), "1m", false),
        new StatusRow("sites-acme", "acme", StatusState.of(changed.plan(), false), changed.upstreamVersion(),
            changed.secretVersion(), "1m", false));
    String out = StatusRendering.table(rows, 0) + StatusRendering.json(rows) + synced + changed;
    assertThat(out).doesNotContain(CliFixtures.leakForms()).contains("synced", "out-of-sync");
  }

  @Test
  void theGuardNoteShowsATripAndTheRecordedDeletionsFromTheLedger() {
    Instant now = Instant.parse("2026-12-05T12:00:00Z");
    DeletionLedger.State ledger = new DeletionLedger.State(now.minusSeconds(300), List.of(
        new DeletionLedger.Sent(now.minusSeconds(400), "uid-1"), new DeletionLedger.Sent(now.minusSeconds(310), "uid-2")));

    assertThat(StatusRendering.guardNote(ledger, "ConfigMap ops/ledger", now)).isEqualTo("""
        Deletion guard tripped 5m ago (ConfigMap ops/ledger): budgeted deletions stay paused until the cause \
        is undone or each deletion is approved (approve-deletions).
        Deletion ledger: 2 budgeted deletions recorded, the latest 5m10s ago; those within the budget window \
        (the resync period, or 15m without resync) count.
        """);
    assertThat(StatusRendering.guardNote(DeletionLedger.State.EMPTY, "ConfigMap ops/ledger", now)).isNull();
  }
}
