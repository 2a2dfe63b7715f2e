package sites.deco.buildsecrets.testbed;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The change-event wiring of docs/operations.md ("Change events") on the test bed's moto: an SQS
 * queue, an EventBridge rule on the default bus matching Secrets Manager API calls recorded by
 * CloudTrail, and the queue as the rule's target; the queue takes messages of at most 64 KiB and
 * its policy lets only the rule send. Tests publish CloudTrail-shaped events through EventBridge
 * PutEvents, and moto routes them to the queue as AWS would. (moto stores the queue policy but does
 * not evaluate it: {@link #sendRaw} still reaches the queue, as on a queue set up otherwise.)
 */
public final class ChangeEventsWiring implements AutoCloseable {
  /**
   * The rule's event pattern, as docs/operations.md gives it. Field names from the AWS Secrets
   * Manager User Guide, "Match AWS Secrets Manager events with Amazon EventBridge": {@code source}
   * "aws.secretsmanager", {@code detail-type} "AWS API Call via CloudTrail", {@code detail.eventSource}
   * "secretsmanager.amazonaws.com", {@code detail.eventName}.
   */
  public static final String EVENT_PATTERN = "{\"source\":[\"aws.secretsmanager\"],"
      + "\"detail-type\":[\"AWS API Call via CloudTrail\"],"
      + "\"detail\":{\"eventSource\":[\"secretsmanager.amazonaws.com\"],"
      + "\"eventName\":[\"CreateSecret\",\"PutSecretValue\",\"UpdateSecret\",\"UpdateSecretVersionStage\","
      + "\"RotateSecret\",\"CancelRotateSecret\",\"DeleteSecret\",\"RestoreSecret\"]}}";

  private final TestBed bed;
  private final SqsClient sqs;
  private final EventBridgeClient events;
  private final String name;
  private String queueUrl;
  private String ruleArn;

  private ChangeEventsWiring(TestBed bed, String name) {
    this.bed = bed;
    this.name = name;
    URI moto = URI.create(bed.motoUrl());
    var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
    Region region = Region.of(bed.env().get("AWS_REGION"));
    this.sqs = SqsClient.builder().endpointOverride(moto).region(region).credentialsProvider(credentials)
        .httpClient(UrlConnectionHttpClient.create()).build();
    this.events = EventBridgeClient.builder().endpointOverride(moto).region(region).credentialsProvider(credentials)
        .httpClient(UrlConnectionHttpClient.create()).build();
  }

  /** Creates queue {@code name}, rule {@code name} and the target, as the operations guide does. */
  public static ChangeEventsWiring create(TestBed bed, String name) {
    ChangeEventsWiring w = new ChangeEventsWiring(bed, name);
    w.ruleArn = w.events.putRule(r -> r.name(name).eventPattern(EVENT_PATTERN).state("ENABLED")
        .description("Secrets Manager writes for build-secrets-operator")).ruleArn();
    w.createQueue();
    w.events.putTargets(r -> r.rule(name).targets(t -> t.id("build-secrets-operator").arn(w.queueArn())));
    return w;
  }

  public String queueUrl() {
    return queueUrl;
  }

  /** The queue as documented: MaximumMessageSize 64 KiB, and a policy that lets only the rule send. */
  public void createQueue() {
    queueUrl = sqs.createQueue(r -> r.queueName(name)
        .attributes(java.util.Map.of(QueueAttributeName.MAXIMUM_MESSAGE_SIZE, "65536"))).queueUrl();
    String arn = queueArn();
    String onlyTheRule = "{\"aws:SourceArn\":\"" + ruleArn + "\"}";
    sqs.setQueueAttributes(r -> r.queueUrl(queueUrl).attributes(java.util.Map.of(QueueAttributeName.POLICY,
        "{\"Version\":\"2012-10-17\",\"Statement\":["
            + "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"events.amazonaws.com\"},"
            + "\"Action\":\"sqs:SendMessage\",\"Resource\":\"" + arn + "\","
            + "\"Condition\":{\"ArnEquals\":" + onlyTheRule + "}},"
            + "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:SendMessage\",\"Resource\":\"" + arn + "\","
            + "\"Condition\":{\"ArnNotEquals\":" + onlyTheRule + "}}]}")));
  }

  /** The queue's attributes, as SQS reports them. */
  public java.util.Map<QueueAttributeName, String> queueAttributes() {
    return sqs.getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.ALL)).attributes();
  }

  public void deleteQueue() {
    sqs.deleteQueue(r -> r.queueUrl(queueUrl));
  }

  private String queueArn() {
    return sqs.getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
  }

  /** Sends a raw body to the queue, bypassing EventBridge (a malformed message). */
  public void sendRaw(String body) {
    sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(body));
  }

  /**
   * Publishes what CloudTrail records for one Secrets Manager call on {@code key}, through
   * EventBridge. The detail carries CloudTrail's fields: {@code eventSource}, {@code eventName},
   * {@code requestParameters.secretId} (or {@code name} for CreateSecret) naming the secret as the
   * caller did, and {@code responseElements.arn} (the full ARN, with AWS's suffix) and
   * {@code versionId} naming secret and version, as the AWS Secrets Manager User Guide's
   * CloudTrail entries and EventBridge patterns show them.
   *
   * @param byArn name the secret in requestParameters by its ARN rather than its name
   */
  public void publish(String operation, String key, boolean byArn) {
    DescribeSecretResponse d = bed.secretsManager().describeSecret(r -> r.secretId(key));
    String version = d.versionIdsToStages().entrySet().stream()
        .filter(e -> e.getValue().contains("AWSCURRENT")).map(java.util.Map.Entry::getKey).findFirst().orElse("");
    String request = operation.equals("CreateSecret")
        ? "{\"name\":\"" + key + "\",\"clientRequestToken\":\"" + version + "\"}"
        : "{\"secretId\":\"" + (byArn ? d.arn() : key) + "\"}";
    String response = "{\"arn\":\"" + d.arn() + "\",\"name\":\"" + key + "\""
        + (version.isEmpty() ? "" : ",\"versionId\":\"" + version + "\"") + "}";
    publishDetail("{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\"},"
        + "\"eventTime\":\"" + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\","
        + "\"eventSource\":\"secretsmanager.amazonaws.com\",\"eventName\":\"" + operation + "\","
        + "\"awsRegion\":\"" + bed.env().get("AWS_REGION") + "\",\"sourceIPAddress\":\"127.0.0.1\","
        + "\"requestParameters\":" + request + ",\"responseElements\":" + response + ","
        + "\"readOnly\":false,\"eventType\":\"AwsApiCall\",\"managementEvent\":true}");
  }

  /** Publishes an event with this CloudTrail detail on the default bus. */
  public void publishDetail(String detail) {
    PutEventsResponse r = events.putEvents(p -> p.entries(e -> e.source("aws.secretsmanager")
        .detailType("AWS API Call via CloudTrail").detail(detail)));
    if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
      throw new IllegalStateException("PutEvents failed: " + r.entries());
    }
  }

  @Override
  public void close() {
    try {
      events.removeTargets(r -> r.rule(name).ids("build-secrets-operator"));
      events.deleteRule(r -> r.name(name));
      deleteQueue();
    } catch (RuntimeException ignored) {
      // best effort; the test bed is thrown away
    }
    sqs.close();
    events.close();
  }
}
