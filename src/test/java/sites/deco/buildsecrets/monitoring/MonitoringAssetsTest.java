package sites.deco.buildsecrets.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.testbed.TestBed;

/**
 * House rules for the shipped alerts and dashboard that promtool does not check: severity, the
 * annotations, runbook sections that exist, and queries that select something. (Syntax and firing
 * behaviour: dev/check-monitoring; metric names against a real scrape: MonitoringE2EIT.)
 */
class MonitoringAssetsTest {
  private static final String RUNBOOK = "https://github.com/decocms/build-secrets-operator/blob/main/docs/operations.md#";

  @Test
  void everyAlertHasASeveritySummaryDescriptionAndARunbookSectionThatExists() throws IOException {
    Set<String> anchors = Files.readAllLines(TestBed.repoRoot().resolve("docs/operations.md")).stream()
        .filter(l -> l.startsWith("#"))
        .map(l -> l.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'))
        .collect(Collectors.toSet());
    List<JsonNode> alerts = MonitoringAssets.alerts();
    assertThat(alerts).hasSizeGreaterThanOrEqualTo(10);
    for (JsonNode rule : alerts) {
      String name = rule.path("alert").asText();
      assertThat(rule.path("labels").path("severity").asText()).as(name).isIn("critical", "warning");
      assertThat(rule.path("annotations").path("summary").asText()).as(name).isNotBlank();
      assertThat(rule.path("annotations").path("description").asText()).as(name).isNotBlank();
      String runbook = rule.path("annotations").path("runbook_url").asText();
      assertThat(runbook).as(name).isEqualTo(RUNBOOK + name.toLowerCase(Locale.ROOT));
      assertThat(anchors).as("a docs/operations.md section for " + name).contains(name.toLowerCase(Locale.ROOT));
    }
  }

  @Test
  void alertsAggregatedByNamespaceNameItInTheirSummary() {
    for (JsonNode rule : MonitoringAssets.alerts()) {
      if (rule.path("expr").asText().contains("by (namespace")) {
        assertThat(rule.path("annotations").path("summary").asText()).as(rule.path("alert").asText())
            .contains("{{ $labels.namespace }}");
      }
    }
  }

  @Test
  void everyQuerySelectsAtLeastOneMetric() {
    for (MonitoringAssets.Query q : MonitoringAssets.queries()) {
      assertThat(PromqlNames.of(q.expr())).as(q.source()).isNotEmpty();
    }
    assertThat(MonitoringAssets.metricNames())
        .contains("deco_operator_buildsecrets_syncs_total", "deco_operator_buildsecrets_leader",
            "deco_operator_buildsecrets_sweep_keys", "jvm_memory_used_bytes", "process_cpu_usage");
  }
}
