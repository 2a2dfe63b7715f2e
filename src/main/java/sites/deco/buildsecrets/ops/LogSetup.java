package sites.deco.buildsecrets.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

/**
 * Logging, configured once from flags: JSON lines (default, for log pipelines) or a readable
 * console format (for local runs), on stdout. Libraries that could log HTTP payloads at DEBUG are
 * capped at INFO whatever the level, because those payloads hold Secret values.
 */
public final class LogSetup {
  /**
   * Loggers that may print request or response bodies at DEBUG/TRACE. The whole AWS SDK: besides
   * its wire loggers, its retry strategies log each failed attempt's exception, raw provider
   * message included.
   */
  private static final String[] PAYLOAD_LOGGERS = {
    "software.amazon.awssdk",
    "io.fabric8.kubernetes.client.http", "io.fabric8.kubernetes.client.okhttp", "io.fabric8.kubernetes.client.vertx",
    "io.fabric8.kubernetes.client.jdkhttp",
    "io.fabric8.kubernetes.client.dsl.internal", "io.fabric8.kubernetes.client.informers", "io.vertx", "io.netty",
    "io.javaoperatorsdk.operator.processing.event.source.informer"
  };

  public enum Format {
    JSON,
    CONSOLE
  }

  private LogSetup() {}

  public static void apply(Format format, String level) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    Encoder<ILoggingEvent> encoder;
    if (format == Format.JSON) {
      JsonEncoder json = new JsonEncoder();
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithArguments(false);
      json.setWithMessage(false);
      json.setWithFormattedMessage(true);
      encoder = json;
    } else {
      PatternLayoutEncoder pattern = new PatternLayoutEncoder();
      pattern.setPattern("%d{HH:mm:ss.SSS} %-5level %-28.28logger{0} %msg%n%ex{short}");
      encoder = pattern;
    }
    encoder.setContext(ctx);
    encoder.start();
    ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
    out.setContext(ctx);
    out.setName("stdout");
    out.setEncoder(encoder);
    out.start();
    ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(out);
    Level rootLevel = Level.toLevel(level, null);
    if (rootLevel == null) {
      throw new IllegalArgumentException("unknown log level '" + level + "': use error, warn, info, debug or trace");
    }
    root.setLevel(rootLevel);
    if (rootLevel.isGreaterOrEqual(Level.INFO)) {
      return;
    }
    for (String name : PAYLOAD_LOGGERS) {
      ctx.getLogger(name).setLevel(Level.INFO);
    }
  }
}
