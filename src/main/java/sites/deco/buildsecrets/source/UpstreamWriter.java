package sites.deco.buildsecrets.source;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Writes to the upstream store, for the {@code adopt} and {@code env} commands only (and the version
 * reads they need). The operator never holds one:
 * it reads through {@link Source} and stays read-only upstream. Calls run with the credentials of
 * the person who runs the command. Every write is conditional on what was read, so a value
 * written by someone else meanwhile (a rotation) is never replaced. Nothing here logs or returns a
 * value.
 */
public interface UpstreamWriter extends AutoCloseable {

  /** The key exists already: someone created it since it was read. */
  final class KeyExists extends Exception {
    public KeyExists(String key) {
      super("upstream key " + key + " exists already");
    }
  }

  /**
   * The current version is no longer the one read: someone wrote the key meanwhile, and that
   * write stays current.
   *
   * @param current the version now current, null when unknown
   * @param leftOver what this attempt could not undo (a version still carrying a private label), in
   *     words with the command that removes it; null when nothing is left
   */
  final class ConcurrentWrite extends Exception {
    public final String current;
    public final String leftOver;

    public ConcurrentWrite(String key, String current, String leftOver) {
      super("upstream key " + key + " was written by someone else since it was read"
          + (current == null ? "" : " (version " + current + " is current now)"));
      this.current = current;
      this.leftOver = leftOver;
    }
  }

  /**
   * Creates {@code key} holding {@code json} (a JSON object of strings), tagged with {@code tags}.
   * Conditional by nature: it fails with {@link KeyExists} when the key was created meanwhile.
   *
   * @return the new version id
   */
  String create(String key, String json, Map<String, String> tags) throws SourceException, KeyExists;

  /**
   * The version that carries the current value now.
   *
   * @throws SourceException also when the key does not exist
   */
  String currentVersion(String key) throws SourceException;

  /**
   * Makes {@code json} the current value of the existing {@code key}, only if {@code readVersion}
   * is still current: otherwise nothing becomes current and {@link ConcurrentWrite} says so.
   *
   * @return the new version, and what could not be tidied up
   */
  Replaced replaceCurrent(String key, String json, String readVersion) throws SourceException, ConcurrentWrite;

  /**
   * @param version the version now current, holding {@code json}
   * @param leftOver a private label that could not be removed from it, in words with the command
   *     that removes it; null when none is left
   */
  record Replaced(String version, String leftOver) {}

  /**
   * Makes the existing {@code version} current again, only if {@code readVersion} is still current:
   * otherwise nothing moves and {@link ConcurrentWrite} says so.
   */
  void makeCurrent(String key, String version, String readVersion) throws SourceException, ConcurrentWrite;

  /** The current version, read; null when the key does not exist. */
  Version current(String key) throws SourceException;

  /**
   * The versions the store still holds for {@code key} (labelled or not), newest first, each read:
   * a value stays inside its {@link Version#payload()} and is never returned as text.
   */
  List<Version> versions(String key) throws SourceException;

  /** Adds {@code tags} to {@code key}, replacing the values of tags it has already. */
  void tag(String key, Map<String, String> tags) throws SourceException;

  /** Who these calls run as (an AWS caller ARN), for the tags a write leaves. */
  String caller() throws SourceException;

  /**
   * @param id the version id
   * @param created when it was stored, null when unknown
   * @param stages its staging labels, e.g. AWSCURRENT
   * @param payload what it holds, checked by {@link PayloadParser} as the operator would read it:
   *     {@link Upstream.Found} or {@link Upstream.Invalid}
   */
  record Version(String id, Instant created, List<String> stages, Upstream payload) {}

  @Override
  default void close() {}
}
