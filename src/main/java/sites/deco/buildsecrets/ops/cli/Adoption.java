package sites.deco.buildsecrets.ops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import sites.deco.buildsecrets.source.KeyName;
import sites.deco.buildsecrets.source.PayloadParser;
import sites.deco.buildsecrets.source.Printable;
import sites.deco.buildsecrets.source.SecretData;
import sites.deco.buildsecrets.source.Upstream;
import sites.deco.buildsecrets.sync.KeyDiff;
import sites.deco.buildsecrets.sync.SiteRef;

/**
 * What {@code adopt} decides for one namespace, from what it read. Pure: no I/O, no values in any
 * message (key names and rules only).
 */
final class Adoption {
  /** Secrets Manager's limit on one secret value. */
  static final int MAX_UPSTREAM_BYTES = 65_536;
  /** The only Secret type the operator writes. */
  static final String OPAQUE = "Opaque";
  static final String NOT_UTF8 =
      "value is not UTF-8 text (binary data): an upstream JSON object holds text only";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Adoption() {}

  /** Which side wins when the Secret and upstream differ. */
  enum Prefer { upstream, local }

  /** What upstream gets. */
  enum UpstreamAction {
    NONE("none"), CREATE("create"), PUT_VALUE("put-value");

    final String label;

    UpstreamAction(String label) {
      this.label = label;
    }
  }

  /** The hand-made Secret checked against the payload rules, as the operator would read it back from upstream. */
  sealed interface Local {
    /**
     * @param data exactly what the operator writes into a Secret for {@code json}
     * @param json the JSON object adopt would store upstream
     */
    record Valid(SecretData data, String json) implements Local {
      @Override
      public String toString() {
        return "Valid" + data.keys();
      }
    }

    /** @param key the offending key, null for a rule about the whole Secret */
    record Refused(KeyName key, String rule) implements Local {
      String describe() {
        return (key == null ? "Secret" : "key " + key) + ": " + rule;
      }
    }
  }

  /** What happens to one namespace. */
  sealed interface Decision {
    /** @param reason names keys and rules only */
    record Refuse(String reason) implements Decision {}

    /**
     * @param upstream what upstream gets
     * @param data what the Secret holds after the hand-over
     * @param version the upstream version the Secret is annotated with; null when {@code upstream}
     *     writes (the write's answer gives it)
     * @param secretChange the Secret's data before and after (empty unless upstream's value is taken)
     * @param difference the Secret against upstream as read (null when upstream has no valid value)
     */
    record Proceed(UpstreamAction upstream, SecretData data, String version, KeyDiff secretChange, KeyDiff difference)
        implements Decision {}
  }

  /**
   * Checks the Secret as the operator would see it after a round trip through upstream: type
   * Opaque, mutable, every value UTF-8 text, and the JSON object built from it passing the
   * operator's own {@link PayloadParser} (keys, env-safety, sizes) and Secrets Manager's size limit.
   */
  static Local check(Secret secret) {
    String type = secret.getType() == null || secret.getType().isEmpty() ? OPAQUE : secret.getType();
    if (!OPAQUE.equals(type)) {
      return new Local.Refused(null, "type is " + Printable.quote(type) + "; the operator writes type Opaque only");
    }
    if (Boolean.TRUE.equals(secret.getImmutable())) {
      return new Local.Refused(null, "immutable: true; the operator could never update it");
    }
    Map<String, String> plain = new TreeMap<>();
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    for (Map.Entry<String, String> e : new TreeMap<>(data).entrySet()) {
      String text = utf8(e.getValue());
      if (text == null) {
        // Members in the order of the JSON object below, as the parser would number them.
        return new Local.Refused(KeyName.of(e.getKey(), plain.size() + 1), NOT_UTF8);
      }
      plain.put(e.getKey(), text);
    }
    String json;
    try {
      json = JSON.writeValueAsString(plain);
    } catch (JsonProcessingException e) {
      return new Local.Refused(null, "cannot be written as JSON");
    }
    Upstream parsed = PayloadParser.parse(json, "local");
    if (parsed instanceof Upstream.Invalid i) {
      return new Local.Refused(i.key(), i.rule().description() + (i.detail() == null ? "" : " (" + i.detail() + ")"));
    }
    int bytes = json.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_UPSTREAM_BYTES) {
      return new Local.Refused(null, "as a JSON object it is " + bytes + " bytes, over Secrets Manager's "
          + MAX_UPSTREAM_BYTES + "-byte limit on a secret value");
    }
    return new Local.Valid(((Upstream.Found) parsed).data(), json);
  }

  /** Whether the namespace may be handed over at all; null when it may. */
  static String refuseNamespace(SiteRef site, boolean optIn, String managedAnnotation) {
    if (site.terminating()) {
      return "the namespace is being deleted";
    }
    if (!site.optedIn() && !optIn) {
      return "the namespace is not opted in (" + managedAnnotation + "=enabled): the operator would delete a "
          + "managed Secret there as opted out; run again with --opt-in, which sets it before the hand-over";
    }
    return null;
  }

  /** Compares the checked Secret with upstream and decides. */
  static Decision decide(String key, Local.Valid local, Upstream upstream, Prefer prefer) {
    return switch (upstream) {
      case Upstream.Unreachable u -> new Decision.Refuse("upstream " + key + " could not be read: " + u.describe());
      case Upstream.Missing m when m.reason() == Upstream.MissingReason.SCHEDULED_FOR_DELETION ->
          new Decision.Refuse("upstream " + key + " is scheduled for deletion: restore it first "
              + "(aws secretsmanager restore-secret --secret-id " + key + "), or wait until it is deleted");
      case Upstream.Missing m -> new Decision.Proceed(UpstreamAction.CREATE, local.data(), null, noChange(), null);
      case Upstream.Invalid i -> prefer == Prefer.local
          ? new Decision.Proceed(UpstreamAction.PUT_VALUE, local.data(), null, noChange(), null)
          : new Decision.Refuse("upstream " + key + " holds an invalid payload (" + i.describe() + ")"
              + (prefer == Prefer.upstream ? ", which the Secret cannot take" : "")
              + "; --prefer=local replaces it with the Secret's data");
      case Upstream.Found f -> {
        KeyDiff difference = KeyDiff.between(local.data(), f.data());
        if (difference.isEmpty()) {
          yield new Decision.Proceed(UpstreamAction.NONE, local.data(), f.version(), noChange(), difference);
        }
        if (prefer == null) {
          yield new Decision.Refuse("upstream " + key + " differs from the Secret: " + describe(difference)
              + "; choose --prefer=upstream (the Secret takes upstream's value) or --prefer=local "
              + "(upstream gets a new version with the Secret's data)");
        }
        yield prefer == Prefer.upstream
            ? new Decision.Proceed(UpstreamAction.NONE, f.data(), f.version(), difference, difference)
            : new Decision.Proceed(UpstreamAction.PUT_VALUE, local.data(), null, noChange(), difference);
      }
    };
  }

  /** The difference in words, from the Secret's side: key names only. */
  static String describe(KeyDiff d) {
    return "keys only upstream " + d.added() + ", only in the Secret " + d.removed() + ", with different values "
        + d.changed();
  }

  private static KeyDiff noChange() {
    return KeyDiff.between(SecretData.fromStrings(Map.of()), SecretData.fromStrings(Map.of()));
  }

  /** Strict UTF-8 decoding of one base64 value; null for bytes that are not UTF-8 text. */
  private static String utf8(String base64) {
    try {
      byte[] bytes = Base64.getDecoder().decode(base64 == null ? "" : base64);
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException | IllegalArgumentException e) {
      return null;
    }
  }
}
