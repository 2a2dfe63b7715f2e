package sites.deco.buildsecrets.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import sites.deco.buildsecrets.testbed.TestBed;

/** The alert rules and the dashboard shipped in chart/monitoring, as the tests read them. */
public final class MonitoringAssets {
  static final Path RULES = TestBed.repoRoot().resolve("chart/monitoring/rules.yaml");
  static final Path DASHBOARD = TestBed.repoRoot().resolve("chart/monitoring/dashboard.json");

  /** One query and where it comes from (an alert name, or a panel title). */
  public record Query(String source, String expr) {}

  private MonitoringAssets() {}

  public static List<JsonNode> alerts() {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode group : read(RULES, new ObjectMapper(new YAMLFactory())).path("groups")) {
      group.path("rules").forEach(out::add);
    }
    return out;
  }

  public static List<Query> queries() {
    List<Query> out = new ArrayList<>();
    for (JsonNode rule : alerts()) {
      out.add(new Query("alert " + rule.path("alert").asText(), rule.path("expr").asText()));
    }
    collectPanels(read(DASHBOARD, new ObjectMapper()).path("panels"), out);
    return out;
  }

  /** Every metric name the rules and the dashboard select. */
  public static Set<String> metricNames() {
    Set<String> names = new TreeSet<>();
    queries().forEach(q -> names.addAll(PromqlNames.of(q.expr())));
    return names;
  }

  private static void collectPanels(JsonNode panels, List<Query> out) {
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        out.add(new Query("panel " + panel.path("title").asText(), target.path("expr").asText()));
      }
      collectPanels(panel.path("panels"), out);
    }
  }

  private static JsonNode read(Path file, ObjectMapper mapper) {
    try {
      return mapper.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
