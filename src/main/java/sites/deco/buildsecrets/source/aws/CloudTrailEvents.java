package sites.deco.buildsecrets.source.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sites.deco.buildsecrets.source.ChangeEvent;

/**
 * Parses the EventBridge envelope of a Secrets Manager API call recorded by CloudTrail, as an
 * EventBridge rule delivers it to SQS (the message body is the event itself).
 *
 * <p>Field names, from the AWS Secrets Manager User Guide, "Match AWS Secrets Manager events with
 * Amazon EventBridge" (monitoring-eventbridge) and "AWS CloudTrail entries for Secrets Manager"
 * (cloudtrail_log_entries):
 * <pre>
 *   { "source": ["aws.secretsmanager"],
 *     "detail-type": ["AWS API Call via CloudTrail"],
 *     "detail": { "eventSource": ["secretsmanager.amazonaws.com"],
 *                 "eventName": ["DeleteResourcePolicy", "PutResourcePolicy", "RotateSecret", ..., "UpdateSecret"],
 *                 "responseElements": { "arn": ["arn:aws:secretsmanager:us-west-2:012345678901:secret:mySecret-a1b2c3"] } } }
 * </pre>
 * and the note there: "Before February 2024, some Secrets Manager operations reported events that
 * contained "aRN" instead of "arn" for the secret ARN" - so both spellings are read. The request
 * side carries the API's own parameters under {@code detail.requestParameters}, lower-camel-cased
 * as CloudTrail records every API call: {@code secretId} (PutSecretValue, UpdateSecret,
 * UpdateSecretVersionStage, RotateSecret, CancelRotateSecret, DeleteSecret, RestoreSecret: the
 * API's {@code SecretId}, a name or an ARN) and {@code name} (CreateSecret's {@code Name}). A call
 * that failed carries {@code detail.errorCode} and changed nothing.
 *
 * <p>Nothing parsed here is ever logged: a malformed message is counted by its rule only.
 */
public final class CloudTrailEvents {
  /**
   * The largest body read. A CloudTrail record of these calls is a few KB; the largest legitimate
   * one, a CreateSecret with 50 tags of 128 + 256 characters and a 2,048-character description, is
   * under 24 KB. 64 KiB leaves room for that, and is a quarter of EventBridge's 256 KB cap on an
   * event. The documented queue's MaximumMessageSize is the same, so SQS refuses a larger message
   * before it is ever received; this check holds for a queue set up otherwise.
   */
  public static final int MAX_BODY_BYTES = 64 * 1024;
  /** Secrets Manager's longest SecretId (a name or an ARN): a longer one names no secret. */
  static final int MAX_ID_CHARS = 2048;
  static final String SOURCE = "aws.secretsmanager";
  static final String DETAIL_TYPE = "AWS API Call via CloudTrail";
  static final String EVENT_SOURCE = "secretsmanager.amazonaws.com";
  /**
   * Every call that can change what the operator writes: a new or changed value, a version stage
   * move (rotation ends with one), a deletion scheduled or cancelled, a secret created.
   */
  public static final Set<String> CHANGES = Set.of("CreateSecret", "PutSecretValue", "UpdateSecret",
      "UpdateSecretVersionStage", "RotateSecret", "CancelRotateSecret", "DeleteSecret", "RestoreSecret");
  /** {@code arn:<partition>:secretsmanager:<region>:<account>:secret:<name>}. */
  private static final Pattern ARN = Pattern.compile("^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)$");
  /** The random suffix AWS appends to a secret's name in its ARN. */
  private static final Pattern SUFFIX = Pattern.compile("^(.+)-[A-Za-z0-9]{6}$");
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
      .build());

  private CloudTrailEvents() {}

  public static ChangeEvent parse(String body) {
    if (body == null || body.isEmpty()) {
      return new ChangeEvent.Malformed("empty");
    }
    if (body.length() > MAX_BODY_BYTES) {
      return new ChangeEvent.TooLarge(body.length(), MAX_BODY_BYTES); // at least as many bytes as characters
    }
    int bytes = body.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BODY_BYTES) {
      return new ChangeEvent.TooLarge(bytes, MAX_BODY_BYTES);
    }
    JsonNode event;
    try {
      event = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      return new ChangeEvent.Malformed("not JSON"); // the exception's message may quote the body
    }
    if (event == null || !event.isObject()) {
      return new ChangeEvent.Malformed("not a JSON object");
    }
    JsonNode detail = event.get("detail");
    if (!text(event, "source").equals(SOURCE) || !text(event, "detail-type").equals(DETAIL_TYPE)
        || detail == null || !detail.isObject()) {
      return new ChangeEvent.Malformed("not an EventBridge event of a Secrets Manager API call");
    }
    if (!text(detail, "eventSource").equals(EVENT_SOURCE)) {
      return new ChangeEvent.Malformed("detail.eventSource is not " + EVENT_SOURCE);
    }
    String operation = text(detail, "eventName");
    if (!CHANGES.contains(operation)) {
      return new ChangeEvent.Ignored("not a change");
    }
    if (!text(detail, "errorCode").isEmpty()) {
      return new ChangeEvent.Ignored("failed call");
    }
    List<String> candidates = new ArrayList<>();
    JsonNode response = detail.get("responseElements");
    JsonNode request = detail.get("requestParameters");
    for (String id : new String[] {text(response, "arn"), text(response, "aRN"), text(request, "secretId"),
        text(request, "name"), text(response, "name")}) {
      addCandidates(id, candidates);
    }
    if (candidates.isEmpty()) {
      return new ChangeEvent.Malformed("names no secret");
    }
    return new ChangeEvent.Change(candidates, operation);
  }

  /** The key names a secret id may stand for: a name, or an ARN with or without AWS's suffix. */
  static void addCandidates(String id, List<String> into) {
    if (id.isEmpty() || id.length() > MAX_ID_CHARS) {
      return;
    }
    Matcher arn = ARN.matcher(id);
    if (!arn.matches()) {
      if (!into.contains(id)) {
        into.add(id);
      }
      return;
    }
    String resource = arn.group(1);
    Matcher suffixed = SUFFIX.matcher(resource);
    if (suffixed.matches() && !into.contains(suffixed.group(1))) {
      into.add(suffixed.group(1)); // a full ARN, as AWS returns it
    }
    if (!into.contains(resource)) {
      into.add(resource); // a partial ARN, as a caller may pass it
    }
  }

  private static String text(JsonNode node, String field) {
    if (node == null || !node.isObject()) {
      return "";
    }
    JsonNode v = node.get(field);
    return v != null && v.isTextual() ? v.asText() : "";
  }
}
