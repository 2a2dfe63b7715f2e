package sites.deco.buildsecrets.testbed;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import sites.deco.buildsecrets.source.BulkSource;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;

/**
 * Wraps a real source: counts value reads per key (single or batched) and listings, and can be
 * told to fail like a broken upstream.
 */
public final class CountingSource implements BulkSource {
  private final BulkSource delegate;
  private final AtomicInteger listings = new AtomicInteger();
  private final AtomicInteger batches = new AtomicInteger();
  private final AtomicInteger singleReads = new AtomicInteger();
  private volatile boolean denyListing;
  private final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> directReads = new ConcurrentHashMap<>();
  private volatile SourceException.Kind failure;

  public CountingSource(BulkSource delegate) {
    this.delegate = delegate;
  }

  @Override
  public Upstream read(String key) throws SourceException {
    reads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    directReads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    singleReads.incrementAndGet();
    failIfTold();
    return delegate.read(key);
  }

  @Override
  public Map<String, String> currentVersions(String keyPrefix) throws SourceException {
    listings.incrementAndGet();
    failIfTold();
    if (denyListing) {
      throw new SourceException(SourceException.Kind.ACCESS_DENIED, "AccessDeniedException (HTTP 400)");
    }
    return delegate.currentVersions(keyPrefix);
  }

  @Override
  public Map<String, Upstream> readAll(Collection<String> keys) throws SourceException {
    keys.forEach(k -> reads.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet());
    batches.incrementAndGet();
    failIfTold();
    return new HashMap<>(delegate.readAll(keys));
  }

  @Override
  public int batchSize() {
    return delegate.batchSize();
  }

  private void failIfTold() throws SourceException {
    SourceException.Kind f = failure;
    if (f != null) {
      throw new SourceException(f, "injected by the test");
    }
  }

  public int listings() {
    return listings.get();
  }

  /** readAll calls (each may span several backend requests of at most 20 keys). */
  public int batchCalls() {
    return batches.get();
  }

  public int singleReads() {
    return singleReads.get();
  }

  /** Makes listing fail with access denied, as an IAM policy without ListSecrets would. */
  public void denyListing(boolean deny) {
    this.denyListing = deny;
  }

  /** GetSecretValue-style reads of one key, without the batch reads that also counted in {@link #reads}. */
  public int directReads(String key) {
    AtomicInteger n = directReads.get(key);
    return n == null ? 0 : n.get();
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
