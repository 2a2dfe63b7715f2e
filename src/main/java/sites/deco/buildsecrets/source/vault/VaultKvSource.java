package sites.deco.buildsecrets.source.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.PayloadRule;
import sites.deco.buildsecrets.source.Source;
import sites.deco.buildsecrets.source.SourceException;
import sites.deco.buildsecrets.source.TokenBucket;
import sites.deco.buildsecrets.source.Upstream;

/**
 * HashiCorp Vault's KV version 2 engine. A key's payload is the data map of its current version,
 * held to the same rules as an AWS payload (a JSON object of strings).
 *
 * <p>What is "missing", and what never is:
 * <ul>
 *   <li>404 with no error message: no such key. Missing (not found), but only after the mount is
 *       confirmed as a KV version 2 mount visible to this token (one more request, each time), so a
 *       wrong or disabled mount, or a KV version 1 mount at that path, is an error and never Missing.
 *   <li>The current version soft-deleted (404 or 200 with {@code deletion_time} in the past):
 *       Missing (scheduled for deletion; {@code vault kv undelete} restores it). Destroyed: Missing
 *       (not found).
 *   <li>403 (policy, unknown mount under a restricted token, revoked or expired token): an error,
 *       after one fresh login (so a persistently denied read costs three requests: read, login,
 *       read; the reconciler's backoff spaces them); a failed login is a credentials error. 5xx, 429, timeouts, no answer,
 *       a 404 that names an error (no handler for the route): errors.
 * </ul>
 *
 * <p>Only {@link Source}: Vault has no batch read, and finding changed keys through metadata
 * (a LIST per folder plus a metadata read per key) costs more requests than one read per key, so
 * the operator re-reads each namespace's key once per resync (docs/operations.md).
 */
public final class VaultKvSource implements Source {
  private final VaultSettings settings;
  private final VaultHttp http;
  private final KubernetesLogin login;
  private final Clock clock;

  VaultKvSource(VaultSettings settings, VaultHttp http, KubernetesLogin login, Clock clock) {
    this.settings = settings;
    this.http = http;
    this.login = login;
    this.clock = clock;
  }

  /**
   * The operator's reader.
   *
   * @param listener told of every HTTP call (operation, outcome, nanoseconds); null for none
   */
  public static VaultKvSource open(VaultSettings settings, TokenBucket limit, CallListener listener) {
    VaultHttp http = new VaultHttp(settings, limit, listener == null ? null : listener::call);
    return new VaultKvSource(settings, http, new KubernetesLogin(settings, http, Clock.systemUTC()), Clock.systemUTC());
  }

  /** Told of every HTTP call to Vault, for metrics. */
  public interface CallListener {
    void call(String operation, String outcome, long nanos);
  }

  @Override
  public Upstream read(String key) throws SourceException {
    String path = settings.mount() + "/data/" + encodeKey(key);
    VaultHttp.Reply reply = authed("read", "GET", path);
    if (reply.status() == 200) {
      JsonNode data = reply.body().path("data");
      JsonNode metadata = data.path("metadata");
      Upstream.Missing gone = deleted(metadata);
      if (gone != null) {
        return gone;
      }
      String version = metadata.path("version").asText("");
      JsonNode values = data.path("data");
      if (values.isMissingNode()) {
        throw new SourceException(SourceException.Kind.REJECTED,
            "read of " + key + ": the answer is not a KV version 2 secret (check --vault-mount)");
      }
      try {
        return PayloadParser.parse(VaultHttp.JSON.writeValueAsString(values), version);
      } catch (JsonProcessingException e) {
        return new Upstream.Invalid(PayloadRule.MALFORMED_JSON, null, "unreadable");
      }
    }
    if (reply.status() == 404) {
      if (!reply.noErrors()) {
        // Vault names an error: e.g. "no handler for route", an unmounted path. Not an answer about the key.
        throw new SourceException(SourceException.Kind.REJECTED,
            "read of " + key + ": Vault has no such path (HTTP 404 with an error; check --vault-mount)");
      }
      Upstream.Missing gone = deleted(reply.body().path("data").path("metadata"));
      confirmMount();
      return gone != null ? gone : new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
    }
    throw VaultHttp.error("read of " + key, reply);
  }

  /** Missing when the version's metadata says soft-deleted (in the past) or destroyed; else null. */
  private Upstream.Missing deleted(JsonNode metadata) {
    if (metadata.path("destroyed").asBoolean(false)) {
      return new Upstream.Missing(Upstream.MissingReason.NOT_FOUND);
    }
    String deletion = metadata.path("deletion_time").asText("");
    if (!deletion.isEmpty()) {
      try {
        if (!Instant.parse(deletion).isAfter(clock.instant())) {
          return new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION);
        }
      } catch (DateTimeParseException e) {
        return new Upstream.Missing(Upstream.MissingReason.SCHEDULED_FOR_DELETION);
      }
    }
    return null;
  }

  /**
   * The mount exists, is KV version 2 and this token sees it; else a SourceException. Asked before
   * every "missing" answer, so no order of events turns a wrong mount into a deletion.
   */
  void confirmMount() throws SourceException {
    VaultHttp.Reply reply = authed("mount_check", "GET", "sys/internal/ui/mounts/" + settings.mount());
    if (!reply.ok()) {
      SourceException e = VaultHttp.error("mount " + settings.mount() + " not visible", reply);
      throw new SourceException(e.kind() == SourceException.Kind.UNAVAILABLE ? e.kind() : SourceException.Kind.REJECTED,
          e.detail() + ": check --vault-mount and that the policy covers it");
    }
    JsonNode data = reply.body().path("data");
    String type = data.path("type").asText("");
    String version = data.path("options").path("version").asText("");
    String mountPath = data.path("path").asText("");
    if (!type.equals("kv") || !version.equals("2") || !mountPath.equals(settings.mount() + "/")) {
      throw new SourceException(SourceException.Kind.REJECTED, "mount " + settings.mount() + " is not a KV version 2 "
          + "mount (type " + (type.isEmpty() ? "?" : type) + ", version " + (version.isEmpty() ? "?" : version)
          + ", mounted at " + (mountPath.isEmpty() ? "?" : mountPath) + "): check --vault-mount");
    }
  }

  /**
   * The key path's capabilities for the operator's token ({@code sys/capabilities-self}), for
   * {@code doctor}: data and metadata paths of {@code key}.
   */
  public List<String> capabilities(String key) throws SourceException {
    String data = settings.mount() + "/data/" + key;
    String metadata = settings.mount() + "/metadata/" + key;
    var body = VaultHttp.JSON.createObjectNode();
    body.putArray("paths").add(data).add(metadata);
    VaultHttp.Reply reply = authed("capabilities", "POST", "sys/capabilities-self", body);
    if (!reply.ok()) {
      throw VaultHttp.error("capabilities of " + key, reply);
    }
    List<String> out = new ArrayList<>();
    for (String path : List.of(data, metadata)) {
      List<String> caps = new ArrayList<>();
      reply.body().path(path).forEach(c -> caps.add(c.asText()));
      if (caps.isEmpty()) {
        reply.body().path("data").path(path).forEach(c -> caps.add(c.asText()));
      }
      out.add(path + ": " + (caps.isEmpty() ? "none" : String.join(",", caps)));
    }
    return out;
  }

  /** Logs in (or reuses the token), for doctor; returns nothing, throws what a read would. */
  public void checkLogin() throws SourceException {
    login.token();
  }

  /** Vault's {@code sys/health}, unauthenticated, for doctor: "initialized, unsealed, version x". */
  public String health() throws SourceException {
    VaultHttp.Reply reply = http.send("health", "GET", "sys/health?standbyok=true&perfstandbyok=true", null, null);
    JsonNode b = reply.body();
    if (!reply.ok()) {
      throw VaultHttp.error("health", reply);
    }
    return (b.path("sealed").asBoolean(true) ? "sealed" : "unsealed") + ", version "
        + b.path("version").asText("?");
  }

  private VaultHttp.Reply authed(String operation, String method, String path) throws SourceException {
    return authed(operation, method, path, null);
  }

  /** One call with the current token; after a 403, once more with a fresh login (revoked or expired token). */
  private VaultHttp.Reply authed(String operation, String method, String path, JsonNode body) throws SourceException {
    String token = login.token();
    VaultHttp.Reply reply = http.send(operation, method, path, token, body);
    if (reply.status() == 403) {
      login.refused(token);
      reply = http.send(operation, method, path, login.token(), body);
    }
    return reply;
  }

  /** Each path segment URL-encoded; the slashes between them kept. */
  static String encodeKey(String key) {
    StringBuilder out = new StringBuilder();
    for (String segment : key.split("/", -1)) {
      if (out.length() > 0) out.append('/');
      out.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return out.toString();
  }

  public VaultSettings settings() {
    return settings;
  }

  @Override
  public String name() {
    return "vault";
  }

  @Override
  public void close() {
    http.close();
  }
}
