package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.sync.KeyDiff;

/** What {@code adopt} and {@code release} share: arguments, the one Secret update, and the output. */
final class HandOverSupport {
  private HandOverSupport() {}

  enum Format { text, json }

  /** Exit 2 (IllegalArgumentException) for names that are not site namespaces. */
  static void requireSiteNamespaces(Naming naming, List<String> namespaces) {
    for (String ns : namespaces) {
      if (naming.siteOf(ns).isEmpty()) {
        throw new IllegalArgumentException("'" + ns + "' is not a site namespace: its name must be "
            + naming.namespacePrefix() + "<site>");
      }
    }
  }

  /** Why an update of the Secret did not happen: a concurrent change, or another refusal. */
  static final class NotUpdated extends Exception {
    final boolean concurrent;

    NotUpdated(boolean concurrent, String message) {
      super(message);
      this.concurrent = concurrent;
    }
  }

  /**
   * Updates the Secret to {@code desired}, which carries the resourceVersion read: any change made
   * since (an edit, a delete and re-create) makes the API server refuse it. With {@code dryRun} the
   * API server runs authorization, admission policies and the resourceVersion check and persists
   * nothing. Messages carry the status code and reason, and a refusal's message.
   */
  static void update(KubernetesClient client, Secret desired, boolean dryRun) throws NotUpdated {
    var secret = client.secrets().inNamespace(desired.getMetadata().getNamespace()).resource(desired);
    try {
      if (dryRun) {
        secret.dryRun().update();
      } else {
        secret.update();
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        throw new NotUpdated(true, "the Secret changed since it was read (" + CliSupport.describe(e)
            + "): someone edited, deleted or replaced it meanwhile");
      }
      throw new NotUpdated(false, "the Secret update was refused: " + CliSupport.describeRefusal(e)
          + identityNeeded(e, BREAK_GLASS_NEEDED));
    }
  }

  /** For a 403: which identity the refused write needs ({@code byPolicy} when an admission policy refused it). */
  static String identityNeeded(KubernetesClientException e, String byPolicy) {
    if (e.getCode() != 403) {
      return "";
    }
    String message = e.getStatus() == null ? "" : String.valueOf(e.getStatus().getMessage());
    return "; " + (message.contains("ValidatingAdmissionPolicy") ? byPolicy
        : "this identity lacks the RBAC of docs/adopter-rbac.yaml");
  }

  /** What a 403 on labelling or un-labelling means under the shipped admission policies. */
  static final String BREAK_GLASS_NEEDED = "under the guard-rails admission policies only the operator and the "
      + "break-glass group may label or un-label a managed Secret: run as a member of that group on top of "
      + "docs/adopter-rbac.yaml (impersonation with --as-group replaces your groups: name every group you need), "
      + "see docs/operations.md";

  /** One line on stderr for a failed API call outside any one namespace; exit status 1. */
  static int kubeError(PrintWriter out, PrintWriter err, KubernetesClientException e) {
    out.flush();
    err.println("error: " + CliSupport.describe(e));
    err.flush();
    return 1;
  }

  /** Prints the results; returns the exit status: 1 when any namespace failed, else 0. */
  static int print(PrintWriter out, List<HandOver> results, Format format, boolean table, boolean dryRun) {
    if (format == Format.json) {
      out.print(HandOverRendering.json(results, dryRun));
    } else if (table) {
      out.print(HandOverRendering.table(results));
    } else {
      out.print(HandOverRendering.details(results));
    }
    out.flush();
    return results.stream().anyMatch(r -> r.status().failed()) ? 1 : 0;
  }

  /** One namespace's result under construction. */
  static final class Result {
    final String namespace;
    final String site;
    final List<String> lines = new ArrayList<>();
    String upstream;
    String secret;
    String version;
    KeyDiff difference;
    String optIn;

    Result(String namespace, String site) {
      this.namespace = namespace;
      this.site = site;
    }

    Result line(String line) {
      lines.add(line);
      return this;
    }

    HandOver finish(HandOver.Status status) {
      return finish(status, null);
    }

    HandOver refuse(String reason) {
      lines.add("refused: " + reason);
      return finish(HandOver.Status.REFUSED, reason);
    }

    HandOver abort(String reason) {
      lines.add("aborted: " + reason);
      return finish(HandOver.Status.ABORTED, reason);
    }

    HandOver error(String reason) {
      lines.add("error: " + reason);
      return finish(HandOver.Status.ERROR, reason);
    }

    private HandOver finish(HandOver.Status status, String reason) {
      return new HandOver(namespace, site, status, upstream, secret, version, difference, optIn, reason,
          List.copyOf(lines));
    }
  }
}
