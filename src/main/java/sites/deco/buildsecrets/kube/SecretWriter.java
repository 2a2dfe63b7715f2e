package sites.deco.buildsecrets.kube;

import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.sync.DataDigest;
import sites.deco.buildsecrets.sync.ManagedMarks;
import sites.deco.buildsecrets.sync.Plan;
import sites.deco.buildsecrets.sync.SiteRef;

/**
 * Applies a {@link Plan} to the API server with optimistic concurrency: updates carry the
 * resourceVersion, deletes carry UID and resourceVersion preconditions, and a create that meets an
 * existing Secret is reported as a conflict so the caller re-reads and decides again. Every write
 * carries the version annotation and a salted digest of the data ({@link DataDigest}).
 *
 * <p>A delete is sent only as the deletion guard allows: callers pass budgeted deletions through
 * {@link DeletionGuard#admit} first.
 */
public final class SecretWriter {

  /** The API server's state moved under us (409, or 404): re-read and decide again. */
  public static final class Conflict extends Exception {
    private final int httpStatus;

    public Conflict(String what, int httpStatus) {
      super(what);
      this.httpStatus = httpStatus;
    }

    /** 409 or 404: a 404 on delete may mean an earlier attempt of ours deleted it (see {@link DeletionGuard.Permit}). */
    public int httpStatus() {
      return httpStatus;
    }
  }

  /** Called with each Secret the operator wrote, so caches see it before the watch event does. */
  public interface WriteListener {
    void created(Secret written);

    void updated(Secret written, Secret previous);
  }

  private final KubernetesClient client;
  private final Naming naming;
  private final WriteListener listener;

  public SecretWriter(KubernetesClient client, Naming naming, WriteListener listener) {
    this.client = client;
    this.naming = naming;
    this.listener = listener;
  }

  /** Applies the plan; returns the Secret as now stored, or null when there is none. */
  public Secret apply(SiteRef site, Plan plan, Secret current) throws Conflict {
    return switch (plan) {
      case Plan.Create c -> create(site, c.data(), c.version());
      case Plan.Update u -> update(u.current().secret(), u.data(), u.version());
      case Plan.Delete d -> {
        delete(d.current().secret());
        yield null;
      }
      case Plan.Keep k -> current;
    };
  }

  private Secret create(SiteRef site, SecretData data, String version) throws Conflict {
    Secret desired =
        new SecretBuilder()
            .withNewMetadata()
            .withName(naming.secretName())
            .withNamespace(site.namespace())
            .withLabels(ManagedMarks.labels(naming))
            .withAnnotations(ManagedMarks.annotations(naming, version, data))
            .endMetadata()
            .withType("Opaque")
            .withData(data.base64())
            .build();
    try {
      Secret created = client.secrets().inNamespace(site.namespace()).resource(desired).create();
      listener.created(created);
      return created;
    } catch (KubernetesClientException e) {
      throw conflictOr(e, "create");
    }
  }

  private Secret update(Secret current, SecretData data, String version) throws Conflict {
    // Keep every label and annotation others put on the Secret (but kubectl's copy of old values); ours are (re)set.
    Map<String, String> labels = ManagedMarks.labelsOver(current.getMetadata().getLabels(), naming);
    Map<String, String> annotations =
        ManagedMarks.annotationsOver(current.getMetadata().getAnnotations(), naming, version, data);
    Secret desired =
        new SecretBuilder(current)
            .editMetadata()
            .withLabels(labels)
            .withAnnotations(annotations)
            .endMetadata()
            .withData(data.base64())
            .withStringData(null)
            .build();
    try {
      Secret updated = client.secrets().inNamespace(current.getMetadata().getNamespace()).resource(desired).update();
      listener.updated(updated, current);
      return updated;
    } catch (KubernetesClientException e) {
      throw conflictOr(e, "update");
    }
  }

  private void delete(Secret current) throws Conflict {
    DeleteOptions options =
        new DeleteOptionsBuilder()
            .withNewPreconditions()
            .withUid(current.getMetadata().getUid())
            .withResourceVersion(current.getMetadata().getResourceVersion())
            .endPreconditions()
            .build();
    String path =
        "/api/v1/namespaces/" + current.getMetadata().getNamespace() + "/secrets/" + current.getMetadata().getName();
    try {
      // raw() returns the deleted object, values included: it is dropped unread.
      client.raw(client.getMasterUrl().toString().replaceAll("/$", "") + path, "DELETE", options);
    } catch (KubernetesClientException e) {
      throw conflictOr(e, "delete");
    }
  }

  private static KubernetesClientException conflictOr(KubernetesClientException e, String verb) throws Conflict {
    if (e.getCode() == 409 || e.getCode() == 404) {
      throw new Conflict(verb + " met HTTP " + e.getCode(), e.getCode());
    }
    // Rethrow without the server's message text: the status code and reason are enough.
    String reason = e.getStatus() == null ? null : e.getStatus().getReason();
    return new KubernetesClientException(
        "Secret " + verb + " failed: HTTP " + e.getCode() + (reason == null ? "" : " " + reason), e.getCode(), null);
  }
}
