package sites.deco.buildsecrets.ops.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

/** What the subcommands share: quiet logging on stderr, direct reads, error lines without payloads. */
final class CliSupport {
  private CliSupport() {}

  /** Library logs go to stderr at WARN, so stdout holds only the command's output (table, JSON). */
  static void quietLogging() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%level %logger{0}: %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> err = new ConsoleAppender<>();
    err.setContext(ctx);
    err.setName("stderr");
    err.setTarget("System.err");
    err.setEncoder(encoder);
    err.start();
    ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(err);
    root.setLevel(Level.WARN);
    // Warns on every start that two HTTP client factories are on the class path: noise for a CLI user.
    ctx.getLogger("io.fabric8.kubernetes.client.utils.HttpClientUtils").setLevel(Level.ERROR);
  }

  /** A direct upstream read; a failure becomes {@link Upstream.Unreachable}, as in the operator. */
  static Upstream read(Source source, String key) {
    try {
      return source.read(key);
    } catch (SourceException e) {
      return new Upstream.Unreachable(e.kind(), e.detail());
    } catch (RuntimeException e) {
      return new Upstream.Unreachable(SourceException.Kind.UNAVAILABLE, e.getClass().getSimpleName());
    }
  }

  /** One line for a failed API call: status code and reason only, never a response body. */
  static String describe(KubernetesClientException e) {
    String reason = e.getStatus() == null ? null : e.getStatus().getReason();
    if (e.getCode() == 0) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      return "kube API unreachable (" + cause.getClass().getSimpleName() + ")";
    }
    return "kube API answered HTTP " + e.getCode() + (reason == null ? "" : " " + reason);
  }

  /**
   * The same, plus the API server's message for a 403: it names the RBAC rule or admission policy
   * that refused the request (the shipped policies' messages name identities and keys, no values).
   */
  static String describeRefusal(KubernetesClientException e) {
    String message = e.getStatus() == null ? null : e.getStatus().getMessage();
    return describe(e) + (e.getCode() == 403 && message != null ? ": " + message : "");
  }
}
