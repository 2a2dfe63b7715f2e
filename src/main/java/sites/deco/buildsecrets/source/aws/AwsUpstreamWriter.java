package sites.deco.buildsecrets.source.aws;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.source.UpstreamWriter;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretVersionsListEntry;
import software.amazon.awssdk.services.secretsmanager.model.Tag;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * CreateSecret (with tags), a conditional replacement of the current value, a conditional move back
 * to an earlier version, version reads and tags on AWS Secrets Manager, for {@code adopt} and
 * {@code env}; the caller's identity from STS GetCallerIdentity. Region, endpoint and credentials come from the standard AWS
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
  public static final String STAGING_PREFIX = "deco-write-";

  private final SecretsManagerClient client;
  private final StsClient sts;

  public AwsUpstreamWriter(SecretsManagerClient client, StsClient sts) {
    this.client = client;
    this.sts = sts;
  }

  /** A client with the reader's settings (call timeout, adaptive retries, {@code limit} in front of every call). */
  public static AwsUpstreamWriter fromEnvironment(Duration callTimeout, TokenBucket limit) {
    Duration attempt = callTimeout.dividedBy(3);
    return new AwsUpstreamWriter(
        AwsSecretsManagerSource.configure(SecretsManagerClient.builder(), callTimeout, limit).build(),
        StsClient.builder()
            .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(attempt).socketTimeout(attempt).build())
            .overrideConfiguration(c -> c.apiCallTimeout(callTimeout).apiCallAttemptTimeout(attempt))
            .build());
  }

  @Override
  public String create(String key, String json, Map<String, String> tags) throws SourceException, KeyExists {
    try {
      return client.createSecret(r -> r.name(key).secretString(json)
          .tags(tagList(tags)))
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
    SdkException moveFailure = moveCurrent(key, staged, readVersion);
    // Whether it moved is read back before the label goes, so the outcome names what is left over.
    String current = moveFailure == null ? staged : currentOrNull(key);
    String leftOver = unlabel(key, label, staged);
    settle(key, staged, readVersion, moveFailure, current, leftOver);
    return new Replaced(staged, leftOver);
  }

  @Override
  public void makeCurrent(String key, String version, String readVersion) throws SourceException, ConcurrentWrite {
    SdkException moveFailure = moveCurrent(key, version, readVersion);
    settle(key, version, readVersion, moveFailure, moveFailure == null ? version : currentOrNull(key), null);
  }

  /** Moves AWSCURRENT from {@code readVersion} to {@code to}: the compare-and-set; the failure, else null. */
  private SdkException moveCurrent(String key, String to, String readVersion) {
    try {
      client.updateSecretVersionStage(r -> r.secretId(key).versionStage(CURRENT)
          .moveToVersionId(to).removeFromVersionId(readVersion));
      return null;
    } catch (SdkException e) {
      return e;
    }
  }

  /**
   * Returns when {@code to} is current; throws otherwise. A failed move is told apart by where
   * AWSCURRENT is now ({@code current}, null when unreadable), not by the error: a retried move whose
   * first attempt succeeded fails too, and AWS and moto word a mismatch differently.
   */
  private static void settle(String key, String to, String readVersion, SdkException moveFailure, String current,
      String leftOver) throws SourceException, ConcurrentWrite {
    if (to.equals(current)) {
      return;
    }
    if (current != null && !current.equals(readVersion)) {
      throw new ConcurrentWrite(key, current, leftOver);
    }
    SourceException failed = AwsSecretsManagerSource.translate(moveFailure);
    throw new SourceException(failed.kind(), failed.detail() + " moving " + CURRENT + " to version " + to
        + (current == null ? "; which version is current could not be read" : "; version " + readVersion
            + " stays current") + (leftOver == null ? "" : "; " + leftOver));
  }

  @Override
  public Version current(String key) throws SourceException {
    try {
      GetSecretValueResponse value = client.getSecretValue(r -> r.secretId(key));
      return new Version(value.versionId(), value.createdDate(), value.versionStages(), payload(value));
    } catch (ResourceNotFoundException e) {
      return null;
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
  }

  private static Upstream payload(GetSecretValueResponse value) {
    return value.secretString() == null
        ? new Upstream.Invalid(PayloadRule.BINARY_SECRET, null, null)
        : PayloadParser.parse(value.secretString(), value.versionId());
  }

  @Override
  public List<Version> versions(String key) throws SourceException {
    try {
      List<SecretVersionsListEntry> listed = client.listSecretVersionIdsPaginator(r -> r.secretId(key)
          .includeDeprecated(true)).stream().flatMap(page -> page.versions().stream()).toList();
      List<Version> read = new ArrayList<>();
      for (SecretVersionsListEntry v : listed) {
        // GetSecretValue's CreatedDate: moto's listing stamps every version with the time of the call.
        GetSecretValueResponse value = client.getSecretValue(r -> r.secretId(key).versionId(v.versionId()));
        read.add(new Version(v.versionId(), value.createdDate(), v.versionStages(), payload(value)));
      }
      // Newest first; a tie (moto keeps whole seconds) goes to the later in the listing, which moto keeps in order.
      List<Version> newestFirst = new ArrayList<>(read.reversed());
      newestFirst.sort(Comparator.comparing(Version::created, Comparator.nullsLast(Comparator.reverseOrder())));
      return newestFirst;
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
  }

  @Override
  public void tag(String key, Map<String, String> tags) throws SourceException {
    try {
      client.tagResource(r -> r.secretId(key).tags(tagList(tags)));
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
  }

  @Override
  public String caller() throws SourceException {
    try {
      return sts.getCallerIdentity().arn();
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
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

  private static List<Tag> tagList(Map<String, String> tags) {
    return tags.entrySet().stream().map(t -> Tag.builder().key(t.getKey()).value(t.getValue()).build()).toList();
  }

  @Override
  public void close() {
    client.close();
    sts.close();
  }
}
