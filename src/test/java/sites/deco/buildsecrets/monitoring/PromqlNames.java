package sites.deco.buildsecrets.monitoring;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects. A small lexer, not a parser: promtool parses every
 * expression in dev/check-monitoring, so the input here is known to be valid PromQL (with Grafana
 * variables). It drops string literals, label matchers ({...}), ranges ([...]) and the label lists
 * of by/without/on/ignoring/group_left/group_right, then keeps every identifier that is neither a
 * function or aggregation (followed by "("), a keyword, nor part of a number or duration.
 */
final class PromqlNames {
  private static final Set<String> KEYWORDS = Set.of(
      "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
      "inf", "nan", "atan2", "start", "end");
  private static final Pattern LABEL_LIST =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:.$])[a-zA-Z_:][\\w:]*");

  private PromqlNames() {}

  static Set<String> of(String expr) {
    String s = expr
        .replaceAll("\"(\\\\.|[^\"\\\\])*\"", " ")
        .replaceAll("'(\\\\.|[^'\\\\])*'", " ")
        .replaceAll("`[^`]*`", " ")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^\\]]*]", " ");
    s = LABEL_LIST.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String word = m.group();
      int next = m.end();
      while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
        next++;
      }
      boolean call = next < s.length() && s.charAt(next) == '(';
      if (!call && !KEYWORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
        names.add(word);
      }
    }
    return names;
  }
}
