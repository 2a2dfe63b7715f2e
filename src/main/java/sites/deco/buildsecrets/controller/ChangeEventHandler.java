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
import java.util.function.BooleanSupplier;
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
 * What one round of change events comes to: each message classified (a key outside the template,
 * a namespace not opted in, a Secret the operator does not own: no read), each named key read once,
 * 20 per batch read, and each answer noted in the site store and offered to {@link UpstreamAnswers}
 * for its namespace's reconcile. A message is done once its answer was taken or replaced by a newer
 * read, or it needed nothing; a failed read, or an answer still untaken after {@link
 * #HAND_OFF_WAIT}, leaves it to redelivery. Outcomes are counted by kind; message content is never
 * logged.
 */
final class ChangeEventHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeEventHandler.class);
  /** How long a round waits for its reconciles to take the answers before leaving them to redelivery. */
  static final Duration HAND_OFF_WAIT = Duration.ofSeconds(30);
  /** Oversized messages are counted each; a WARN line says so at most this often. */
  private static final Duration TOO_LARGE_LOG_INTERVAL = Duration.ofHours(1);

  private final Source source;
  private final Naming naming;
  private final SiteStore store;
  private final ChangeEventMetrics metrics;
  private final Clock clock;
  private final Function<String, Optional<Namespace>> namespaceOf;
  private final Function<String, Secret> secretOf;
  private final UpstreamAnswers answers;
  private final OncePer tooLargeLog = new OncePer(TOO_LARGE_LOG_INTERVAL);

  ChangeEventHandler(Source source, Naming naming, SiteStore store, ChangeEventMetrics metrics, Clock clock,
      Function<String, Optional<Namespace>> namespaceOf, Function<String, Secret> secretOf, UpstreamAnswers answers) {
    this.source = source;
    this.naming = naming;
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.namespaceOf = namespaceOf;
    this.secretOf = secretOf;
    this.answers = answers;
  }

  /**
   * Classifies, reads and offers one round of messages, and waits for the answers to be taken.
   *
   * @param stopping true once the consumer is stopping: nothing more is read, nothing is done
   * @return the messages that are done, to delete from the queue
   */
  List<ChangeFeed.Message> handle(List<ChangeFeed.Message> messages, BooleanSupplier stopping)
      throws InterruptedException {
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
    if (stopping.getAsBoolean()) {
      return List.of(); // nothing deleted: everything comes back to the next leader
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
    return done;
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

  private static final class Counted {
    int n;
  }

  private record Pending(String key, SiteRef site, List<ChangeFeed.Message> messages) {}

  private record HandedOff(Pending pending, UpstreamAnswer answer) {}
}
