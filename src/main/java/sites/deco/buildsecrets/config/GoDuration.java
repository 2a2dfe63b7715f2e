package sites.deco.buildsecrets.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations in Go's {@code time.ParseDuration} syntax ({@code 15m}, {@code 1h30m}, {@code 90s},
 * {@code 500ms}, {@code 0}), so flags read the same as the Go operator's. Anything else is an error,
 * never silently replaced by a default.
 */
public final class GoDuration {
  private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:\\.\\d+)?(?:ns|us|µs|ms|s|m|h))+");
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private GoDuration() {}

  public static Duration parse(String text) {
    String s = text == null ? "" : text.trim();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (!WHOLE.matcher(s).matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration: use Go syntax such as 15m, 1h30m, 90s or 0");
    }
    double nanos = 0;
    Matcher m = PART.matcher(s);
    while (m.find()) {
      nanos += Double.parseDouble(m.group(1)) * unitNanos(m.group(2));
    }
    return Duration.ofNanos(Math.round(nanos));
  }

  /**
   * A time left, for people: rounded up to whole seconds (at least 1s), since a computed remainder
   * such as 59.98 s would otherwise print exactly, in nanoseconds.
   */
  public static String formatWholeSecondsUp(Duration d) {
    long seconds = Math.max(1, (d.toMillis() + 999) / 1000);
    return format(Duration.ofSeconds(seconds));
  }

  /** Formats a duration back into Go syntax, for logs and {@code --help}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    if (d.toNanosPart() % 1_000_000 != 0) {
      return d.toNanos() + "ns"; // exact, so parse(format(d)) == d
    }
    StringBuilder out = new StringBuilder();
    long h = d.toHours();
    int m = d.toMinutesPart();
    int s = d.toSecondsPart();
    int ms = d.toMillisPart();
    if (h > 0) out.append(h).append('h');
    if (m > 0) out.append(m).append('m');
    if (s > 0) out.append(s).append('s');
    if (ms > 0) out.append(ms).append("ms");
    return out.isEmpty() ? d.toNanos() + "ns" : out.toString();
  }

  private static double unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1;
      case "us", "µs" -> 1e3;
      case "ms" -> 1e6;
      case "s" -> 1e9;
      case "m" -> 60e9;
      case "h" -> 3600e9;
      default -> throw new IllegalStateException(unit);
    };
  }
}
