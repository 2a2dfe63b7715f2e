package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.Outcome;
import sites.deco.buildsecrets.sync.Plan;
import sites.deco.buildsecrets.sync.ReadSchedule;
import sites.deco.buildsecrets.kube.SecretWriter;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SiteState;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.sync.SyncRules;

/**
 * Reconciles one site Namespace, in four steps: observe (the cached Secret, the namespace's
 * annotations, the upstream answer waiting in {@link UpstreamAnswers} or a direct read when the
 * rule table needs one), decide ({@link SyncRules}, then {@link DeletionAdmission}), act (at most
 * one write, re-deciding on a conflict), record ({@link ReconcileRecorder}) and requeue ({@link
 * ReadSchedule}). Its parts are built by {@link OperatorWiring}. The primary is the Namespace; the
 * {@code build-secrets} Secrets and the upstream answers are its secondary resources. No finalizer
 * is put on Namespaces.
 */
// triggerReconcilerOnAllEvents: without a finalizer JOSDK would skip a Namespace marked for
// deletion, and a Terminating namespace must still lose its managed Secret.
@ControllerConfiguration(
    name = BuildSecretsReconciler.NAME,
    generationAwareEventProcessing = false,
    triggerReconcilerOnAllEvents = true)
public final class BuildSecretsReconciler implements Reconciler<Namespace> {
  public static final String NAME = "build-secrets";
  private static final Logger LOG = LoggerFactory.getLogger(BuildSecretsReconciler.class);
  private static final int MAX_CONFLICT_ROUNDS = 3;

  /** What a reconcile works with, built once the client and caches exist. */
  record Parts(
      List<EventSource<?, Namespace>> eventSources,
      UpstreamAnswers answers,
      ChangeDetection detection,
      SecretWriter writer,
      DeletionAdmission admission,
      ReconcileRecorder recorder) {}

  private final Naming naming;
  private final SiteStore store;
  private final ReadSchedule schedule;
  private final Clock clock;
  private final Function<EventSourceContext<Namespace>, Parts> assemble;
  private Parts parts;

  BuildSecretsReconciler(Naming naming, SiteStore store, ReadSchedule schedule, Clock clock,
      Function<EventSourceContext<Namespace>, Parts> assemble) {
    this.naming = naming;
    this.store = store;
    this.schedule = schedule;
    this.clock = clock;
    this.assemble = assemble;
  }

  @Override
  public List<EventSource<?, Namespace>> prepareEventSources(EventSourceContext<Namespace> context) {
    parts = assemble.apply(context);
    return parts.eventSources();
  }

  Parts parts() {
    return parts;
  }

  @Override
  public UpdateControl<Namespace> reconcile(Namespace namespace, Context<Namespace> context) {
    Optional<SiteRef> maybeSite = SiteRef.from(namespace, naming);
    if (maybeSite.isEmpty()) {
      return UpdateControl.noUpdate();
    }
    SiteRef site = maybeSite.get();
    if (context.isPrimaryResourceDeleted()) {
      store.forget(site.namespace()); // gone with everything in it
      parts.answers().forget(site.namespace());
      return UpdateControl.noUpdate();
    }
    long start = System.nanoTime();
    Instant now = clock.instant();
    // Observe.
    Secret secret = context.getSecondaryResource(Secret.class).orElse(null);
    LocalSecret local = LocalSecret.of(secret, naming);
    String approval = FleetCaches.annotation(namespace, Naming.DELETION_APPROVAL_ANNOTATION);
    Optional<UpstreamAnswer> offered = context.getSecondaryResource(UpstreamAnswer.class);
    // Taken even when not needed, so the sweep sees this namespace's reconcile has started.
    offered.ifPresent(a -> parts.answers().taken(site.namespace(), a));
    Upstream upstream = null;
    if (SyncRules.needsUpstream(site, local)) {
      if (offered.isPresent() && Objects.equals(offered.get().syncToken(), site.syncToken())) {
        upstream = offered.get().upstream();
      } else {
        Optional<Duration> wait = store.waitIfUnchanged(site.namespace(), fingerprint(site, secret, approval), now);
        if (wait.isPresent()) {
          return parts.detection().sweeping()
              ? UpdateControl.noUpdate() : UpdateControl.<Namespace>noUpdate().rescheduleAfter(wait.get());
        }
        if (parts.detection().deferToSweep(site.namespace())) {
          return UpdateControl.noUpdate();
        }
        upstream = parts.detection().read(site);
      }
      store.noteRead(site.namespace(), upstream, now);
    }
    // Decide, act, record; a conflict re-reads the Secret and decides again with the same answer.
    Plan plan = SyncRules.decide(site, local, upstream);
    for (int round = 1; ; round++) {
      parts.admission().noteKeyRemoval(site, upstream, plan);
      DeletionAdmission.Admitted admitted = parts.admission().admit(site, plan, upstream, approval);
      try {
        Secret after = parts.writer().apply(site, admitted.plan(), secret);
        return finished(site, admitted, fingerprint(site, after, approval), now, start);
      } catch (SecretWriter.Conflict conflict) {
        admitted.writeFailed(conflict.httpStatus());
        if (round == MAX_CONFLICT_ROUNDS) {
          // Someone keeps changing the Secret under us: try again shortly, quietly.
          LOG.debug("namespace {}: {} after {} rounds; retrying", site.namespace(), conflict.getMessage(), round);
          keepForRetry(site, upstream);
          return UpdateControl.<Namespace>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
        }
        try {
          secret = context.getClient().secrets().inNamespace(site.namespace()).withName(naming.secretName()).get();
        } catch (KubernetesClientException e) {
          return writeFailed(site, upstream, "re-read after a conflict", e, now, start);
        }
        local = LocalSecret.of(secret, naming);
        if (upstream == null && SyncRules.needsUpstream(site, local)) {
          store.invalidate(site.namespace()); // the new state needs a read: start over
          return UpdateControl.<Namespace>noUpdate().rescheduleAfter(Duration.ofMillis(100));
        }
        plan = SyncRules.decide(site, local, upstream);
      } catch (KubernetesClientException e) {
        admitted.writeFailed(e.getCode());
        return writeFailed(site, upstream, verbOf(admitted.plan()), e, now, start);
      }
    }
  }

  private UpdateControl<Namespace> finished(
      SiteRef site, DeletionAdmission.Admitted admitted, String fingerprint, Instant now, long startNanos) {
    Plan plan = admitted.plan();
    Outcome outcome = plan.outcome();
    int failures = outcome == Outcome.SOURCE_ERROR
        ? store.get(site.namespace()).map(SiteState::failures).orElse(0) + 1 : 0;
    boolean recheck = admitted.recheck() != null;
    Duration next = recheck ? admitted.recheck()
        : schedule.nextRead(site, outcome, failures, ThreadLocalRandom.current().nextDouble());
    parts.recorder().finished(site, plan, new SiteState.Result(outcome, plan.message(), failures,
        recheck ? null : fingerprint, next == null ? null : now.plus(next), admitted.pausedCause()),
        recheck, next, now, startNanos);
    // In list mode the sweep is the resync; only backoff and confirmation need a per-namespace timer.
    boolean timer = next != null && (!parts.detection().sweeping() || outcome == Outcome.SOURCE_ERROR || recheck);
    return timer ? UpdateControl.<Namespace>noUpdate().rescheduleAfter(next) : UpdateControl.noUpdate();
  }

  /**
   * A write the API server refused or never answered (5xx, timeout, lost connection): retried
   * within seconds with the same upstream answer, counted at once, and a Warning once it persists.
   *
   * @param request what failed: the write, or the re-read after its conflict
   */
  private UpdateControl<Namespace> writeFailed(
      SiteRef site, Upstream upstream, String request, KubernetesClientException e, Instant now, long startNanos) {
    keepForRetry(site, upstream);
    int failures = store.get(site.namespace()).map(SiteState::failures).orElse(0) + 1;
    Duration retry = schedule.backoff(failures, ThreadLocalRandom.current().nextDouble());
    String message = "writing the Secret failed (" + request + ": " + (e.getCode() > 0 ? "HTTP " + e.getCode() : "no answer")
        + "); retrying in " + GoDuration.formatWholeSecondsUp(retry) + " with the same upstream answer";
    parts.recorder().writeFailed(site, message, failures, now, startNanos);
    return UpdateControl.<Namespace>noUpdate().rescheduleAfter(retry);
  }

  /** Keeps the upstream answer for the retry, so it applies the same answer without a second read. */
  private void keepForRetry(SiteRef site, Upstream upstream) {
    if (upstream != null) {
      parts.answers().keep(site.namespace(), new UpstreamAnswer(upstream, site.syncToken(), UpstreamAnswer.Origin.RETRY));
    } else {
      store.invalidate(site.namespace());
    }
  }

  private static String verbOf(Plan plan) {
    return plan instanceof Plan.Create ? "create" : plan instanceof Plan.Update ? "update" : "delete";
  }

  /** Everything a reconcile's answer depends on, besides upstream and time. */
  private static String fingerprint(SiteRef site, Secret secret, String approval) {
    String secretPart = secret == null ? "-" : secret.getMetadata().getUid() + "@" + secret.getMetadata().getResourceVersion();
    return site.optInValue() + "|" + site.terminating() + "|" + site.syncToken() + "|" + approval + "|" + secretPart;
  }

  /** The fingerprint the sweep stores for a site it found unchanged, so its reconcile needs no read. */
  static String fingerprintOf(SiteRef site, Secret secret, Namespace namespace) {
    return fingerprint(site, secret, FleetCaches.annotation(namespace, Naming.DELETION_APPROVAL_ANNOTATION));
  }
}
