package sites.deco.buildsecrets.source;

/**
 * A read that failed for a reason other than the key being absent. The message carries the kind
 * and provider error code only, never a payload.
 */
public final class SourceException extends Exception {
  private final Kind kind;
  private final String detail;

  public SourceException(Kind kind, String detail) {
    super(kind.description() + ": " + detail);
    this.kind = kind;
    this.detail = detail;
  }

  public Kind kind() {
    return kind;
  }

  /** The message without the kind, for messages that name the kind themselves. */
  public String detail() {
    return detail;
  }

  /** A bounded set, safe as a metric label. */
  public enum Kind {
    /** The IAM policy explicitly denies the call: the one kind that may switch the operator to per-key reads. */
    ACCESS_DENIED("access denied"),
    /** Expired, invalid or unrecognised credentials, or a bad signature: a transient identity problem, not a policy. */
    CREDENTIALS("credentials rejected"),
    DECRYPTION_FAILURE("KMS decryption failed"),
    THROTTLED("throttled"),
    TIMEOUT("timed out"),
    UNAVAILABLE("service unavailable"),
    /** No HTTP answer at all: connection refused, reset or closed before a response. */
    UNREACHABLE("unreachable"),
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
