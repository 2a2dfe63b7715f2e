package sites.deco.buildsecrets.source;

/** Makes untrusted names (keys, namespaces) safe and short for Events and log lines. */
public final class Printable {
  static final int MAX_LENGTH = 80;

  private Printable() {}

  /** Quotes a name, escaping control and non-ASCII characters and cutting it at 80 characters. */
  public static String quote(String name) {
    StringBuilder out = new StringBuilder("\"");
    int shown = 0;
    for (int i = 0; i < name.length() && shown < MAX_LENGTH; i++, shown++) {
      char c = name.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    if (name.length() > MAX_LENGTH) {
      out.append("…(").append(name.length()).append(" chars)");
    }
    return out.append('"').toString();
  }
}
