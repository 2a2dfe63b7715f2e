package sites.deco.buildsecrets.source;

/**
 * One thing a backend needs from its environment (credentials, region), as checked before any
 * call: what was found and, when it is missing, how to provide it. Never holds a secret: a key id
 * is shown by its last four characters at most.
 *
 * @param fix null when ok
 */
public record EnvironmentCheck(boolean ok, String what, String fix) {

  public static EnvironmentCheck ok(String what) {
    return new EnvironmentCheck(true, what, null);
  }

  public static EnvironmentCheck fail(String what, String fix) {
    return new EnvironmentCheck(false, what, fix);
  }
}
