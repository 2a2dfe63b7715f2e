package sites.deco.buildsecrets.ops.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the env-file format of {@code env set --from-env-file}: one {@code KEY=VALUE} a line, blank
 * lines and lines starting with {@code #} skipped, an optional {@code export } prefix. A value in
 * double quotes may use the escapes {@code \n \t \" \\}; one in single quotes is taken literally;
 * an unquoted value is the rest of the line without surrounding blanks (no comments, no expansion). An
 * error names the line by its number only: the line may hold a value.
 */
final class EnvFile {
  private EnvFile() {}

  /** The assignments in file order; IllegalArgumentException (exit 2) names the first bad line. */
  static Map<String, String> parse(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("export ")) {
        line = line.substring("export ".length()).stripLeading();
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("env file line " + (i + 1) + " is not KEY=VALUE");
      }
      String key = line.substring(0, eq).strip();
      if (out.containsKey(key)) {
        throw new IllegalArgumentException("env file line " + (i + 1) + " sets a key an earlier line sets");
      }
      out.put(key, value(line.substring(eq + 1), i + 1));
    }
    return out;
  }

  private static String value(String text, int lineNumber) {
    String raw = text.strip();
    if (raw.length() >= 2 && raw.startsWith("'") && raw.endsWith("'")) {
      return raw.substring(1, raw.length() - 1);
    }
    if (!raw.startsWith("\"")) {
      if (raw.startsWith("'")) {
        throw new IllegalArgumentException("env file line " + lineNumber + " has an unterminated quote");
      }
      return raw;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '"') {
        if (i != raw.length() - 1) {
          throw new IllegalArgumentException("env file line " + lineNumber + " has text after its closing quote");
        }
        return out.toString();
      }
      if (c == '\\' && i + 1 < raw.length()) {
        char next = raw.charAt(++i);
        out.append(switch (next) {
          case 'n' -> '\n';
          case 't' -> '\t';
          case 'r' -> '\r';
          case '"', '\\' -> next;
          default -> throw new IllegalArgumentException(
              "env file line " + lineNumber + " has an unknown escape (use \\n, \\t, \\r, \\\" or \\\\)");
        });
      } else {
        out.append(c);
      }
    }
    throw new IllegalArgumentException("env file line " + lineNumber + " has an unterminated quote");
  }
}
