package sites.deco.buildsecrets.source.aws;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The one thread that times every AWS client's calls out. Without it the SDK starts a scheduled
 * pool of up to five threads per client; a timeout task only cancels a call, so one thread serves
 * every client. The SDK never shuts down an executor it was given; this one is a daemon.
 */
final class CallTimeoutScheduler {
  static final ScheduledExecutorService SHARED = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "aws-call-timeouts");
    t.setDaemon(true);
    return t;
  });

  private CallTimeoutScheduler() {}
}
