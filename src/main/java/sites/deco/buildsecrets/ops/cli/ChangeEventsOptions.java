package sites.deco.buildsecrets.ops.cli;

import java.time.Duration;
import java.util.function.Consumer;
import picocli.CommandLine.Option;
import sites.deco.buildsecrets.source.ChangeFeed;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.aws.ChangeEventQueue;

/** The change-events queue flag, shared by the operator and {@code doctor}. */
public final class ChangeEventsOptions {

  @Option(names = "--change-events-queue-url", paramLabel = "URL",
      defaultValue = "${env:BUILD_SECRETS_CHANGE_EVENTS_QUEUE_URL:-}",
      description = "SQS queue that an EventBridge rule fills with Secrets Manager change events; the leader reads "
          + "each changed key within seconds. Empty: off, the sweep alone finds changes "
          + "(env BUILD_SECRETS_CHANGE_EVENTS_QUEUE_URL, default empty).")
  String queueUrl;

  /** The queue URL, or null when change events are off. */
  public String queueUrl() {
    return queueUrl == null || queueUrl.isBlank() ? null : queueUrl.trim();
  }

  /** The queue; null when off. Its endpoint comes from AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL. */
  public ChangeFeed open(Duration callTimeout, Consumer<String> requestCounter) {
    String url = queueUrl();
    return url == null ? null : ChangeEventQueue.fromEnvironment(url, callTimeout, requestCounter);
  }

  /** doctor: the queue exists and may be read. */
  DoctorCheck check(Duration callTimeout) {
    String url = queueUrl();
    try (ChangeFeed feed = open(callTimeout, op -> { })) {
      return DoctorCheck.ok("change events queue: " + feed.check());
    } catch (SourceException e) {
      return DoctorCheck.fail("change events queue " + url + ": " + e.getMessage(),
          "create the queue and the EventBridge rule that fills it, and allow the operator's role sqs:ReceiveMessage, "
              + "sqs:DeleteMessage and sqs:GetQueueAttributes on it (docs/operations.md, \"Change events\"); "
              + "the operator keeps working without it, on the sweep alone");
    }
  }
}
