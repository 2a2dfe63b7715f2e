package sites.deco.buildsecrets.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import sites.deco.buildsecrets.sync.DeletionLedger;
import sites.deco.buildsecrets.sync.DeletionLedger.State;
import sites.deco.buildsecrets.sync.DeletionLedger.Unavailable;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The deletion ledger as one ConfigMap in the operator's own namespace. It holds no Secret value:
 * a time and a Secret UID per budgeted deletion, and when the guard tripped. Every write carries
 * the resourceVersion last seen, so two writers (a leader and its successor, a moment apart) never
 * overwrite each other: a conflict re-reads and writes the cautious union.
 */
public final class ConfigMapDeletionLedger implements DeletionLedger {
  /** When the guard tripped, as an RFC 3339 time; absent while it is not tripped. */
  public static final String TRIPPED_SINCE = "tripped-since";
  /** One line per budgeted deletion within the window: "<RFC 3339 time> <Secret UID>", oldest first. */
  public static final String SENT = "sent";

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  /** Of the ConfigMap as last read or written; null when it did not exist. */
  private String resourceVersion;

  public ConfigMapDeletionLedger(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  @Override
  public synchronized State load() throws Unavailable {
    ConfigMap found;
    try {
      found = client.configMaps().inNamespace(namespace).withName(name).get();
    } catch (RuntimeException e) {
      throw unavailable("read", e);
    }
    resourceVersion = found == null ? null : found.getMetadata().getResourceVersion();
    try {
      return found == null ? State.EMPTY : parse(found.getData() == null ? Map.of() : found.getData());
    } catch (Unavailable e) {
      throw new Unavailable("cannot read " + describe() + ": " + e.getMessage(), null);
    }
  }

  /** Whether the last {@link #load} found the ConfigMap (else it read as empty). */
  public synchronized boolean existed() {
    return resourceVersion != null;
  }

  @Override
  public synchronized State save(State state) throws Unavailable {
    try {
      write(state);
      return state;
    } catch (RuntimeException e) {
      if (!(e instanceof KubernetesClientException k) || (k.getCode() != 404 && k.getCode() != 409)) {
        throw unavailable("write", e);
      }
    }
    // Written or deleted by someone else since we read it: keep what both say.
    State both = load().merge(state);
    try {
      write(both);
      return both;
    } catch (RuntimeException again) {
      throw unavailable("write", again);
    }
  }

  @Override
  public String describe() {
    return "ConfigMap " + namespace + "/" + name;
  }

  private void write(State state) {
    ConfigMap desired = new ConfigMapBuilder()
        .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withResourceVersion(resourceVersion)
            .addToLabels("app.kubernetes.io/name", "build-secrets-operator")
            .addToLabels("app.kubernetes.io/component", "deletion-ledger")
            .addToAnnotations("deco.sites/description", "The deletion guard's memory across restarts: when it "
                + "tripped, and each budgeted deletion within the window. Written by the operator only.")
        .endMetadata()
        .withData(render(state))
        .build();
    ConfigMap written = resourceVersion == null ? client.resource(desired).create() : client.resource(desired).update();
    resourceVersion = written.getMetadata().getResourceVersion();
  }

  static Map<String, String> render(State state) {
    Map<String, String> data = new LinkedHashMap<>();
    if (state.tripped()) {
      data.put(TRIPPED_SINCE, state.trippedSince().toString());
    }
    StringBuilder lines = new StringBuilder();
    state.sent().forEach(s -> lines.append(s.at()).append(' ').append(s.secretUid()).append('\n'));
    data.put(SENT, lines.toString());
    return data;
  }

  /** A ledger edited into something unreadable is refused, not read as empty: that would reopen the budget. */
  static State parse(Map<String, String> data) throws Unavailable {
    try {
      String tripped = data.get(TRIPPED_SINCE);
      List<Sent> sent = new ArrayList<>();
      for (String line : data.getOrDefault(SENT, "").split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        String[] parts = line.trim().split(" ");
        if (parts.length != 2) {
          throw new Unavailable("a line of '" + SENT + "' is not \"<time> <Secret UID>\"", null);
        }
        sent.add(new Sent(Instant.parse(parts[0]), parts[1]));
      }
      return new State(tripped == null || tripped.isBlank() ? null : Instant.parse(tripped.trim()), sent);
    } catch (DateTimeParseException e) {
      throw new Unavailable("a time in it is not RFC 3339: " + e.getParsedString(), null);
    }
  }

  private Unavailable unavailable(String what, RuntimeException e) {
    String status = e instanceof KubernetesClientException k && k.getCode() > 0
        ? "HTTP " + k.getCode() : e.getClass().getSimpleName();
    return new Unavailable("cannot " + what + " " + describe() + ": " + status, e);
  }
}
