package sites.deco.buildsecrets.sync;

import sites.deco.buildsecrets.source.SecretData;

/** What one reconcile will do: at most one write, and the outcome it reports. */
public sealed interface Plan {
  Outcome outcome();

  /** A human-readable sentence for the Event and log line; names keys at most. */
  String message();

  record Create(SecretData data, String version) implements Plan {
    public Outcome outcome() {
      return Outcome.CREATED;
    }

    public String message() {
      return "created from upstream version " + version + " with keys " + data.keys();
    }
  }

  record Update(LocalSecret.Managed current, SecretData data, String version) implements Plan {
    public Outcome outcome() {
      return Outcome.UPDATED;
    }

    public String message() {
      return "updated to upstream version " + version + ": " + KeyDiff.between(current.observed(), data);
    }

    /** Whether it drops keys from the Secret: a removal the deletion guard must consent to, like a deletion. */
    public boolean removesKeys() {
      return current.observed().hasKeyOutside(data);
    }
  }

  /**
   * @param cause decides whether the fleet-wide deletion guard must consent
   * @param why the rule that asked for it, for messages
   */
  record Delete(LocalSecret.Managed current, DeletionCause cause, String why) implements Plan {
    public Outcome outcome() {
      return Outcome.DELETED;
    }

    public String message() {
      return "deleted: " + why;
    }
  }

  /** No write. */
  record Keep(Outcome outcome, String message) implements Plan {}
}
