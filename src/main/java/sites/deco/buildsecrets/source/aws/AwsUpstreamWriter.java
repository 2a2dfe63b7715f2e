package sites.deco.buildsecrets.source.aws;

import java.time.Duration;
import java.util.Map;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.UpstreamWriter;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

/**
 * CreateSecret (with tags) and PutSecretValue on AWS Secrets Manager, for {@code adopt}. Region,
 * endpoint and credentials come from the standard AWS environment, as for the reader; every call
 * takes a token from the same bucket the reader uses, and the SDK fills in an idempotency token,
 * so a retried call never makes a second version. Errors carry codes only, as the reader's.
 */
public final class AwsUpstreamWriter implements UpstreamWriter {
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
  public String putValue(String key, String json) throws SourceException {
    try {
      return client.putSecretValue(r -> r.secretId(key).secretString(json)).versionId();
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
