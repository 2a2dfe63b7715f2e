package sites.deco.buildsecrets.ops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sites.deco.buildsecrets.sync.KeyDiff;

/**
 * What one {@code env} write command did, as text lines or one JSON object: names, versions and key
 * names, never a value. The status decides the exit code.
 */
final class EnvReport {
  enum Status {
    WRITTEN("written", 0), DRY_RUN("dry-run", 0), NO_CHANGE("no-change", 0), REFUSED("refused", 1),
    CONFLICT("conflict", 1), FAILED("failed", 1);

    final String label;
    final int exit;

    Status(String label, int exit) {
      this.label = label;
      this.exit = exit;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Map<String, Object> fields = new LinkedHashMap<>();
  private final List<String> lines = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private boolean failedAfterWrite;

  EnvReport(String command, EnvSite site) {
    fields.put("command", command);
    fields.put("site", site.site());
    fields.put("namespace", site.namespace());
    fields.put("key", site.key());
  }

  void line(String text) {
    lines.add(text);
  }

  void put(String field, Object value) {
    fields.put(field, value);
  }

  void change(KeyDiff diff) {
    fields.put("added", List.copyOf(diff.added()));
    fields.put("changed", List.copyOf(diff.changed()));
    fields.put("removed", List.copyOf(diff.removed()));
    line("change: " + diff);
  }

  void warn(String text) {
    warnings.add(text);
    line("warning: " + text);
  }

  /** The write went through but a later step (the sync) did not: exit 1, status stays written. */
  void failAfterWrite(String text) {
    failedAfterWrite = true;
    line("error: " + text);
    fields.put("error", text);
  }

  /** Prints the report and returns the exit code. */
  int finish(Status status, String message, PrintWriter out, HandOverSupport.Format format) {
    fields.put("status", status.label);
    if (message != null) {
      line((status.exit == 0 ? "" : status.label + ": ") + message);
      fields.put("message", message);
    }
    if (!warnings.isEmpty()) {
      fields.put("warnings", warnings);
    }
    print(out, format, lines, fields);
    return failedAfterWrite ? 1 : status.exit;
  }

  /** Text lines, or the JSON object, on {@code out}. */
  static void print(PrintWriter out, HandOverSupport.Format format, List<String> lines, Map<String, Object> json) {
    if (format == HandOverSupport.Format.json) {
      try {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("the report is plain JSON", e);
      }
    } else {
      lines.forEach(out::println);
    }
    out.flush();
  }
}
