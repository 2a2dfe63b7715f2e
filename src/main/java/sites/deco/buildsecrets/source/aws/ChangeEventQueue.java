package sites.deco.buildsecrets.source.aws;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesResponse;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;
import sites.deco.buildsecrets.source.ChangeFeed;
import sites.deco.buildsecrets.source.SourceException;

/**
 * The SQS queue an EventBridge rule fills with Secrets Manager change events. Endpoint, region and
 * credentials come from the standard AWS environment ({@code AWS_ENDPOINT_URL_SQS} or
 * {@code AWS_ENDPOINT_URL}, {@code AWS_REGION}, the default credential chain). Long polling: a
 * receive waits up to 20 s on the server, so an idle queue costs about 3 requests a minute.
 * SQS calls do not take Secrets Manager tokens: the token bucket guards Secrets Manager's quotas.
 */
public final class ChangeEventQueue implements ChangeFeed {
  /** SQS's longest long-poll wait and largest receive. */
  public static final int MAX_WAIT_SECONDS = 20;
  public static final int MAX_MESSAGES = 10;
  /** How long a received message stays out of sight: a read left undone comes back after this. */
  static final int VISIBILITY_SECONDS = 60;

  private final SqsClient client;
  private final String queueUrl;
  private final Consumer<String> requestCounter;

  ChangeEventQueue(SqsClient client, String queueUrl, Consumer<String> requestCounter) {
    this.client = client;
    this.queueUrl = queueUrl;
    this.requestCounter = requestCounter;
  }

  /**
   * A client whose call timeout leaves room for the 20 s long poll.
   *
   * @param requestCounter told the operation of every request sent (receive, delete, check)
   */
  public static ChangeEventQueue fromEnvironment(String queueUrl, Duration callTimeout, Consumer<String> requestCounter) {
    return new ChangeEventQueue(configure(SqsClient.builder(), callTimeout).build(), queueUrl, requestCounter);
  }

  static SqsClientBuilder configure(SqsClientBuilder builder, Duration callTimeout) {
    Duration attempt = callTimeout.plusSeconds(MAX_WAIT_SECONDS);
    return builder
        .httpClient(UrlConnectionHttpClient.builder()
            .connectionTimeout(callTimeout)
            .socketTimeout(attempt)
            .build())
        .overrideConfiguration(c -> c
            .apiCallAttemptTimeout(attempt)
            .apiCallTimeout(attempt.plus(callTimeout))
            .scheduledExecutorService(CallTimeoutScheduler.SHARED)
            .retryStrategy(RetryMode.STANDARD));
  }

  @Override
  public List<ChangeFeed.Message> receive(int max, int waitSeconds) throws SourceException {
    requestCounter.accept("receive");
    ReceiveMessageResponse response;
    try {
      response = client.receiveMessage(r -> r.queueUrl(queueUrl)
          .maxNumberOfMessages(Math.min(MAX_MESSAGES, Math.max(1, max)))
          .waitTimeSeconds(Math.min(MAX_WAIT_SECONDS, Math.max(0, waitSeconds)))
          .visibilityTimeout(VISIBILITY_SECONDS)
          .messageSystemAttributeNames(MessageSystemAttributeName.SENT_TIMESTAMP));
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
    List<ChangeFeed.Message> out = new ArrayList<>();
    for (software.amazon.awssdk.services.sqs.model.Message m : response.messages()) {
      // Parsed here, so a round keeps the key names of each message, never its body.
      out.add(new ChangeFeed.Message(m.messageId(), m.receiptHandle(), CloudTrailEvents.parse(m.body()), sentAt(m)));
    }
    return out;
  }

  private static Instant sentAt(software.amazon.awssdk.services.sqs.model.Message m) {
    String sent = m.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP);
    try {
      return sent == null ? Instant.now() : Instant.ofEpochMilli(Long.parseLong(sent));
    } catch (NumberFormatException e) {
      return Instant.now();
    }
  }

  @Override
  public void delete(Collection<ChangeFeed.Message> messages) throws SourceException {
    List<ChangeFeed.Message> all = List.copyOf(messages);
    for (int from = 0; from < all.size(); from += MAX_MESSAGES) {
      List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
      List<ChangeFeed.Message> chunk = all.subList(from, Math.min(all.size(), from + MAX_MESSAGES));
      for (int i = 0; i < chunk.size(); i++) {
        int index = i;
        entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(index))
            .receiptHandle(chunk.get(index).receiptHandle()).build());
      }
      requestCounter.accept("delete");
      try {
        DeleteMessageBatchResponse response = client.deleteMessageBatch(r -> r.queueUrl(queueUrl).entries(entries));
        if (!response.failed().isEmpty()) {
          // Redelivered later and handled again: harmless, reads are idempotent.
          throw new SourceException(SourceException.Kind.REJECTED,
              response.failed().size() + " of " + entries.size() + " deletions failed ("
                  + response.failed().get(0).code() + ")");
        }
      } catch (SdkException e) {
        throw AwsSecretsManagerSource.translate(e);
      }
    }
  }

  @Override
  public String check() throws SourceException {
    requestCounter.accept("check");
    try {
      GetQueueAttributesResponse r = client.getQueueAttributes(q -> q.queueUrl(queueUrl)
          .attributeNames(QueueAttributeName.QUEUE_ARN, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
      return r.attributes().getOrDefault(QueueAttributeName.QUEUE_ARN, queueUrl) + ", about "
          + r.attributes().getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "?") + " messages waiting";
    } catch (SdkException e) {
      throw AwsSecretsManagerSource.translate(e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
