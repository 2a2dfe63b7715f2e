package sites.deco.buildsecrets.source.aws;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Remembers what the attempts of one call got back, so a call that the call timeout cuts short is
 * reported by what it was retrying. Under throttling the adaptive retry mode waits longer than any
 * sensible call timeout before its next attempt, or before sending at all, and the SDK then throws
 * a bare timeout or an {@link AbortedException} around an {@link InterruptedException}: without
 * this, sustained throttling would be reported as "service unavailable: InterruptedException".
 * The SDK does not let an interceptor change the exception's class, so the note travels as a
 * suppressed exception; {@link #of} finds it.
 *
 * <p>Only the error code is kept (from {@code x-amzn-ErrorType} or the body's {@code __type}); an
 * error body holds no secret value, and its message is never kept.
 */
final class LastAttempt implements ExecutionInterceptor {
  private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("bso.call-started");
  private static final ExecutionAttribute<Boolean> SENT = new ExecutionAttribute<>("bso.attempt-sent");
  private static final ExecutionAttribute<String> ERROR_CODE = new ExecutionAttribute<>("bso.last-error-code");
  private static final ExecutionAttribute<Integer> ERROR_STATUS = new ExecutionAttribute<>("bso.last-error-status");
  private static final Pattern TYPE = Pattern.compile("\"__type\"\\s*:\\s*\"([^\"]{1,200})\"");
  private static final Pattern CODE = Pattern.compile("[A-Za-z0-9_.]{1,100}");
  /** Enough for any error document's {@code __type}, which comes first. */
  private static final int PEEK = 4096;

  /** A note on a call the call timeout ended while the SDK waited to send or to retry. */
  static final class CutShort extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean sent;
    private final String lastCode;
    private final int lastStatus;

    CutShort(boolean sent, String lastCode, int lastStatus) {
      super("call timeout reached while waiting to send or retry", null, false, false);
      this.sent = sent;
      this.lastCode = lastCode;
      this.lastStatus = lastStatus;
    }

    /** Whether any attempt reached the HTTP client. */
    boolean sent() {
      return sent;
    }

    /** The error code of the last attempt that got an error answer; null if none did. */
    String lastCode() {
      return lastCode;
    }

    int lastStatus() {
      return lastStatus;
    }
  }

  private final Duration callTimeout;

  LastAttempt(Duration callTimeout) {
    this.callTimeout = callTimeout;
  }

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    attributes.putAttribute(STARTED, System.nanoTime());
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    attributes.putAttribute(SENT, true);
  }

  @Override
  public Optional<InputStream> modifyHttpResponseContent(
      Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    int status = context.httpResponse().statusCode();
    if (status < 400) {
      return context.responseBody();
    }
    String code = context.httpResponse().firstMatchingHeader("x-amzn-ErrorType").orElse(null);
    Optional<InputStream> body = context.responseBody();
    if (body.isPresent()) {
      try {
        byte[] head = body.get().readNBytes(PEEK);
        if (code == null) {
          Matcher m = TYPE.matcher(new String(head, StandardCharsets.UTF_8));
          code = m.find() ? m.group(1) : null;
        }
        body = Optional.of(new SequenceInputStream(new ByteArrayInputStream(head), body.get()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    attributes.putAttribute(ERROR_CODE, codeOnly(code));
    attributes.putAttribute(ERROR_STATUS, status);
    return body;
  }

  @Override
  public Throwable modifyException(Context.FailedExecution context, ExecutionAttributes attributes) {
    Throwable e = context.exception();
    // The timeout interrupts the waiting thread; the SDK wraps that InterruptedException later.
    boolean interrupted = e instanceof InterruptedException
        || e instanceof AbortedException && e.getCause() instanceof InterruptedException;
    if (e instanceof ApiCallTimeoutException || interrupted && timedOut(attributes)) {
      Integer status = attributes.getAttribute(ERROR_STATUS);
      e.addSuppressed(new CutShort(Boolean.TRUE.equals(attributes.getAttribute(SENT)),
          attributes.getAttribute(ERROR_CODE), status == null ? 0 : status));
    }
    return e; // otherwise an answer, or an interrupt from our own shutdown
  }

  /** The note on a failed call, on it or on its cause. */
  static Optional<CutShort> of(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      for (Throwable s : t.getSuppressed()) {
        if (s instanceof CutShort c) {
          return Optional.of(c);
        }
      }
    }
    return Optional.empty();
  }

  private boolean timedOut(ExecutionAttributes attributes) {
    Long started = attributes.getAttribute(STARTED);
    // The SDK's timer fires at the call timeout; allow for its scheduling slack.
    return started != null && System.nanoTime() - started >= callTimeout.toNanos() * 9 / 10;
  }

  /** "com.amazonaws.x#ThrottlingException:http://..." becomes "ThrottlingException"; anything odd, null. */
  static String codeOnly(String raw) {
    if (raw == null) {
      return null;
    }
    String code = raw.substring(raw.lastIndexOf('#') + 1);
    int colon = code.indexOf(':');
    code = colon < 0 ? code : code.substring(0, colon);
    return CODE.matcher(code).matches() ? code : null;
  }
}
