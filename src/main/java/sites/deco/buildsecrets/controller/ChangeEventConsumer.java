package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.config.GoDuration;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.source.ChangeEvent;
import sites.deco.buildsecrets.source.ChangeFeed;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.LocalSecret;
import sites.deco.buildsecrets.sync.SiteRef;
import sites.deco.buildsecrets.sync.SiteStore;
import sites.deco.buildsecrets.sync.SyncRules;
import sites.deco.buildsecrets.telemetry.ChangeEventMetrics;

/**
 * Turns upstream change events into targeted reads. Only the leader runs it, beside the
 * sweep, which stays the safety net. One thread long-polls the queue (20 s waits, 10 messages);
 * when messages come it keeps receiving without waiting until the queue is drained or a round is
 * full, so a burst is coalesced: each key is read once per round, 20 keys per batch read, every
 * read through the token bucket.
 *
 * <p>An event is a hint, never the truth. Its key is mapped to a site namespace by the key
 * template; a key outside the template, a namespace that is not opted in, and a Secret the
 * operator does not own cost no read, and their messages are deleted. Every other answer is noted
 * in the site store and offered to {@link UpstreamAnswers}, as the sweep offers its batch answers,
 * so the ordinary rule table and the deletion guard decide: a storm of DeleteSecret events cannot pass the budget.
 * Duplicates, reordering and stale events are harmless: each read says what upstream holds now.
 *
 * <p>A message is deleted only once its reconcile has taken the answer (the reconcile then writes
 * it, or keeps it for its own retry), a newer read replaced it, or it needed nothing; a failed read leaves it in the queue,
 * to come back after its visibility timeout. A queue that is missing, denied or unreachable never
 * stops the operator: it is logged once per outage, counted, and polled again with backoff.
 * Malformed messages are counted and deleted; their content is never logged. Messages arrive
 * parsed (see {@link ChangeFeed.Message}): a round holds key names, never bodies.
 *
 * <p>A round that ends by any Throwable (a bug, a StackOverflowError) does not end the consumer:
 * it is logged by class, counted, and the consumer starts again after a backoff (1 s doubling, at
 * most 30 s), the sweep covering meanwhile; after {@value #FAILURES_BEFORE_UNREADY} in a row,
 * {@code /readyz} says so until a round completes. An OutOfMemoryError never gets here: the JVM
 * exits on it ({@code -XX:+ExitOnOutOfMemoryError}), as nothing after one can be trusted.
 */
final class ChangeEventConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeEventConsumer.class);
  /** Messages gathered into one round of reads: 200 distinct keys are 10 batch reads. */
  static final int MAX_ROUND = 200;
  /** SQS's largest receive, and its longest long-poll wait. */
  static final int MAX_MESSAGES = 10;
  static final int LONG_POLL_SECONDS = 20;
  /** How long a round waits for its reconciles to take the answers before leaving them to redelivery. */
  static final Duration HAND_OFF_WAIT = Duration.ofSeconds(30);
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  /** Rounds ended by a Throwable in a row before /readyz reports it; fewer are transient. */
  static final int FAILURES_BEFORE_UNREADY = 3;
  /** Oversized messages are counted each; a WARN line says so at most this often. */
  private static final Duration TOO_LARGE_LOG_INTERVAL = Duration.ofHours(1);
  /**
   * How long stop() waits for the thread. A long poll in flight is not interruptible and holds no
   * work: it is left to end on its own (or when the queue client is closed), and what it brings back
   * is not handled, so those messages come back after their visibility timeout.
   */
  private static final Duration STOP_WAIT = Duration.ofSeconds(2);

  private final ChangeFeed feed;
  private final Source source;
  private final Naming naming;
  private final SiteStore store;
  private final ChangeEventMetrics metrics;
  private final Clock clock;
  private final Function<String, Optional<Namespace>> namespaceOf;
  private final Function<String, Secret> secretOf;
  private final UpstreamAnswers answers;
  private final CompletableFuture<Void> cachesSynced;
  private final int waitSeconds;

  private Thread thread;
  /** False once stopped; true before start, so a round can be driven directly (tests). */
  private volatile boolean running = true;
  /** Failed queue calls in a row; the first of an outage is logged at WARN, the recovery at INFO. */
  private int failures;
  /** Rounds ended by a Throwable in a row, and the last one's class; for /readyz. */
  private volatile int roundsFailed;
  private volatile String lastRoundFailure;
  private final OncePer tooLargeLog = new OncePer(TOO_LARGE_LOG_INTERVAL);

  ChangeEventConsumer(ChangeFeed feed, Source source, Naming naming, SiteStore store, ChangeEventMetrics metrics,
      Clock clock, Function<String, Optional<Namespace>> namespaceOf, Function<String, Secret> secretOf,
      UpstreamAnswers answers, CompletableFuture<Void> cachesSynced, int waitSeconds) {
    this.feed = feed;
    this.source = source;
    this.naming = naming;
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.namespaceOf = namespaceOf;
    this.secretOf = secretOf;
    this.answers = answers;
    this.cachesSynced = cachesSynced;
    this.waitSeconds = waitSeconds;
  }

  synchronized void start() {
    if (thread != null) {
      return;
    }
    running = true;
    thread = new Thread(this::run, "change-events");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Stops consuming without waiting for a long poll in flight: a round in progress ends at its next
   * step, and its messages not yet deleted are redelivered.
   */
  void stop() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
      thread = null;
    }
    if (t == null) {
      return;
    }
    t.interrupt();
    try {
      t.join(STOP_WAIT.toMillis());
      if (t.isAlive()) {
        LOG.debug("a change-event long poll is still in flight; its messages are redelivered");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    try {
      cachesSynced.get(); // classifying an event needs the namespace and Secret caches
    } catch (InterruptedException e) {
      return;
    } catch (ExecutionException e) {
      return; // the operator failed to start
    }
    LOG.info("consuming change events from the queue");
    while (running && !Thread.currentThread().isInterrupted()) {
      try {
        round();
        roundsFailed = 0;
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) { // an Error too: the consumer must never end while the operator runs
        if (!running) {
          return; // the queue client was closed under a long poll at shutdown
        }
        if (!sleep(roundFailed(t))) {
          return;
        }
      }
    }
  }

  /** Reports a round ended by {@code t} (its class only: a message may quote content); returns the backoff. */
  private Duration roundFailed(Throwable t) {
    int n = ++roundsFailed;
    lastRoundFailure = t.getClass().getSimpleName();
    metrics.consumerFailed();
    Duration backoff = backoff(n);
    LOG.error("change-event round failed ({}), {} in a row: consuming again in {}; the sweep covers meanwhile",
        lastRoundFailure, n, GoDuration.format(backoff));
    return backoff;
  }

  /** Why change events are not consumed, for /readyz; null when they are (or are only waiting for the queue). */
  String problem() {
    int n = roundsFailed;
    return n >= FAILURES_BEFORE_UNREADY
        ? "the change-event consumer failed " + n + " times in a row (" + lastRoundFailure + "); restarting with "
            + "backoff, the sweep covers meanwhile"
        : null;
  }

  /** One long poll, the messages that follow it, their reads, hand-offs and deletions. */
  void round() throws InterruptedException {
    List<ChangeFeed.Message> received = new ArrayList<>();
    if (!receive(received, waitSeconds)) {
      return;
    }
    int last = received.size();
    while (last > 0 && received.size() < MAX_ROUND && running) {
      // A full receive means more are likely waiting: wait up to 1 s, which returns at once when
      // they are there (a short poll samples only some SQS servers and may come back empty).
      // Anything less, and the queue is probably drained: one short poll confirms it, so a single
      // event is not held up.
      int before = received.size();
      if (!receive(received, last == MAX_MESSAGES ? 1 : 0)) {
        break;
      }
      last = received.size() - before;
    }
    if (!received.isEmpty() && running) {
      handle(received);
    }
  }

  /** @return false when the queue call failed (already reported and backed off) */
  private boolean receive(List<ChangeFeed.Message> into, int waitSeconds) throws InterruptedException {
    try {
      into.addAll(feed.receive(MAX_MESSAGES, waitSeconds));
      queueWorks();
      return true;
    } catch (SourceException e) {
      queueFailed("receiving", e);
      return false;
    }
  }

  /** Classifies, reads, hands off and deletes one round of messages. */
  void handle(List<ChangeFeed.Message> messages) throws InterruptedException {
    List<ChangeFeed.Message> done = new ArrayList<>();
    Map<String, Counted> outcomes = new HashMap<>();
    Map<String, Pending> byKey = new LinkedHashMap<>();
    for (ChangeFeed.Message m : messages) {
      String outcome = classify(m, byKey);
      if (outcome != null) {
        outcomes.computeIfAbsent(outcome, o -> new Counted()).n++;
        done.add(m);
      }
    }
    if (!running) {
      return; // stopping: nothing deleted, everything comes back to the next leader
    }
    Map<String, Upstream> read = read(byKey.keySet());
    Instant now = clock.instant();
    List<HandedOff> handedOff = new ArrayList<>();
    for (Pending p : byKey.values()) {
      Upstream answer = read.get(p.key);
      if (answer == null || answer instanceof Upstream.Unreachable) {
        outcomes.computeIfAbsent("read_failed", o -> new Counted()).n += p.messages.size();
        continue; // left in the queue: redelivered after its visibility timeout, and read again
      }
      store.noteRead(p.site.namespace(), answer, now);
      UpstreamAnswer offered = new UpstreamAnswer(answer, p.site.syncToken(), UpstreamAnswer.Origin.CHANGE_EVENT);
      answers.offer(p.site.namespace(), offered);
      handedOff.add(new HandedOff(p, offered));
    }
    awaitTaken(handedOff, done, outcomes);
    outcomes.forEach((o, c) -> metrics.event(o, c.n));
    if (!done.isEmpty()) {
      try {
        feed.delete(done);
      } catch (SourceException e) {
        queueFailed("deleting handled messages", e); // redelivered and handled again: harmless
      }
    }
  }

  /**
   * What a message needs. Null when it names a key to read (added to {@code byKey}); else the
   * outcome of a message that needs no read.
   */
  private String classify(ChangeFeed.Message m, Map<String, Pending> byKey) {
    return switch (m.event()) {
      case ChangeEvent.TooLarge big -> {
        if (tooLargeLog.tryAcquire(clock.instant())) {
          LOG.warn("change event {} is {} bytes, over the {}-byte bound: deleted unread (counted as too_large; "
              + "the queue's MaximumMessageSize should refuse such messages)", m.id(), big.bytes(),
              big.bound());
        }
        yield "too_large";
      }
      case ChangeEvent.Malformed bad -> {
        LOG.debug("change event {} is malformed ({}); deleted", m.id(), bad.why());
        yield "malformed";
      }
      case ChangeEvent.Ignored i -> "ignored";
      case ChangeEvent.Change change -> {
        Optional<String[]> keyAndSite = change.keyCandidates().stream()
            .flatMap(k -> naming.siteOfKey(k).map(s -> new String[] {k, s}).stream())
            .findFirst();
        if (keyAndSite.isEmpty()) {
          yield "outside_template";
        }
        String key = keyAndSite.get()[0];
        Pending already = byKey.get(key);
        if (already != null) {
          already.messages.add(m); // coalesced: one read answers every event of the round for this key
          yield null;
        }
        String ns = naming.namespacePrefix() + keyAndSite.get()[1];
        Optional<SiteRef> site = namespaceOf.apply(ns).flatMap(n -> SiteRef.from(n, naming));
        if (site.isEmpty() || !site.get().optedIn()) {
          yield "not_opted_in";
        }
        if (!SyncRules.needsUpstream(site.get(), LocalSecret.of(secretOf.apply(ns), naming))) {
          yield "no_action"; // a Secret the operator does not own: never read for it
        }
        byKey.put(key, new Pending(key, site.get(), new ArrayList<>(List.of(m))));
        yield null;
      }
    };
  }

  /** Reads every key once, in batches when the source can; a failed request leaves its keys unanswered. */
  private Map<String, Upstream> read(Set<String> keys) {
    if (keys.isEmpty()) {
      return Map.of();
    }
    try {
      return source.readAll(keys);
    } catch (SourceException e) {
      LOG.warn("reading {} keys named by change events failed ({}); their events are redelivered",
          keys.size(), e.getMessage());
      return Map.of();
    }
  }

  /**
   * Waits until each reconcile took its answer, or a newer answer replaced it (that reconcile then
   * applies the newer read); records latency and marks those messages done. An answer dropped or
   * still waiting at the deadline leaves its messages to redelivery.
   */
  private void awaitTaken(List<HandedOff> handedOff, List<ChangeFeed.Message> done, Map<String, Counted> outcomes)
      throws InterruptedException {
    CompletableFuture<?>[] fates = handedOff.stream().map(h -> h.answer().fate()).toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(fates).get(HAND_OFF_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // what settled is counted below; the rest is redelivered
    }
    Instant now = clock.instant();
    int untaken = 0;
    for (HandedOff h : handedOff) {
      UpstreamAnswer.Fate fate = h.answer().fate().getNow(UpstreamAnswer.Fate.DROPPED);
      if (fate == UpstreamAnswer.Fate.DROPPED) {
        untaken += h.pending().messages.size();
        continue;
      }
      done.addAll(h.pending().messages);
      outcomes.computeIfAbsent("applied", o -> new Counted()).n += h.pending().messages.size();
      h.pending().messages.forEach(m -> metrics.latency(Duration.between(m.sent(), now)));
    }
    if (untaken > 0) {
      LOG.debug("{} change events' answers not taken within {}; they are redelivered", untaken,
          GoDuration.format(HAND_OFF_WAIT));
      outcomes.computeIfAbsent("read_failed", o -> new Counted()).n += untaken;
    }
  }

  private void queueWorks() {
    if (failures > 0) {
      LOG.info("the change-event queue answers again after {} failed calls", failures);
      failures = 0;
    }
  }

  /** Reports a failed queue call once per outage, counts it, and waits: 1 s doubling, at most 30 s. */
  private void queueFailed(String what, SourceException e) throws InterruptedException {
    if (!running) {
      throw new InterruptedException("stopping");
    }
    failures++;
    metrics.queueError(e.kind().name().toLowerCase(java.util.Locale.ROOT));
    Duration backoff = backoff(failures);
    if (failures == 1) {
      LOG.warn("{} change events failed ({}): upstream changes wait for the next sweep; retrying with backoff "
          + "up to {}", what, e.getMessage(), GoDuration.format(MAX_BACKOFF));
    } else {
      LOG.debug("{} change events failed again ({}); next try in {}", what, e.getMessage(), GoDuration.format(backoff));
    }
    if (!sleep(backoff)) {
      throw new InterruptedException("stopping");
    }
  }

  /** 1 s for the first failure in a row, doubling, at most 30 s. */
  private static Duration backoff(int failuresInARow) {
    Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(failuresInARow - 1, 10));
    return backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
  }

  private boolean sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
      return running;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private static final class Counted {
    int n;
  }

  private record Pending(String key, SiteRef site, List<ChangeFeed.Message> messages) {}

  private record HandedOff(Pending pending, UpstreamAnswer answer) {}
}
