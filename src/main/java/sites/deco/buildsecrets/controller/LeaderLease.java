package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.OperatorConfig;

/**
 * Leader-election glue that JOSDK 5.2.3 lacks. Its own exit-on-stop-leading calls System.exit from
 * inside our shutdown hook, which hangs the JVM until SIGKILL; and it does not release the Lease,
 * so a standby waits a whole lease duration. Here a lost lease still exits (the pod restarts and
 * rejoins as a standby), but not while we are stopping on purpose, and a clean stop hands the
 * Lease over at once.
 */
public final class LeaderLease {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderLease.class);
  private final OperatorConfig.LeaderElection election;
  private final String identity;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private volatile Runnable whenLeading = () -> {};
  private volatile Runnable whenNotLeading = () -> {};

  public LeaderLease(OperatorConfig.LeaderElection election, String identity) {
    this.election = election;
    this.identity = identity;
  }

  /** Work that only the leader does (the fleet sweep). */
  void whileLeading(Runnable start, Runnable stop) {
    this.whenLeading = start;
    this.whenNotLeading = stop;
  }

  LeaderCallbacks callbacks() {
    return new LeaderCallbacks(
        () -> {
          LOG.info("leading as {}: this replica now writes", identity);
          whenLeading.run();
        },
        () -> {
          whenNotLeading.run();
          if (!stopping.get()) {
            LOG.error("lost the lease {} as {}: exiting so the pod restarts as a standby", election.leaseName(), identity);
            new Thread(() -> System.exit(1), "lost-lease-exit").start();
          }
        },
        leader -> LOG.info("current leader: {}", leader));
  }

  /** Marks a deliberate stop: losing the lease from now on is expected. */
  public void stopping() {
    stopping.set(true);
  }

  /** Gives the Lease up if this replica still holds it, so a standby takes over without waiting. */
  public void release(KubernetesClient client) {
    stopping();
    try {
      Lease current = client.leases().inNamespace(election.leaseNamespace()).withName(election.leaseName()).get();
      if (current == null || !identity.equals(current.getSpec().getHolderIdentity())) {
        return;
      }
      current.getSpec().setHolderIdentity(null);
      current.getSpec().setLeaseDurationSeconds(1);
      client.leases().inNamespace(election.leaseNamespace()).resource(current).update(); // fails if renewed meanwhile
      LOG.info("released the lease {}", election.leaseName());
    } catch (KubernetesClientException e) {
      LOG.warn("could not release the lease {}: HTTP {}", election.leaseName(), e.getCode());
    }
  }
}
