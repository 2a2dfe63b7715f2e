package sites.deco.buildsecrets.ops.cli;

import java.util.List;
import sites.deco.buildsecrets.sync.KeyDiff;

/**
 * What {@code adopt} or {@code release} did, or would do, to one namespace. Names, versions, key
 * names and reasons only: never a value.
 *
 * @param upstream the upstream action: none, create, put-value ("-" when not decided)
 * @param secret the Secret action, in words
 * @param version the upstream version the Secret is (or would be) annotated with; null when none
 * @param difference the Secret against upstream as read; null when not compared
 * @param optIn the opt-in annotation: "already", "set", "would-set"; null when not relevant
 * @param reason why it was refused, aborted or failed; null otherwise
 * @param details the lines a person reads, in order
 */
public record HandOver(
    String namespace, String site, Status status, String upstream, String secret, String version,
    KeyDiff difference, String optIn, String reason, List<String> details) {

  public enum Status {
    ADOPTED("adopted"),
    WOULD_ADOPT("would-adopt"),
    ALREADY_MANAGED("already-managed"),
    RELEASED("released"),
    WOULD_RELEASE("would-release"),
    NOT_MANAGED("not-managed"),
    REFUSED("refused"),
    ABORTED("aborted"),
    ERROR("error");

    public final String label;

    Status(String label) {
      this.label = label;
    }

    /** Counts toward exit status 1. */
    public boolean failed() {
      return this == REFUSED || this == ABORTED || this == ERROR;
    }
  }
}
