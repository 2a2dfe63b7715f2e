package sites.deco.buildsecrets.source;

/** What one upstream key held when it was read. Values never appear in {@code toString()}. */
public sealed interface Upstream {

  /** The key holds a valid JSON object of strings. */
  record Found(SecretData data, String version) implements Upstream {}

  /** The key does not exist, or is scheduled for deletion. */
  record Missing(MissingReason reason) implements Upstream {}

  /** The key exists but its payload breaks a rule; {@code key} names the offending member, if any. */
  record Invalid(PayloadRule rule, KeyName key, String detail) implements Upstream {
    /** A message for Events and logs: names the key and the rule, never a value. */
    public String describe() {
      String where = key == null ? "payload" : "key " + key;
      return where + ": " + rule.description() + (detail == null ? "" : " (" + detail + ")");
    }
  }

  /** The read failed; the previous state of the key is unknown. */
  record Unreachable(SourceException.Kind kind, String detail) implements Upstream {
    public String describe() {
      return kind.description() + ": " + detail;
    }
  }

  enum MissingReason {
    NOT_FOUND("not found"),
    SCHEDULED_FOR_DELETION("scheduled for deletion");

    private final String description;

    MissingReason(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }
}
