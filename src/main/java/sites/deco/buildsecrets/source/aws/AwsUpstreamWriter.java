package sites.deco.buildsecrets.source.aws;

import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.UpstreamWriter;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

/**
 * CreateSecret (with tags) and a conditional replacement of the current value on AWS Secrets
 * Manager, for {@code adopt}. Region, endpoint and credentials come from the standard AWS
 * environment, as for the reader; every call takes a token from the same bucket the reader uses,
 * and the SDK fills in an idempotency token, so a retried call never makes a second version.
 * Errors carry codes only, as the reader's.
 *
 * <p>Secrets Manager has no compare-and-set on a value, but moving a staging label is one:
 * UpdateSecretVersionStage with RemoveFromVersionId fails unless the label is on that version. So
 * a replacement stores the new value under a private label (AWSCURRENT stays where it is), then
 * moves AWSCURRENT from the version read to it; if a rotation moved AWSCURRENT meanwhile, the move
 * fails and the rotation stays current.
 */
public final class AwsUpstreamWriter implements UpstreamWriter {
  static final String CURRENT = "AWSCURRENT";
  /** Prefix of the private staging label a replacement carries until it is current. */
  public static final String STAGING_PREFIX = "deco-adopt-";

  private final SecretsManagerClient client;

  public AwsUpstreamWriter(SecretsManagerClient client) {
    this.client = client;
  }

  /** A client with the reader's settings (call timeout, adaptive retries, {@code limit} in front of every call). */
  public static AwsUpstreamWriter fromEnvironment(Duration callTimeout, TokenBucket limit) {
    return new AwsUpstreamWriter(
        AwsSecretsManagerSource.configure(SecretsManagerClient.builder(), callTimeout, limit).build());
  }

  @Override
  public String create(String key, String json, Map<String, String> tags) throws SourceException, KeyExists {
    try {
      return client.createSecret(r -> r.name(key).secretString(json)
          .tags(tags.entrySet().stream().map(t -> Tag.builder().key(t.getKey()).value(t.getValue()).build()).toList()))
          .versionId();
    } catch (ResourceExistsException e) {
      throw new KeyExists(key);
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
  }

  @Override
  public Replaced replaceCurrent(String key, String json, String readVersion) throws SourceException, ConcurrentWrite {
    String label = STAGING_PREFIX + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    String staged;
    try {
      staged = client.putSecretValue(r -> r.secretId(key).secretString(json).versionStages(label)).versionId();
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
    SdkException moveFailure = null;
    try {
      client.updateSecretVersionStage(r -> r.secretId(key).versionStage(CURRENT)
          .moveToVersionId(staged).removeFromVersionId(readVersion));
    } catch (SdkException e) {
      moveFailure = e;
    }
    // A failed move is told apart by where AWSCURRENT is now, not by the error: a retried move whose
    // first attempt succeeded fails too, and AWS and moto word a mismatch differently.
    String current = moveFailure == null ? staged : currentOrNull(key);
    String leftOver = unlabel(key, label, staged);
    if (staged.equals(current)) {
      return new Replaced(staged, leftOver);
    }
    if (current != null && !current.equals(readVersion)) {
      throw new ConcurrentWrite(key, current, leftOver);
    }
    SourceException failed = AwsSecretsManagerSource.translate(moveFailure);
    throw new SourceException(failed.kind(), failed.detail() + " moving " + CURRENT + " to the new version"
        + (current == null ? "; which version is current could not be read" : "; version " + readVersion
            + " stays current") + (leftOver == null ? "" : "; " + leftOver));
  }

  @Override
  public String currentVersion(String key) throws SourceException {
    try {
      return client.describeSecret(r -> r.secretId(key)).versionIdsToStages().entrySet().stream()
          .filter(e -> e.getValue().contains(CURRENT)).map(Map.Entry::getKey).findFirst()
          .orElseThrow(() -> new SourceException(SourceException.Kind.REJECTED, "no version of " + key + " is "
              + CURRENT));
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
  }

  private String currentOrNull(String key) {
    try {
      return currentVersion(key);
    } catch (SourceException e) {
      return null;
    }
  }

  /** Removes the private label; says what is left when that fails, else null. */
  private String unlabel(String key, String label, String version) {
    try {
      client.updateSecretVersionStage(r -> r.secretId(key).versionStage(label).removeFromVersionId(version));
      return null;
    } catch (SdkException e) {
      return "version " + version + " still carries the private label " + label + " ("
          + AwsSecretsManagerSource.translate(e).getMessage() + "); remove it with aws secretsmanager "
          + "update-secret-version-stage --secret-id " + key + " --version-stage " + label
          + " --remove-from-version-id " + version;
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
