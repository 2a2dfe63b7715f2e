package sites.deco.buildsecrets.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The test bed's Vault as its root token sees it: writes, deletes and destroys test keys, roles
 * and policies. Tests isolate themselves by key and role names, never by resetting Vault.
 */
public final class VaultAdmin {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String address;
  private final String token;
  private final HttpClient client;

  public VaultAdmin(Map<String, String> vaultEnv) {
    this.address = vaultEnv.get("VAULT_ADDR");
    this.token = vaultEnv.get("VAULT_TOKEN");
    this.client = HttpClient.newBuilder().sslContext(trusting(Path.of(vaultEnv.get("VAULT_CACERT"))))
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Writes a new version of {@code key} in the secret/ mount; values may be any JSON. */
  public void put(String key, Map<String, ?> data) {
    ObjectNode body = JSON.createObjectNode();
    body.set("data", JSON.valueToTree(data));
    call("POST", "secret/data/" + key, body);
  }

  /** Soft-deletes the current version (vault kv delete). */
  public void softDelete(String key) {
    call("DELETE", "secret/data/" + key, null);
  }

  /** Destroys the current version (vault kv destroy -versions=N). */
  public void destroyCurrent(String key) {
    int version = call("GET", "secret/metadata/" + key, null).path("data").path("current_version").asInt();
    ObjectNode body = JSON.createObjectNode();
    body.putArray("versions").add(version);
    call("PUT", "secret/destroy/" + key, body);
  }

  /** Removes the key and all its versions (vault kv metadata delete). */
  public void deleteAll(String key) {
    call("DELETE", "secret/metadata/" + key, null);
  }

  public void policy(String name, String hcl) {
    ObjectNode body = JSON.createObjectNode().put("policy", hcl);
    call("PUT", "sys/policies/acl/" + name, body);
  }

  /** A Kubernetes auth role bound to the bed's operator ServiceAccount (namespace/name). */
  public void role(String name, String serviceAccount, String policies, String ttl) {
    String[] ns = serviceAccount.split("/");
    ObjectNode body = JSON.createObjectNode()
        .put("bound_service_account_names", ns[1])
        .put("bound_service_account_namespaces", ns[0])
        .put("token_policies", policies)
        .put("token_ttl", ttl)
        .put("token_max_ttl", "4h");
    call("POST", "auth/kubernetes/role/" + name, body);
  }

  /** Enables a secrets engine at {@code path} unless one is there. */
  public void enableKv(String path, int version) {
    if (call("GET", "sys/mounts", null).path("data").has(path + "/")) {
      return;
    }
    ObjectNode body = JSON.createObjectNode().put("type", "kv");
    body.putObject("options").put("version", String.valueOf(version));
    call("POST", "sys/mounts/" + path, body);
  }

  /** Revokes every token issued through the Kubernetes auth method's login. */
  public void revokeKubernetesLogins() {
    call("PUT", "sys/leases/revoke-prefix/auth/kubernetes/login", null);
  }

  private JsonNode call(String method, String path, JsonNode body) {
    try {
      HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(address + "/v1/" + path))
          .timeout(Duration.ofSeconds(10)).header("X-Vault-Token", token);
      r.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      HttpResponse<byte[]> response = client.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() / 100 != 2) {
        // Vault's error messages name paths, never values: safe for a test failure.
        throw new IllegalStateException(method + " " + path + ": HTTP " + response.statusCode() + " "
            + new String(response.body()));
      }
      return response.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static SSLContext trusting(Path ca) {
    try (InputStream in = Files.newInputStream(ca)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException("cannot trust " + ca + ": " + e, e);
    }
  }
}
