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
  void aHugeMessageIsMalformedUnread() {
    String huge = call("PutSecretValue", "{\"secretId\":\"k\",\"pad\":\"" + "x".repeat(300_000) + "\"}", "null");
    assertThat(CloudTrailEvents.parse(huge)).isEqualTo(new ChangeEvent.Malformed("larger than 262144 bytes"));
  }
}
