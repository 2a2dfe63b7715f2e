package sites.deco.buildsecrets.source;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * A queue of upstream change hints: each message says that some key may have changed.
 * A hint is never the truth: the consumer reads the key and applies the ordinary rule table.
 * Messages are taken out of sight when received and come back unless deleted, so a message is
 * deleted only once its read has been applied or found to need nothing.
 */
public interface ChangeFeed extends AutoCloseable {

  /**
   * One received message, parsed on receipt: only what the read needs is kept (the key names and
   * the operation), never the body, so a round of messages costs a few hundred bytes each.
   */
  record Message(String id, String receiptHandle, ChangeEvent event, Instant sent) {
    @Override
    public String toString() {
      return "Message[" + id + "]";
    }
  }

  /**
   * Waits up to {@code waitSeconds} (0: no wait) for at most {@code max} messages.
   *
   * @throws SourceException when the queue is missing, denied or unreachable
   */
  List<Message> receive(int max, int waitSeconds) throws SourceException;

  /** Deletes handled messages; best effort, a message not deleted is redelivered and handled again. */
  void delete(Collection<Message> messages) throws SourceException;

  /** A cheap check that the queue exists and may be read (doctor); returns a short description. */
  String check() throws SourceException;

  @Override
  void close();
}
