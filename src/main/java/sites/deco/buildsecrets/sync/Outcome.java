package sites.deco.buildsecrets.sync;

/**
 * The result of one reconcile of one namespace. Bounded, so it is safe as a metric label; each
 * outcome maps to at most one Event reason.
 */
public enum Outcome {
  CREATED("created", EventType.NORMAL, "Created", "synced"),
  UPDATED("updated", EventType.NORMAL, "Updated", "synced"),
  UNCHANGED("unchanged", null, null, "synced"),
  DELETED("deleted", EventType.NORMAL, "Deleted", "off"),
  OPTED_OUT("opted_out", null, null, "off"),
  UNRECOGNISED_OPT_IN("opted_out", EventType.WARNING, "UnrecognisedOptIn", "off"),
  UPSTREAM_MISSING("upstream_missing", EventType.NORMAL, "UpstreamMissing", "upstream-missing"),
  NOT_OWNED("not_owned", EventType.WARNING, "NotOwned", "not-owned"),
  INVALID_PAYLOAD("invalid_payload", EventType.WARNING, "InvalidPayload", "invalid"),
  SOURCE_ERROR("source_error", EventType.WARNING, "SourceError", "error"),
  DELETION_PAUSED("deletion_paused", EventType.WARNING, "DeletionPaused", "deletion-paused"),
  /** The API server refused or dropped a Secret write (5xx, timeout, lost connection); retried within seconds. */
  WRITE_ERROR("write_error", EventType.WARNING, "WriteFailed", "error");

  public enum EventType {
    NORMAL("Normal"),
    WARNING("Warning");

    private final String apiValue;

    EventType(String apiValue) {
      this.apiValue = apiValue;
    }

    public String apiValue() {
      return apiValue;
    }
  }

  private final String metricLabel;
  private final EventType eventType;
  private final String eventReason;
  private final String state;

  Outcome(String metricLabel, EventType eventType, String eventReason, String state) {
    this.metricLabel = metricLabel;
    this.eventType = eventType;
    this.eventReason = eventReason;
    this.state = state;
  }

  public String metricLabel() {
    return metricLabel;
  }

  /** Null when the outcome is not worth an Event. */
  public EventType eventType() {
    return eventType;
  }

  public String eventReason() {
    return eventReason;
  }

  /** The Secret holds what upstream holds. */
  public boolean synced() {
    return state.equals("synced");
  }

  /** The state shown by {@code status}: synced, upstream-missing, not-owned, invalid, error, deletion-paused, off. */
  public String state() {
    return state;
  }
}
