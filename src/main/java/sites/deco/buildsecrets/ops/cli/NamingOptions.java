package sites.deco.buildsecrets.ops.cli;

import picocli.CommandLine.Option;
import sites.deco.buildsecrets.config.Naming;

/**
 * The naming flags, with the operator's option names, environment fallbacks and defaults, as a
 * picocli mixin: {@code @Mixin NamingOptions naming;}, shared by the operator and its subcommands.
 */
public final class NamingOptions {

  @Option(names = "--namespace-prefix", defaultValue = "${env:BUILD_SECRETS_NAMESPACE_PREFIX:-sites-}",
      description = "Namespaces <prefix><site> are site namespaces (env BUILD_SECRETS_NAMESPACE_PREFIX, default sites-).")
  String namespacePrefix;

  @Option(names = "--key-template", defaultValue = "${env:BUILD_SECRETS_KEY_TEMPLATE:-sites/{site}/build}",
      description = "Upstream key of a site; {site} is replaced (env BUILD_SECRETS_KEY_TEMPLATE, default sites/{site}/build).")
  String keyTemplate;

  @Option(names = "--secret-name", defaultValue = "${env:BUILD_SECRETS_SECRET_NAME:-build-secrets}",
      description = "Name of the Secret in each site namespace (env BUILD_SECRETS_SECRET_NAME, default build-secrets).")
  String secretName;

  @Option(names = "--managed-annotation",
      defaultValue = "${env:BUILD_SECRETS_MANAGED_ANNOTATION:-deco.sites/build-secrets-managed}",
      description = "Namespace annotation that opts in when exactly 'enabled' "
          + "(env BUILD_SECRETS_MANAGED_ANNOTATION, default deco.sites/build-secrets-managed).")
  String managedAnnotation;

  @Option(names = "--sync-annotation", defaultValue = "${env:BUILD_SECRETS_SYNC_ANNOTATION:-deco.sites/build-secrets-sync}",
      description = "Namespace annotation whose every change forces a fresh read "
          + "(env BUILD_SECRETS_SYNC_ANNOTATION, default deco.sites/build-secrets-sync).")
  String syncAnnotation;

  @Option(names = "--version-annotation",
      defaultValue = "${env:BUILD_SECRETS_VERSION_ANNOTATION:-deco.sites/build-secrets-version}",
      description = "Secret annotation holding the upstream version id "
          + "(env BUILD_SECRETS_VERSION_ANNOTATION, default deco.sites/build-secrets-version).")
  String versionAnnotation;

  @Option(names = "--managed-by-label", defaultValue = "${env:BUILD_SECRETS_MANAGED_BY_LABEL:-deco.sites/managed-by=operator}",
      description = "First ownership label, key=value (env BUILD_SECRETS_MANAGED_BY_LABEL, default deco.sites/managed-by=operator).")
  String managedByLabel;

  @Option(names = "--feature-label", defaultValue = "${env:BUILD_SECRETS_FEATURE_LABEL:-deco.sites/feature=build-secrets}",
      description = "Second ownership label, key=value (env BUILD_SECRETS_FEATURE_LABEL, default deco.sites/feature=build-secrets).")
  String featureLabel;

  /** The names; throws IllegalArgumentException (exit 2) on a malformed label or template. */
  public Naming naming() {
    return new Naming(
        namespacePrefix, keyTemplate, secretName, managedAnnotation, syncAnnotation, versionAnnotation,
        Naming.Label.parse(managedByLabel), Naming.Label.parse(featureLabel));
  }
}
