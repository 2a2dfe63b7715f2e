package sites.deco.buildsecrets.ops.cli;

import sites.deco.buildsecrets.sync.DeletionCause;
import sites.deco.buildsecrets.sync.Plan;

/** The STATE column of {@code status}, derived from the operator's own rule table. */
public enum StatusState {
  SYNCED("synced"),
  OUT_OF_SYNC("out-of-sync"),
  UPSTREAM_MISSING("upstream-missing"),
  DELETION_PAUSED("deletion-paused"),
  NOT_OWNED("not-owned"),
  INVALID("invalid"),
  ERROR("error"),
  OFF("off");

  private final String label;

  StatusState(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** True when a budgeted removal is due: the operator's last Event tells whether it is paused. */
  public static boolean needsLastEvent(Plan plan) {
    return plan instanceof Plan.Delete d && d.cause().budgeted() || plan instanceof Plan.Update u && u.removesKeys();
  }

  /**
   * @param lastEventDeletionPaused the namespace's most recent Event from the operator has reason DeletionPaused
   */
  public static StatusState of(Plan plan, boolean lastEventDeletionPaused) {
    return switch (plan) {
      case Plan.Create c -> OUT_OF_SYNC;
      case Plan.Update u when lastEventDeletionPaused && u.removesKeys() -> DELETION_PAUSED;
      case Plan.Update u -> OUT_OF_SYNC;
      case Plan.Delete d when lastEventDeletionPaused -> DELETION_PAUSED;
      case Plan.Delete d when d.cause() == DeletionCause.UPSTREAM_MISSING -> UPSTREAM_MISSING;
      case Plan.Delete d -> OUT_OF_SYNC;
      case Plan.Keep k -> switch (k.outcome()) {
        case UNCHANGED, CREATED, UPDATED -> SYNCED;
        case UPSTREAM_MISSING -> UPSTREAM_MISSING;
        case DELETION_PAUSED -> DELETION_PAUSED;
        case NOT_OWNED -> NOT_OWNED;
        case INVALID_PAYLOAD -> INVALID;
        case SOURCE_ERROR, WRITE_ERROR -> ERROR;
        case OPTED_OUT, UNRECOGNISED_OPT_IN, DELETED -> OFF;
      };
    };
  }
}
