package sites.deco.buildsecrets.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --change-events-queue-url} reaches the configuration; without it change events are off. */
class ChangeEventsFlagTest {
  private static Main parsed(String... args) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    return main;
  }

  @Test
  void theQueueUrlIsTakenFromTheFlag() {
    String url = "https://sqs.eu-west-1.amazonaws.com/123456789012/build-secrets-change-events";
    assertThat(parsed("--change-events-queue-url=" + url).toConfig().changeEventsQueueUrl()).isEqualTo(url);
  }

  @Test
  void withoutTheFlagChangeEventsAreOff() {
    // The environment fallback is empty in the test JVM unless a developer exported it.
    String env = System.getenv("BUILD_SECRETS_CHANGE_EVENTS_QUEUE_URL");
    assertThat(parsed().toConfig().changeEventsQueueUrl()).isEqualTo(env == null || env.isBlank() ? null : env.trim());
    assertThat(parsed("--change-events-queue-url=  ").toConfig().changeEventsQueueUrl()).isNull();
  }
}
