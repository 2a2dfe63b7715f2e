package sites.deco.buildsecrets.ops;

import java.time.Duration;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

/** Counts and times every read of any backend, by outcome. */
public final class MeteredSource implements Source {
  private final Source delegate;
  private final SyncMetrics metrics;

  public MeteredSource(Source delegate, SyncMetrics metrics) {
    this.delegate = delegate;
    this.metrics = metrics;
  }

  @Override
  public Upstream read(String key) throws SourceException {
    long start = System.nanoTime();
    String outcome = "error";
    try {
      Upstream result = delegate.read(key);
      outcome = switch (result) {
        case Upstream.Found f -> "found";
        case Upstream.Missing m -> "missing";
        case Upstream.Invalid i -> "invalid";
        case Upstream.Unreachable u -> u.kind().label();
      };
      return result;
    } catch (SourceException e) {
      outcome = e.kind().label();
      throw e;
    } finally {
      metrics.sourceRequest("read", outcome, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
