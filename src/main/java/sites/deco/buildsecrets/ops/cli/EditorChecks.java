package sites.deco.buildsecrets.ops.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.EnvironmentCheck;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.UpstreamWriter;

/**
 * {@code doctor --site SITE --as-editor}: what {@code env} needs, asked as the identity that runs it
 * (the build variables editor), in place of what the operator needs. Reads are tried; the AWS
 * writes are named but not tried, since only a write could tell.
 */
final class EditorChecks {
  static final String POLICY = "the build variables editor policy in docs/operations.md";

  private EditorChecks() {}

  static List<DoctorCommand.Permission> permissions(Naming naming, String namespace) {
    return List.of(
        new DoctorCommand.Permission("", "namespaces", "get", namespace, "", "env: is the site opted in"),
        new DoctorCommand.Permission("", "namespaces", "patch", namespace, "", "env: request a sync"),
        new DoctorCommand.Permission("", "secrets", "get", naming.secretName(), namespace,
            "env: wait for the Secret to hold the version written"));
  }

  /** Kubernetes: the force-sync and the wait; a failure's fix speaks to the editor, not the operator. */
  static List<DoctorCheck> kube(KubernetesClient client, Naming naming, String namespace) {
    List<DoctorCheck> out = new ArrayList<>();
    for (DoctorCommand.Permission p : permissions(naming, namespace)) {
      DoctorCheck c = DoctorCommand.rbac(client, p);
      out.add(c.ok() || c.fix().startsWith("allow the identity") ? c : DoctorCheck.fail(c.what(), "grant your identity "
          + p.verb() + " on " + p.resource() + " named " + p.name() + (p.namespace().isEmpty() ? "" : " in namespace "
          + p.namespace()) + " (" + p.why() + "), or run env with --no-sync (upstream only)"));
    }
    return out;
  }

  /** AWS: credentials, who the caller is, and the reads env makes of {@code key}. */
  static List<DoctorCheck> aws(SourceOptions sourceOptions, String key) {
    List<DoctorCheck> out = new ArrayList<>();
    List<EnvironmentCheck> environment = sourceOptions.environmentChecks();
    environment.forEach(c -> out.add(new DoctorCheck(c.ok(), c.what(), c.fix())));
    if (!environment.stream().allMatch(EnvironmentCheck::ok)) {
      return out;
    }
    try (UpstreamWriter writer = sourceOptions.openWriter(sourceOptions.tokenBucket())) {
      out.add(step("AWS identity (STS GetCallerIdentity)", () -> "AWS identity: " + writer.caller(),
          "check the AWS credentials and the STS endpoint"));
      out.add(step("upstream key " + key + " (GetSecretValue)", () -> {
        UpstreamWriter.Version current = writer.current(key);
        return current == null
            ? "upstream key " + key + ": does not exist yet (env set creates it, with secretsmanager:CreateSecret)"
            : "upstream key " + key + ": readable (GetSecretValue), version " + current.id();
      }, "grant " + POLICY));
      out.add(step("versions of " + key + " (ListSecretVersionIds)", () -> {
        int n = writer.current(key) == null ? 0 : writer.versions(key).size();
        return "versions of " + key + ": " + n + " listed and read (ListSecretVersionIds, GetSecretValue by version)";
      }, "grant " + POLICY + " (env history and rollback read every version)"));
    }
    return out;
  }

  /** The AWS writes env makes, which only a write could prove. */
  static String untried(String key) {
    return "Not tried (only a write could tell): secretsmanager:PutSecretValue, UpdateSecretVersionStage and "
        + "TagResource on " + key + ", which env set, unset and rollback make; " + POLICY + " grants them.\n";
  }

  private interface Step {
    String run() throws SourceException;
  }

  private static DoctorCheck step(String what, Step step, String fix) {
    try {
      return DoctorCheck.ok(step.run());
    } catch (SourceException e) {
      return DoctorCheck.fail(what + ": " + e.getMessage(), fix);
    }
  }
}
