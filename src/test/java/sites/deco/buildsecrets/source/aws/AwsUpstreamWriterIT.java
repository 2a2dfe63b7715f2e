package sites.deco.buildsecrets.source.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.source.UpstreamWriter;
import sites.deco.buildsecrets.testbed.Sites;
import sites.deco.buildsecrets.testbed.TestBed;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.InvalidParameterException;

/**
 * The conditional writes of adopt and env against the test bed's Secrets Manager (moto, run as
 * dev/testbed runs it), through the real SDK: the current version moves only from the version read
 * (a replacement or a move back), a rotation made meanwhile stays current with no private label left
 * behind, and versions read newest first.
 */
class AwsUpstreamWriterIT {
  private static final SecretsManagerClient SM = TestBed.get().secretsManager();
  private final UpstreamWriter writer = new AwsUpstreamWriter(SM, null); // STS: not called here

  private static String key() {
    return "writer-it/" + Sites.fresh("k") + "/build";
  }

  private static Map<String, List<String>> stages(String key) {
    return SM.describeSecret(r -> r.secretId(key)).versionIdsToStages();
  }

  private static void assertNoPrivateLabel(String key) {
    assertThat(stages(key).values()).allSatisfy(labels ->
        assertThat(labels).noneMatch(l -> l.startsWith(AwsUpstreamWriter.STAGING_PREFIX)));
  }

  @Test
  void replacingTheVersionReadMakesTheNewOneCurrentAndLeavesNoPrivateLabel() throws Exception {
    String key = key();
    String read = SM.createSecret(r -> r.name(key).secretString("{\"A\":\"1\"}")).versionId();

    UpstreamWriter.Replaced replaced = writer.replaceCurrent(key, "{\"A\":\"2\"}", read);

    assertThat(replaced.leftOver()).isNull();
    assertThat(writer.currentVersion(key)).isEqualTo(replaced.version());
    assertThat(SM.getSecretValue(r -> r.secretId(key)).secretString()).isEqualTo("{\"A\":\"2\"}");
    assertThat(stages(key)).containsEntry(replaced.version(), List.of("AWSCURRENT")).containsEntry(read,
        List.of("AWSPREVIOUS"));
  }

  @Test
  void aRotationAfterTheReadStaysCurrentAndTheStagedVersionKeepsNoLabel() throws Exception {
    String key = key();
    String read = SM.createSecret(r -> r.name(key).secretString("{\"A\":\"1\"}")).versionId();
    String rotation = SM.putSecretValue(r -> r.secretId(key).secretString("{\"A\":\"rotated\"}")).versionId();

    assertThatThrownBy(() -> writer.replaceCurrent(key, "{\"A\":\"mine\"}", read))
        .isInstanceOfSatisfying(UpstreamWriter.ConcurrentWrite.class, e -> {
          assertThat(e.current).isEqualTo(rotation);
          assertThat(e.leftOver).isNull();
          assertThat(e.getMessage()).contains(key).doesNotContain("mine").doesNotContain("rotated");
        });

    assertThat(SM.getSecretValue(r -> r.secretId(key)).versionId()).isEqualTo(rotation);
    assertThat(SM.getSecretValue(r -> r.secretId(key)).secretString()).isEqualTo("{\"A\":\"rotated\"}");
    assertNoPrivateLabel(key);
    assertThat(stages(key)).containsEntry(rotation, List.of("AWSCURRENT")).containsEntry(read, List.of("AWSPREVIOUS"));
  }

  @Test
  void motoRefusesAMoveFromAVersionThatLostTheLabelAsAwsDoesAndChangesNothing() {
    // AWS: InvalidParameterException, HTTP 400, nothing moved (its message is worded differently;
    // the writer tells the outcome from where AWSCURRENT is, never from the message).
    String key = key();
    String read = SM.createSecret(r -> r.name(key).secretString("{\"A\":\"1\"}")).versionId();
    String rotation = SM.putSecretValue(r -> r.secretId(key).secretString("{\"A\":\"2\"}")).versionId();
    String staged = SM.putSecretValue(r -> r.secretId(key).secretString("{\"A\":\"3\"}").versionStages("private"))
        .versionId();
    Map<String, List<String>> before = stages(key);

    assertThatThrownBy(() -> SM.updateSecretVersionStage(r -> r.secretId(key).versionStage("AWSCURRENT")
        .moveToVersionId(staged).removeFromVersionId(read)))
        .isInstanceOfSatisfying(InvalidParameterException.class, e -> assertThat(e.statusCode()).isEqualTo(400));
    assertThat(stages(key)).isEqualTo(before);
    assertThat(SM.getSecretValue(r -> r.secretId(key)).versionId()).isEqualTo(rotation);
  }

  @Test
  void makeCurrentMovesBackOnlyFromTheVersionRead() throws Exception {
    String key = key();
    String v1 = SM.createSecret(r -> r.name(key).secretString("{\"A\":\"1\"}")).versionId();
    String v2 = SM.putSecretValue(r -> r.secretId(key).secretString("{\"A\":\"2\"}")).versionId();

    writer.makeCurrent(key, v1, v2);

    assertThat(writer.currentVersion(key)).isEqualTo(v1);
    assertThat(stages(key)).containsEntry(v1, List.of("AWSCURRENT")).containsEntry(v2, List.of("AWSPREVIOUS"));
    String v3 = SM.putSecretValue(r -> r.secretId(key).secretString("{\"A\":\"3\"}")).versionId();
    assertThatThrownBy(() -> writer.makeCurrent(key, v2, v1))
        .isInstanceOfSatisfying(UpstreamWriter.ConcurrentWrite.class, e -> assertThat(e.current).isEqualTo(v3));
    assertThat(writer.currentVersion(key)).isEqualTo(v3);
  }

  @Test
  void versionsAreNewestFirstEachParsedByTheOperatorsRules() throws Exception {
    String key = key();
    String v1 = SM.createSecret(r -> r.name(key).secretString("{\"A\":\"1\"}")).versionId();
    String v2 = SM.putSecretValue(r -> r.secretId(key).secretString("{\"A\":2}")).versionId();
    String v3 = SM.putSecretValue(r -> r.secretId(key).secretString("{\"A\":\"3\"}")).versionId();

    List<UpstreamWriter.Version> versions = writer.versions(key);

    assertThat(versions).extracting(UpstreamWriter.Version::id).containsExactly(v3, v2, v1);
    assertThat(versions.get(0).stages()).containsExactly("AWSCURRENT");
    assertThat(versions.get(0).created()).isNotNull();
    assertThat(versions.get(0).payload()).isInstanceOf(Upstream.Found.class);
    assertThat(versions.get(1).payload()).isInstanceOfSatisfying(Upstream.Invalid.class,
        i -> assertThat(i.rule()).isEqualTo(PayloadRule.NON_STRING_VALUE));
    assertThat(writer.current(key).id()).isEqualTo(v3);
    assertThat(writer.current("writer-it/absent/build")).isNull();
  }
}
