package sites.deco.buildsecrets.source.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sites.deco.buildsecrets.source.SourceException;

/**
 * The Vault token, from Vault's Kubernetes auth method: a login with the ServiceAccount token
 * (read from its file at each login, so a projected token's rotation is picked up), again once two
 * thirds of the token's TTL have passed, and at once after Vault refused the token. A fresh login
 * rather than a renewal: it costs the same one request and never outlives the role's max TTL.
 * Neither token ever reaches a log line or an exception message.
 */
final class KubernetesLogin {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesLogin.class);
  /** Tokens without a TTL (lease_duration 0) are still replaced this often. */
  static final Duration NO_TTL_REFRESH = Duration.ofHours(1);

  private final VaultSettings settings;
  private final VaultHttp http;
  private final Clock clock;
  private String token;
  private Instant refreshAt = Instant.MIN;

  KubernetesLogin(VaultSettings settings, VaultHttp http, Clock clock) {
    this.settings = settings;
    this.http = http;
    this.clock = clock;
  }

  /** A token that is not near its expiry; logs in when there is none. */
  synchronized String token() throws SourceException {
    if (token == null || !clock.instant().isBefore(refreshAt)) {
      login();
    }
    return token;
  }

  /** Forgets {@code stale} (Vault refused it): the next {@link #token()} logs in again. */
  synchronized void refused(String stale) {
    if (stale != null && stale.equals(token)) {
      token = null;
    }
  }

  private void login() throws SourceException {
    String jwt;
    try {
      jwt = Files.readString(settings.tokenPath(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new SourceException(SourceException.Kind.CREDENTIALS,
          "cannot read the ServiceAccount token at " + settings.tokenPath() + " (" + e.getClass().getSimpleName() + ")");
    }
    if (jwt.isEmpty()) {
      throw new SourceException(SourceException.Kind.CREDENTIALS,
          "the ServiceAccount token file " + settings.tokenPath() + " is empty");
    }
    ObjectNode body = VaultHttp.JSON.createObjectNode().put("role", settings.role()).put("jwt", jwt);
    VaultHttp.Reply reply = http.send("login", "POST", "auth/" + settings.authPath() + "/login", null, body);
    String what = "login to auth/" + settings.authPath() + " as role " + settings.role();
    if (!reply.ok()) {
      token = null;
      // 400 (unknown role, SA not bound) and 403 (TokenReview refused the JWT) are identity problems.
      SourceException e = VaultHttp.error(what + " refused", reply);
      if (reply.status() == 400 || reply.status() == 403) {
        throw new SourceException(SourceException.Kind.CREDENTIALS, e.detail());
      }
      throw e;
    }
    JsonNode auth = reply.body().path("auth");
    String issued = auth.path("client_token").asText("");
    if (issued.isEmpty()) {
      throw new SourceException(SourceException.Kind.CREDENTIALS, what + ": the answer holds no token");
    }
    long ttl = auth.path("lease_duration").asLong(0);
    Duration refresh = ttl <= 0 ? NO_TTL_REFRESH : Duration.ofSeconds(Math.max(1, ttl * 2 / 3));
    token = issued;
    refreshAt = clock.instant().plus(refresh);
    LOG.debug("vault: logged in as role {} (token TTL {} s; next login in {} s)", settings.role(), ttl,
        refresh.toSeconds());
  }
}
