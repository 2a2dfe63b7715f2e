package sites.deco.buildsecrets.source;

/**
 * A read that failed for a reason other than the key being absent. The message carries the kind
 * and provider error code only, never a payload.
 */
public final class SourceException extends Exception {
  private final Kind kind;

  public SourceException(Kind kind, String detail) {
    super(kind.description() + ": " + detail);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** A bounded set, safe as a metric label. */
  public enum Kind {
    ACCESS_DENIED("access denied"),
    DECRYPTION_FAILURE("KMS decryption failed"),
    THROTTLED("throttled"),
    TIMEOUT("timed out"),
    UNAVAILABLE("service unavailable"),
    REJECTED("request rejected");

    private final String description;

    Kind(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
