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
 * backend. Messages it builds never quote a value, nor a key that is not valid (it may be a value
 * pasted as a key: see {@link KeyName}), and parser messages (which embed source text) are never
 * passed on: only line and column are.
 */
public final class PayloadParser {
  /** Kubernetes' limit on the decoded size of a Secret's data. */
  public static final int MAX_TOTAL_BYTES = 1024 * 1024;

  /**
   * Linux's limit on one environment string, {@code KEY=value} and its terminating NUL
   * (MAX_ARG_STRLEN, 32 pages of 4 KiB). The Secret feeds {@code envFrom} of build Jobs: a longer
   * entry makes execve fail with E2BIG, so every build container of the site would fail to start.
   */
  public static final int MAX_ENV_ENTRY_BYTES = 32 * 4096;

  private static final Pattern VALID_KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");
  private static final JsonFactory JSON =
      JsonFactory.builder().disable(com.fasterxml.jackson.core.StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();

  private PayloadParser() {}

  public static Upstream parse(String payload, String version) {
    if (payload.startsWith("\uFEFF")) {
      return new Upstream.Invalid(PayloadRule.MALFORMED_JSON, null, "starts with a byte-order mark, at line 1, column 1");
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
      int position = 0;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String key = p.currentName();
        position++;
        JsonToken value = p.nextToken();
        if (values.containsKey(key)) {
          return new Upstream.Invalid(PayloadRule.DUPLICATE_KEY, KeyName.of(key, position), null);
        }
        if (value != JsonToken.VALUE_STRING) {
          return new Upstream.Invalid(PayloadRule.NON_STRING_VALUE, KeyName.of(key, position), "got " + typeOf(value));
        }
        if (!isValidKey(key)) {
          return new Upstream.Invalid(PayloadRule.INVALID_KEY, KeyName.of(key, position), null);
        }
        String text = p.getText();
        if (!isEnvironmentText(text)) {
          return new Upstream.Invalid(PayloadRule.VALUE_NOT_ENV_SAFE, KeyName.of(key, position), null);
        }
        int valueBytes = text.getBytes(StandardCharsets.UTF_8).length;
        long entryBytes = (long) key.length() + 1 + valueBytes + 1; // KEY=value\0; keys are ASCII
        if (entryBytes > MAX_ENV_ENTRY_BYTES) {
          return new Upstream.Invalid(PayloadRule.VALUE_TOO_LONG, KeyName.of(key, position),
              "over " + MAX_ENV_ENTRY_BYTES + " bytes");
        }
        totalBytes += valueBytes;
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

  /**
   * False for a NUL (an environment string ends at the first one) and for an unpaired surrogate
   * (an escape such as {@code \\ud800} that no UTF-8 encoding can hold: it would be written as '?').
   */
  static boolean isEnvironmentText(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0) {
        return false;
      }
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** Anything but whitespace after the value is rejected, with where it starts. */
  private static java.util.Optional<Upstream> trailing(JsonParser p) throws IOException {
    JsonLocation at;
    try {
      if (p.nextToken() == null) {
        return java.util.Optional.empty();
      }
      at = p.currentTokenLocation();
    } catch (JsonProcessingException e) {
      at = p.currentTokenLocation(); // where the unparsable token starts, not where it failed
    }
    return java.util.Optional.of(
        new Upstream.Invalid(PayloadRule.MALFORMED_JSON, null, "trailing content after the JSON value, " + where(at)));
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
