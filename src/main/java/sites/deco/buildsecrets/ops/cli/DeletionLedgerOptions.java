package sites.deco.buildsecrets.ops.cli;

import java.util.regex.Pattern;
import picocli.CommandLine.Option;
import sites.deco.buildsecrets.config.OperatorConfig.DeletionLedgerLocation;

/**
 * Where the deletion guard keeps its memory across restarts, as a picocli mixin shared by the
 * operator, {@code doctor} and {@code status}. In a pod all three find the operator's ConfigMap by
 * default; from a workstation, {@code --deletion-ledger-namespace} must name the operator's namespace.
 */
public final class DeletionLedgerOptions {
  /** The value that keeps the guard's memory in the process only. */
  public static final String NONE = "none";
  private static final Pattern CONFIG_MAP_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  @Option(names = "--deletion-ledger", paramLabel = "NAME",
      defaultValue = "${env:BUILD_SECRETS_DELETION_LEDGER:-build-secrets-deletion-ledger}",
      description = "ConfigMap in which the deletion guard remembers, across restarts and leader changes, that it "
          + "tripped and which deletions it sent; budgeted deletions wait while it cannot be read or written. "
          + "'none' keeps that in memory only (env BUILD_SECRETS_DELETION_LEDGER, default build-secrets-deletion-ledger).")
  String name;

  @Option(names = "--deletion-ledger-namespace", paramLabel = "NAMESPACE",
      defaultValue = "${env:BUILD_SECRETS_DELETION_LEDGER_NAMESPACE:-}",
      description = "Namespace of that ConfigMap (env BUILD_SECRETS_DELETION_LEDGER_NAMESPACE, default the pod's own "
          + "namespace, or default outside a pod).")
  String namespace;

  /** The ledger's location; null with --deletion-ledger=none. */
  public DeletionLedgerLocation location() {
    String n = name.trim();
    if (n.equalsIgnoreCase(NONE)) {
      return null;
    }
    if (!CONFIG_MAP_NAME.matcher(n).matches()) {
      throw new IllegalArgumentException("--deletion-ledger: '" + n + "' is not a ConfigMap name "
          + "(lower-case letters, digits, '-' and '.'), nor " + NONE);
    }
    return new DeletionLedgerLocation(LeaseOptions.ownNamespace(namespace), n);
  }
}
