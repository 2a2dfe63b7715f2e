package sites.deco.buildsecrets.source.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sites.deco.buildsecrets.source.ChangeEvent;

/** The EventBridge envelope of CloudTrail's Secrets Manager records, as AWS documents the fields. */
class CloudTrailEventsTest {
  static final String ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sites/acme/build-AbCdEf";

  /** An event as EventBridge delivers it to SQS; {@code detail} is CloudTrail's record. */
  static String event(String detail) {
    return "{\"version\":\"0\",\"id\":\"e1\",\"detail-type\":\"AWS API Call via CloudTrail\","
        + "\"source\":\"aws.secretsmanager\",\"account\":\"123456789012\",\"time\":\"2026-11-30T16:00:00Z\","
        + "\"region\":\"us-east-1\",\"resources\":[],\"detail\":" + detail + "}";
  }

  static String call(String name, String request, String response) {
    return event("{\"eventVersion\":\"1.08\",\"eventSource\":\"secretsmanager.amazonaws.com\",\"eventName\":\"" + name
        + "\",\"awsRegion\":\"us-east-1\",\"requestParameters\":" + request + ",\"responseElements\":" + response + "}");
  }

  @Test
  void putSecretValueNamesTheSecretByArnAndById() {
    ChangeEvent e = CloudTrailEvents.parse(call("PutSecretValue",
        "{\"secretId\":\"sites/acme/build\",\"clientRequestToken\":\"t\"}",
        "{\"arn\":\"" + ARN + "\",\"versionId\":\"v2\",\"name\":\"sites/acme/build\"}"));
    assertThat(e).isEqualTo(new ChangeEvent.Change(
        List.of("sites/acme/build", "sites/acme/build-AbCdEf"), "PutSecretValue"));
  }

  @Test
  void theOldARNSpellingAndAPartialArnAreRead() {
    ChangeEvent old = CloudTrailEvents.parse(call("UpdateSecretVersionStage", "{}", "{\"aRN\":\"" + ARN + "\"}"));
    assertThat(((ChangeEvent.Change) old).keyCandidates()).first().isEqualTo("sites/acme/build");
    ChangeEvent partial = CloudTrailEvents.parse(call("DeleteSecret",
        "{\"secretId\":\"arn:aws:secretsmanager:us-east-1:123456789012:secret:sites/acme/build\"}", "null"));
    assertThat(((ChangeEvent.Change) partial).keyCandidates()).contains("sites/acme/build");
  }

  @Test
  void createSecretNamesItByName() {
    ChangeEvent e = CloudTrailEvents.parse(call("CreateSecret", "{\"name\":\"sites/new/build\"}", "null"));
    assertThat(e).isEqualTo(new ChangeEvent.Change(List.of("sites/new/build"), "CreateSecret"));
  }

  @Test
  void everyWriteThatCanChangeTheSecretIsAChange() {
    for (String op : List.of("CreateSecret", "PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage",
        "RotateSecret", "CancelRotateSecret", "DeleteSecret", "RestoreSecret")) {
      assertThat(CloudTrailEvents.parse(call(op, "{\"secretId\":\"k\"}", "null"))).isInstanceOf(ChangeEvent.Change.class);
    }
  }

  @Test
  void readsTagEditsAndFailedCallsAreIgnored() {
    assertThat(CloudTrailEvents.parse(call("GetSecretValue", "{\"secretId\":\"k\"}", "null")))
        .isInstanceOf(ChangeEvent.Ignored.class);
    assertThat(CloudTrailEvents.parse(call("TagResource", "{\"secretId\":\"k\"}", "null")))
        .isInstanceOf(ChangeEvent.Ignored.class);
    assertThat(CloudTrailEvents.parse(event("{\"eventSource\":\"secretsmanager.amazonaws.com\","
        + "\"eventName\":\"PutSecretValue\",\"errorCode\":\"AccessDenied\",\"requestParameters\":{\"secretId\":\"k\"}}")))
        .isInstanceOf(ChangeEvent.Ignored.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "not json canary-Xq7pL2", "[1,2]", "{\"source\":\"aws.s3\"}", "null",
      "{\"source\":\"aws.secretsmanager\",\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":\"x\"}"})
  void wrongShapesAreMalformedAndTheirReasonQuotesNothing(String body) {
    ChangeEvent e = CloudTrailEvents.parse(body);
    assertThat(e).isInstanceOf(ChangeEvent.Malformed.class);
    assertThat(((ChangeEvent.Malformed) e).why()).doesNotContain("canary");
  }

  @Test
  void aChangeNamingNoSecretIsMalformed() {
    assertThat(CloudTrailEvents.parse(call("PutSecretValue", "{}", "{}"))).isInstanceOf(ChangeEvent.Malformed.class);
  }

  @Test
  void aBodyOverTheBoundIsTooLargeAndUnread() {
    String atBound = padded(CloudTrailEvents.MAX_BODY_BYTES, "x");
    assertThat(CloudTrailEvents.parse(atBound)).isInstanceOf(ChangeEvent.Change.class);
    String over = padded(CloudTrailEvents.MAX_BODY_BYTES + 1, "x");
    assertThat(CloudTrailEvents.parse(over)).isEqualTo(new ChangeEvent.TooLarge(CloudTrailEvents.MAX_BODY_BYTES + 1,
        CloudTrailEvents.MAX_BODY_BYTES));
    // counted in UTF-8 bytes: fewer characters than the bound, more bytes
    String wide = padded(CloudTrailEvents.MAX_BODY_BYTES + 2, "é");
    assertThat(wide.length()).isLessThan(CloudTrailEvents.MAX_BODY_BYTES);
    assertThat(CloudTrailEvents.parse(wide)).isEqualTo(new ChangeEvent.TooLarge(CloudTrailEvents.MAX_BODY_BYTES + 2,
        CloudTrailEvents.MAX_BODY_BYTES));
  }

  @Test
  void anIdLongerThanSecretsManagerAllowsNamesNoSecret() {
    String id = "sites/a/" + "x".repeat(CloudTrailEvents.MAX_ID_CHARS);
    assertThat(CloudTrailEvents.parse(call("PutSecretValue", "{\"secretId\":\"" + id + "\"}", "null")))
        .isEqualTo(new ChangeEvent.Malformed("names no secret"));
  }

  /** A PutSecretValue event of exactly {@code bytes} UTF-8 bytes, padded with {@code pad} (1 or 2 bytes). */
  private static String padded(int bytes, String pad) {
    String empty = call("PutSecretValue", "{\"secretId\":\"sites/a/build\",\"pad\":\"\"}", "null");
    int missing = bytes - empty.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    int each = pad.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    String padding = pad.repeat(missing / each) + "x".repeat(missing % each);
    return call("PutSecretValue", "{\"secretId\":\"sites/a/build\",\"pad\":\"" + padding + "\"}", "null");
  }
}
