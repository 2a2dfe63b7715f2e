package sites.deco.buildsecrets.ops.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Which Lease leader election uses, as a picocli mixin shared by the operator and {@code doctor},
 * so that doctor checks the permissions on the very Lease the operator will take.
 */
public final class LeaseOptions {
  private static final Path POD_NAMESPACE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  @Option(names = "--leader-election-id", defaultValue = "${env:LEADER_ELECTION_ID:-build-secrets.deco.sites}",
      description = "Name of the Lease; distinct from the Go operator's (env LEADER_ELECTION_ID, default build-secrets.deco.sites).")
  String name;

  @Option(names = "--leader-election-namespace", defaultValue = "${env:LEADER_ELECTION_NAMESPACE:-}",
      description = "Namespace of the Lease (env LEADER_ELECTION_NAMESPACE, default the pod's own namespace, "
          + "or default outside a pod).")
  String namespace;

  public String name() {
    return name;
  }

  public String namespace() {
    return ownNamespace(namespace);
  }

  /** {@code explicit} when given; else the pod's own namespace, or default outside a pod. */
  static String ownNamespace(String explicit) {
    if (explicit != null && !explicit.isBlank()) {
      return explicit.trim();
    }
    try {
      return Files.isReadable(POD_NAMESPACE) ? Files.readString(POD_NAMESPACE).trim() : "default";
    } catch (IOException e) {
      return "default";
    }
  }
}
