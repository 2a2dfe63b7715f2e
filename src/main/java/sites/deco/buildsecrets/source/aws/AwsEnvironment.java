package sites.deco.buildsecrets.source.aws;

import java.util.List;
import sites.deco.buildsecrets.source.EnvironmentCheck;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/**
 * What the Secrets Manager source needs from its environment before any call: credentials from the
 * default chain (IRSA, Pod Identity, profiles, variables) and a region. Used by {@code doctor}.
 */
public final class AwsEnvironment {
  private AwsEnvironment() {}

  public static List<EnvironmentCheck> checks() {
    return List.of(credentials(), region());
  }

  private static EnvironmentCheck credentials() {
    try (DefaultCredentialsProvider provider = DefaultCredentialsProvider.builder().build()) {
      AwsCredentials c = provider.resolveCredentials();
      String id = c.accessKeyId() == null ? "" : c.accessKeyId();
      String tail = id.length() <= 4 ? "****" : "…" + id.substring(id.length() - 4);
      return EnvironmentCheck.ok("AWS credentials resolvable: access key id " + tail);
    } catch (SdkException | IllegalStateException e) {
      return EnvironmentCheck.fail("AWS credentials: none resolvable (" + e.getClass().getSimpleName() + ")",
          "give the pod a role (IRSA: annotate the ServiceAccount with eks.amazonaws.com/role-arn; or EKS Pod Identity), "
              + "or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for a local run");
    }
  }

  private static EnvironmentCheck region() {
    try {
      Region region = new DefaultAwsRegionProviderChain().getRegion();
      String endpoint = firstSet("AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL");
      return EnvironmentCheck.ok("AWS region set: " + region.id()
          + (endpoint == null ? "" : " (Secrets Manager endpoint " + endpoint + ")"));
    } catch (SdkException | IllegalStateException e) {
      return EnvironmentCheck.fail("AWS region: not set",
          "set AWS_REGION (e.g. AWS_REGION=us-east-1) to the region holding the sites' secrets");
    }
  }

  private static String firstSet(String... names) {
    for (String n : names) {
      String v = System.getenv(n);
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }
}
