package sites.deco.buildsecrets.controller;

import java.util.concurrent.CompletableFuture;
import sites.deco.buildsecrets.source.Upstream;

/**
 * One upstream answer waiting for its site's reconcile: the secondary resource {@link
 * UpstreamAnswers} serves. It carries the force-sync token the namespace had when the key was
 * read (an answer read before a newer force-sync is not applied) and settles, once, with its fate,
 * so the feeder that read it knows when it was applied. Never prints a value.
 */
final class UpstreamAnswer {

  /** Who read it. */
  enum Origin {
    /** The list-mode sweep's batch reads: dropped by the next sweep if still waiting. */
    SWEEP,
    /** A change event's targeted read. */
    CHANGE_EVENT,
    /** Kept from a failed write, so its retry applies the same answer without a second read. */
    RETRY
  }

  /** What became of it. */
  enum Fate {
    /** A reconcile took it. */
    TAKEN,
    /** A newer answer for the same site replaced it before any reconcile took it. */
    SUPERSEDED,
    /** Dropped unread: the namespace is gone, or a sweep's answer outlived its sweep. */
    DROPPED
  }

  private final Upstream upstream;
  private final String syncToken;
  private final Origin origin;
  private final CompletableFuture<Fate> fate = new CompletableFuture<>();

  UpstreamAnswer(Upstream upstream, String syncToken, Origin origin) {
    this.upstream = upstream;
    this.syncToken = syncToken;
    this.origin = origin;
  }

  Upstream upstream() {
    return upstream;
  }

  String syncToken() {
    return syncToken;
  }

  Origin origin() {
    return origin;
  }

  /** Completes once, with what became of the answer. */
  CompletableFuture<Fate> fate() {
    return fate;
  }

  void settle(Fate how) {
    fate.complete(how);
  }

  @Override
  public String toString() {
    return "UpstreamAnswer[" + upstream.getClass().getSimpleName() + ", " + origin + "]";
  }
}
