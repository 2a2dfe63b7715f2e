package sites.deco.buildsecrets.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns an upstream payload into Secret data, or names the first rule it breaks. Shared by every
 * backend. Messages it builds never quote a value, and parser messages (which embed source text)
 * are never passed on: only line and column are.
 */
public final class PayloadParser {
  /** Kubernetes' limit on the decoded size of a Secret's data. */
  public static final int MAX_TOTAL_BYTES = 1024 * 1024;

  private static final Pattern VALID_KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");
  private static final JsonFactory JSON =
      JsonFactory.builder().disable(com.fasterxml.jackson.core.StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();

  private PayloadParser() {}

  public static Upstream parse(String payload, String version) {
    if (payload.startsWith("\uFEFF")) {
      return new Upstream.Invalid(PayloadRule.MALFORMED_JSON, null, "starts with a byte-order mark");
    }
    try (JsonParser p = JSON.createParser(payload)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return new Upstream.Invalid(PayloadRule.MALFORMED_JSON, null, "empty");
      }
      if (first == JsonToken.VALUE_NULL) {
        return trailing(p).orElse(new Upstream.Invalid(PayloadRule.NULL_PAYLOAD, null, null));
      }
      if (first != JsonToken.START_OBJECT) {
        return new Upstream.Invalid(PayloadRule.NOT_AN_OBJECT, null, "got " + typeOf(first));
      }
      Map<String, String> values = new LinkedHashMap<>();
      long totalBytes = 0;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String key = p.currentName();
        JsonToken value = p.nextToken();
        if (values.containsKey(key)) {
          return new Upstream.Invalid(PayloadRule.DUPLICATE_KEY, key, null);
        }
        if (value != JsonToken.VALUE_STRING) {
          return new Upstream.Invalid(PayloadRule.NON_STRING_VALUE, key, "got " + typeOf(value));
        }
        if (!isValidKey(key)) {
          return new Upstream.Invalid(PayloadRule.INVALID_KEY, key, null);
        }
        String text = p.getText();
        totalBytes += text.getBytes(StandardCharsets.UTF_8).length;
        if (totalBytes > MAX_TOTAL_BYTES) {
          return new Upstream.Invalid(PayloadRule.TOO_LARGE, null, "over " + MAX_TOTAL_BYTES + " bytes");
        }
        values.put(key, text);
      }
      return trailing(p).orElse(new Upstream.Found(SecretData.fromStrings(values), version));
    } catch (JsonProcessingException e) {
      return new Upstream.Invalid(PayloadRule.MALFORMED_JSON, null, where(e.getLocation()));
    } catch (IOException e) {
      return new Upstream.Invalid(PayloadRule.MALFORMED_JSON, null, "unreadable");
    }
  }

  /** Kubernetes' rule for Secret data keys. */
  public static boolean isValidKey(String key) {
    return VALID_KEY.matcher(key).matches() && !key.equals(".") && !key.equals("..");
  }

  private static java.util.Optional<Upstream> trailing(JsonParser p) throws IOException {
    if (p.nextToken() != null) {
      return java.util.Optional.of(
          new Upstream.Invalid(PayloadRule.MALFORMED_JSON, null, "trailing content after the JSON value"));
    }
    return java.util.Optional.empty();
  }

  private static String where(JsonLocation loc) {
    return loc == null ? "unparsable" : "at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }

  private static String typeOf(JsonToken t) {
    return switch (t) {
      case START_OBJECT -> "object";
      case START_ARRAY -> "array";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
      case VALUE_TRUE, VALUE_FALSE -> "boolean";
      case VALUE_NULL -> "null";
      case VALUE_STRING -> "string";
      default -> t.name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
