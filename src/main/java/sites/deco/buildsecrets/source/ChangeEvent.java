package sites.deco.buildsecrets.source;

import java.util.List;

/** What one change-feed message says, once parsed. Carries names only, never a value. */
public sealed interface ChangeEvent {

  /**
   * A write that may have changed what the operator would write for one key.
   *
   * @param keyCandidates the key names the event may name, most likely first: an event names a
   *     secret by name or by ARN, and an ARN's last 6 characters after a dash are AWS's random
   *     suffix unless it is a partial ARN, so an ARN gives both readings
   * @param operation the API call, e.g. PutSecretValue; from a bounded set, safe as a label
   */
  record Change(List<String> keyCandidates, String operation) implements ChangeEvent {
    public Change {
      keyCandidates = List.copyOf(keyCandidates);
    }
  }

  /** Well formed but nothing to act on (a read, a failed call, another service). */
  record Ignored(String why) implements ChangeEvent {}

  /** Not JSON, or the wrong shape. {@code why} names the rule, never content. */
  record Malformed(String why) implements ChangeEvent {}

  /** Larger than {@code bound}, which no event this feed expects can be: dropped unread. */
  record TooLarge(long bytes, int bound) implements ChangeEvent {}
}
