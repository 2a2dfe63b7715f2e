package sites.deco.buildsecrets.testbed;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

/** Wraps a real source: counts reads per key, and can be told to fail like a broken upstream. */
public final class CountingSource implements Source {
  private final Source delegate;
  private final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
  private volatile SourceException.Kind failure;

  public CountingSource(Source delegate) {
    this.delegate = delegate;
  }

  @Override
  public Upstream read(String key) throws SourceException {
    reads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    SourceException.Kind f = failure;
    if (f != null) {
      throw new SourceException(f, "injected by the test");
    }
    return delegate.read(key);
  }

  public int reads(String key) {
    AtomicInteger n = reads.get(key);
    return n == null ? 0 : n.get();
  }

  /** Makes every read fail with this kind; null restores normal reads. */
  public void failWith(SourceException.Kind kind) {
    this.failure = kind;
  }

  @Override
  public String name() {
    return "counting-" + delegate.name();
  }
}
