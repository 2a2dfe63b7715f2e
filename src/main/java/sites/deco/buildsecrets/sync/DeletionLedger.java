package sites.deco.buildsecrets.sync;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where the deletion guard keeps what a restart or a leader hand-over must not forget: that it
 * tripped, and the budgeted deletions sent within the budget window. Kept only in memory, a new
 * process would start with an open latch and a full budget, so the leftovers of a partly undone
 * mistake, or a crash loop, could delete past the budget.
 */
public interface DeletionLedger {

  /** The last saved state; {@link State#EMPTY} when none was ever saved. */
  State load() throws Unavailable;

  /**
   * Replaces the saved state, once it is durable. Returns what is now saved: {@code state}, or its
   * {@link State#merge union} with what another writer saved in between.
   */
  State save(State state) throws Unavailable;

  /** Where it lives, for messages: "ConfigMap ops/build-secrets-deletion-ledger" or "memory only". */
  String describe();

  /** A budgeted deletion: when it was sent, and which Secret (a cache that still holds it must not count it twice). */
  record Sent(Instant at, String secretUid) {}

  /**
   * @param trippedSince when the guard tripped; null while it is not tripped
   * @param sent budgeted deletions, oldest first
   */
  record State(Instant trippedSince, List<Sent> sent) {
    public static final State EMPTY = new State(null, List.of());

    public State {
      sent = List.copyOf(sent);
    }

    public boolean tripped() {
      return trippedSince != null;
    }

    public State trip(Instant now) {
      return tripped() ? this : new State(now, sent);
    }

    State untrip() {
      return new State(null, sent);
    }

    public State with(Sent deletion) {
      List<Sent> more = new ArrayList<>(sent);
      more.add(deletion);
      return new State(trippedSince, more);
    }

    State without(Sent deletion) {
      List<Sent> fewer = new ArrayList<>(sent);
      fewer.remove(deletion);
      return new State(trippedSince, fewer);
    }

    /** Forgets deletions sent before {@code since}: they no longer count against the budget. */
    State since(Instant since) {
      return new State(trippedSince, sent.stream().filter(s -> !s.at().isBefore(since)).toList());
    }

    /** The Secret UIDs deleted at or after {@code since}. */
    Set<String> uidsSince(Instant since) {
      Set<String> uids = new LinkedHashSet<>();
      sent.stream().filter(s -> !s.at().isBefore(since)).forEach(s -> uids.add(s.secretUid()));
      return uids;
    }

    /**
     * Two writers' states joined the cautious way: every deletion either recorded, and tripped
     * since the earlier trip if either is tripped.
     */
    public State merge(State other) {
      Set<Sent> all = new LinkedHashSet<>(sent);
      all.addAll(other.sent);
      Instant since = trippedSince == null ? other.trippedSince
          : other.trippedSince == null || trippedSince.isBefore(other.trippedSince) ? trippedSince : other.trippedSince;
      return new State(since, all.stream().sorted(Comparator.comparing(Sent::at)).toList());
    }
  }

  /** The ledger could not be read or written; the message says where and why, never with any value. */
  final class Unavailable extends Exception {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A ledger that a restart forgets: for local runs without a namespace to keep one in, and for tests. */
  public static DeletionLedger inMemory() {
    return new DeletionLedger() {
      private volatile State saved = State.EMPTY;

      @Override
      public State load() {
        return saved;
      }

      @Override
      public State save(State state) {
        saved = state;
        return state;
      }

      @Override
      public String describe() {
        return "memory only";
      }
    };
  }
}
