import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The stand-in cluster of dev/build-runtime's training run: a Kubernetes API server over TLS and a
 * Secrets Manager endpoint, on loopback, answering what the operator's start-up and first sync
 * ask, so the AOT cache records the classes of that path (TLS and certificate checks, the HTTP
 * client, JSON, informers, reconciles, Secret writes, the AWS calls) and not only of its set-up.
 *
 * <p>It is a training aid, never a test double: the tests run against a real kube-apiserver and
 * moto. It keeps objects by path (create, get, replace, merge-patch, delete, list; a watch is held
 * open and sends nothing; WebSocket watches are refused so fabric8 streams them) and serves SITES opted-in namespaces whose keys all hold one value.
 * Runs with the source launcher and the operator's jar on the class path (for Jackson):
 *
 * <pre>java -cp build-secrets-operator.jar TrainingCluster.java KEYSTORE.p12 PASSWORD PREFIX SITES</pre>
 *
 * and prints "kube PORT" and "aws PORT".
 */
class TrainingCluster {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> LIST_KINDS = Map.of("namespaces", "NamespaceList",
      "secrets", "SecretList", "events", "EventList", "leases", "LeaseList");
  /** Objects by "apiPrefix|resource|namespace|name" (namespace empty when cluster-scoped). */
  private final Map<String, ObjectNode> objects = new ConcurrentSkipListMap<>();
  private final AtomicLong resourceVersion = new AtomicLong(100);
  private final String namespacePrefix;
  private final int sites;

  TrainingCluster(String namespacePrefix, int sites) {
    this.namespacePrefix = namespacePrefix;
    this.sites = sites;
    for (String name : List.of("default", "kube-system")) {
      store("/api/v1|namespaces||" + name, namespace(name, false));
    }
    for (int i = 0; i < sites; i++) {
      String name = namespacePrefix + "site-" + i;
      store("/api/v1|namespaces||" + name, namespace(name, true));
    }
  }

  public static void main(String[] args) throws Exception {
    TrainingCluster cluster = new TrainingCluster(args[2], Integer.parseInt(args[3]));
    InetAddress loopback = InetAddress.getLoopbackAddress();
    HttpsServer kube = HttpsServer.create(new InetSocketAddress(loopback, 0), 128);
    kube.setHttpsConfigurator(new HttpsConfigurator(tls(args[0], args[1].toCharArray())));
    kube.createContext("/", cluster::kube);
    kube.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    kube.start();
    HttpServer aws = HttpServer.create(new InetSocketAddress(loopback, 0), 128);
    aws.createContext("/", cluster::secretsManager);
    aws.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    aws.start();
    System.out.println("kube " + kube.getAddress().getPort());
    System.out.println("aws " + aws.getAddress().getPort());
    System.out.flush();
    new CountDownLatch(1).await(); // until killed
  }

  private static SSLContext tls(String keystore, char[] password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keystore)) {
      store.load(in, password);
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, password);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keys.getKeyManagers(), null, null);
    return tls;
  }

  // --- Kubernetes ---------------------------------------------------------------------------------

  private void kube(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
      if (path.equals("/version")) {
        reply(ex, 200, JSON.createObjectNode().put("major", "1").put("minor", "34").put("gitVersion", "v1.34.4"));
        return;
      }
      boolean watch = query.contains("watch=true") || query.contains("watch=1");
      if (watch && ex.getRequestHeaders().containsKey("Upgrade")) {
        // No WebSocket here: fabric8 takes a 200 to its upgrade as "use a streaming HTTP watch".
        ex.sendResponseHeaders(200, -1);
        return;
      }
      if (watch) {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, 0);
        ex.getResponseBody().flush();
        new CountDownLatch(1).await(); // a quiet watch, until the run is killed
        return;
      }
      Target target = Target.parse(path);
      if (target == null) {
        status(ex, 404, "NotFound");
        return;
      }
      byte[] body = ex.getRequestBody().readAllBytes();
      switch (ex.getRequestMethod()) {
        case "GET" -> {
          if (target.name() == null) {
            reply(ex, 200, list(target));
          } else {
            ObjectNode found = objects.get(target.key());
            if (found == null) status(ex, 404, "NotFound"); else reply(ex, 200, found);
          }
        }
        case "POST" -> {
          ObjectNode created = (ObjectNode) JSON.readTree(body);
          if (target.resource().startsWith("selfsubject")) { // permission checks: everything is allowed
            ObjectNode status = created.putObject("status").put("allowed", true).put("incomplete", false);
            status.putArray("resourceRules").addObject().set("verbs", JSON.createArrayNode().add("*"));
            ((ObjectNode) status.get("resourceRules").get(0)).set("apiGroups", JSON.createArrayNode().add("*"));
            ((ObjectNode) status.get("resourceRules").get(0)).set("resources", JSON.createArrayNode().add("*"));
            status.putArray("nonResourceRules");
            reply(ex, 201, created);
            return;
          }
          String name = created.path("metadata").path("name").asText();
          Target at = new Target(target.prefix(), target.resource(), target.namespace(), name);
          if (target.namespace() != null) {
            created.withObjectProperty("metadata").put("namespace", target.namespace());
          }
          created.withObjectProperty("metadata").put("uid", UUID.randomUUID().toString())
              .put("creationTimestamp", Instant.now().toString());
          reply(ex, 201, store(at.key(), created));
        }
        case "PUT", "PATCH" -> {
          ObjectNode current = objects.get(target.key());
          if (current == null) {
            status(ex, 404, "NotFound");
            return;
          }
          JsonNode change = JSON.readTree(body);
          ObjectNode next = ex.getRequestMethod().equals("PUT") ? (ObjectNode) change : merge(current.deepCopy(), change);
          reply(ex, 200, store(target.key(), next));
        }
        case "DELETE" -> {
          ObjectNode gone = objects.remove(target.key());
          if (gone == null) status(ex, 404, "NotFound"); else reply(ex, 200, gone);
        }
        default -> status(ex, 405, "MethodNotAllowed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Where a request points: /api/v1 or /apis/GROUP/VERSION, then [namespaces/NS/]RESOURCE[/NAME]. */
  private record Target(String prefix, String resource, String namespace, String name) {
    static Target parse(String path) {
      String[] s = path.replaceAll("^/+|/+$", "").split("/");
      int base = s.length > 1 && s[0].equals("api") ? 2 : s.length > 2 && s[0].equals("apis") ? 3 : -1;
      if (base < 0) return null;
      String prefix = "/" + String.join("/", List.of(s).subList(0, base));
      List<String> rest = List.of(s).subList(base, s.length);
      return switch (rest.size()) {
        case 1 -> new Target(prefix, rest.get(0), null, null);
        case 2 -> new Target(prefix, rest.get(0), null, rest.get(1));
        case 3 -> rest.get(0).equals("namespaces") ? new Target(prefix, rest.get(2), rest.get(1), null) : null;
        case 4 -> rest.get(0).equals("namespaces") ? new Target(prefix, rest.get(2), rest.get(1), rest.get(3)) : null;
        default -> null;
      };
    }

    String key() {
      return prefix + "|" + resource + "|" + (namespace == null ? "" : namespace) + "|" + name;
    }
  }

  private ObjectNode list(Target target) {
    String from = target.prefix() + "|" + target.resource() + "|" + (target.namespace() == null ? "" : target.namespace() + "|");
    ObjectNode list = JSON.createObjectNode()
        .put("kind", LIST_KINDS.getOrDefault(target.resource(), "List"))
        .put("apiVersion", target.prefix().replaceFirst("^/apis?/", ""));
    list.putObject("metadata").put("resourceVersion", Long.toString(resourceVersion.get()));
    ArrayNode items = list.putArray("items");
    objects.forEach((key, object) -> {
      if (key.startsWith(from)) items.add(object);
    });
    return list;
  }

  private ObjectNode store(String key, ObjectNode object) {
    object.withObjectProperty("metadata").put("resourceVersion", Long.toString(resourceVersion.incrementAndGet()));
    objects.put(key, object);
    return object;
  }

  /** JSON merge patch (RFC 7386). */
  private static ObjectNode merge(ObjectNode target, JsonNode patch) {
    for (Map.Entry<String, JsonNode> field : patch.properties()) {
      JsonNode value = field.getValue();
      if (value.isNull()) {
        target.remove(field.getKey());
      } else if (value.isObject() && target.path(field.getKey()).isObject()) {
        merge((ObjectNode) target.get(field.getKey()), value);
      } else {
        target.set(field.getKey(), value);
      }
    }
    return target;
  }

  private static ObjectNode namespace(String name, boolean optedIn) {
    ObjectNode ns = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Namespace");
    ObjectNode meta = ns.putObject("metadata").put("name", name).put("uid", UUID.randomUUID().toString());
    if (optedIn) {
      meta.putObject("annotations").put("deco.sites/build-secrets-managed", "enabled");
    }
    ns.putObject("status").put("phase", "Active");
    return ns;
  }

  private static void status(HttpExchange ex, int code, String reason) throws IOException {
    reply(ex, code, JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
        .put("reason", reason).put("code", code));
  }

  private static void reply(HttpExchange ex, int code, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(code, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  // --- Secrets Manager ----------------------------------------------------------------------------

  private void secretsManager(HttpExchange ex) throws IOException {
    try (ex) {
      String target = ex.getRequestHeaders().getFirst("X-Amz-Target");
      String operation = target == null ? "" : target.substring(target.lastIndexOf('.') + 1);
      JsonNode request = JSON.readTree(ex.getRequestBody().readAllBytes());
      ObjectNode answer = JSON.createObjectNode();
      switch (operation) {
        case "ListSecrets" -> {
          ArrayNode list = answer.putArray("SecretList");
          for (int i = 0; i < sites; i++) {
            ObjectNode entry = list.addObject().put("ARN", arn(key(i))).put("Name", key(i))
                .put("LastChangedDate", 1.7e9);
            entry.putObject("SecretVersionsToStages").putArray("v1").add("AWSCURRENT");
          }
        }
        case "BatchGetSecretValue" -> {
          ArrayNode values = answer.putArray("SecretValues");
          request.path("SecretIdList").forEach(id -> value(values.addObject(), id.asText()));
          answer.putArray("Errors");
        }
        case "GetSecretValue" -> value(answer, request.path("SecretId").asText());
        default -> {
          byte[] error = ("{\"__type\":\"InvalidRequestException\",\"message\":\"not in training: " + operation + "\"}")
              .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
          ex.sendResponseHeaders(400, error.length);
          ex.getResponseBody().write(error);
          return;
        }
      }
      byte[] bytes = JSON.writeValueAsBytes(answer);
      ex.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
      ex.sendResponseHeaders(200, bytes.length);
      ex.getResponseBody().write(bytes);
    }
  }

  private String key(int site) {
    return "sites/site-" + site + "/build";
  }

  private static String arn(String key) {
    return "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + key + "-" + Integer.toHexString(key.hashCode());
  }

  private static void value(ObjectNode into, String key) {
    into.put("ARN", arn(key)).put("Name", key).put("VersionId", "v1").put("CreatedDate", 1.7e9)
        .put("SecretString", "{\"TRAINING_TOKEN\":\"training-" + key.toLowerCase(Locale.ROOT).hashCode() + "\"}");
    into.putArray("VersionStages").add("AWSCURRENT");
  }
}
