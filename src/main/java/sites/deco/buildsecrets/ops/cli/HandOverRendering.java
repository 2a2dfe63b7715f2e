package sites.deco.buildsecrets.ops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Renders {@code adopt} and {@code release} results: detail lines, a summary table, or JSON. Pure. */
public final class HandOverRendering {
  static final List<String> HEADERS = List.of("NAMESPACE", "RESULT", "UPSTREAM", "SECRET", "VERSION", "REASON");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private HandOverRendering() {}

  /** Every namespace's detail lines, each prefixed with the namespace. */
  public static String details(List<HandOver> results) {
    StringBuilder out = new StringBuilder();
    for (HandOver r : results) {
      for (String line : r.details()) {
        out.append(r.namespace()).append(": ").append(line).append('\n');
      }
    }
    return out.toString();
  }

  /** One row per namespace, then the counts. */
  public static String table(List<HandOver> results) {
    List<List<String>> cells = new ArrayList<>();
    cells.add(HEADERS);
    for (HandOver r : results) {
      cells.add(List.of(r.namespace(), r.status().label, dash(r.upstream()), dash(r.secret()), dash(r.version()),
          dash(r.reason())));
    }
    int[] width = new int[HEADERS.size() - 1]; // the last column is not padded
    for (List<String> line : cells) {
      for (int i = 0; i < width.length; i++) {
        width[i] = Math.max(width[i], line.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (List<String> line : cells) {
      StringBuilder l = new StringBuilder();
      for (int i = 0; i < line.size(); i++) {
        l.append(line.get(i));
        if (i < width.length) {
          l.append(" ".repeat(width[i] - line.get(i).length() + 3));
        }
      }
      out.append(l.toString().stripTrailing()).append('\n');
    }
    return out.append(summary(results)).append('\n').toString();
  }

  /** "50 namespaces: 42 adopted, 8 refused". */
  public static String summary(List<HandOver> results) {
    Map<HandOver.Status, Integer> counts = counts(results);
    StringBuilder out = new StringBuilder().append(results.size())
        .append(results.size() == 1 ? " namespace" : " namespaces");
    String sep = ": ";
    for (Map.Entry<HandOver.Status, Integer> e : counts.entrySet()) {
      out.append(sep).append(e.getValue()).append(' ').append(e.getKey().label);
      sep = ", ";
    }
    return out.toString();
  }

  public static String json(List<HandOver> results, boolean dryRun) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (HandOver r : results) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("namespace", r.namespace());
      o.put("site", r.site());
      o.put("result", r.status().label);
      o.put("upstream", r.upstream());
      o.put("secret", r.secret());
      o.put("version", r.version());
      if (r.difference() != null) {
        o.put("keysOnlyUpstream", r.difference().added());
        o.put("keysOnlyInSecret", r.difference().removed());
        o.put("keysDiffering", r.difference().changed());
      }
      o.put("optIn", r.optIn());
      o.put("reason", r.reason());
      o.put("details", r.details());
      rows.add(o);
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("namespaces", results.size());
    counts(results).forEach((status, n) -> summary.put(status.label, n));
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("dryRun", dryRun);
    all.put("results", rows);
    all.put("summary", summary);
    try {
      return JSON.writeValueAsString(all) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the results as JSON", e);
    }
  }

  private static Map<HandOver.Status, Integer> counts(List<HandOver> results) {
    Map<HandOver.Status, Integer> counts = new TreeMap<>();
    results.forEach(r -> counts.merge(r.status(), 1, Integer::sum));
    return counts;
  }

  private static String dash(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }
}
