package sites.deco.buildsecrets.ops;

import org.slf4j.LoggerFactory;

/**
 * SIGTERM as an ordinary request to stop. The JVM's own handler runs the shutdown hooks and then
 * exits with 143 (128 + SIGTERM), which Kubernetes and systemd report as a failure of every clean
 * stop. With this handler the stop runs first and the process exits 0; other signals keep the
 * JVM's handling.
 */
final class ShutdownSignal {
  private ShutdownSignal() {}

  /**
   * Runs {@code stop} when SIGTERM arrives. Returns false, leaving the JVM's
   * handler in place (exit 143 after the shutdown hooks), when the JVM does not let the signal be
   * handled (for example with {@code -Xrs}).
   */
  static boolean onTerm(Runnable stop) {
    try {
      // The JVM calls the handler on a new thread of its own for each signal.
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> stop.run());
      return true;
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LoggerFactory.getLogger(ShutdownSignal.class).debug("SIGTERM not handled: {}", e.getMessage());
      return false;
    }
  }
}
