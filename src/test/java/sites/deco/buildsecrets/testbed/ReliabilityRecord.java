package sites.deco.buildsecrets.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One row of {@code docs/reliability.md}: a fault or bad input that was tried and what the
 * operator did. A test calls {@link #passed} only after its assertions held, so the document
 * lists what the last full test run proved; {@code dev/reliability-report} renders the rows and
 * {@code dev/test} fails when the committed document differs from them.
 *
 * <p>Texts must be deterministic (no timings, no generated names) and must never hold a value.
 */
public final class ReliabilityRecord {
  private static final Path DIR = TestBed.repoRoot().resolve("target/reliability");

  private ReliabilityRecord() {}

  /**
   * @param area    the table it belongs to, e.g. "Secrets Manager faults"
   * @param trial   what was tried, e.g. "HTTP 500 on 50% of requests"
   * @param outcome what happened, e.g. "Secrets kept; Warning SourceError; converged after healing"
   */
  public static synchronized void passed(String area, String trial, String outcome) {
    String line = "{\"area\":" + json(area) + ",\"trial\":" + json(trial) + ",\"outcome\":" + json(outcome) + "}\n";
    try {
      Files.createDirectories(DIR);
      Files.writeString(DIR.resolve("records.jsonl"), line, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String json(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
